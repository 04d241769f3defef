"""The reception detectors on the sample and on synthetic histories where the truth is known,
always with the default thresholds (as configured in ``Settings``)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from imdb_tracker.reception.detectors import (
    Thresholds,
    detect_aspect_drift,
    detect_events,
    detect_polarisation_jumps,
    detect_rating_shifts,
    detect_volume_bursts,
)
from imdb_tracker.reception.signals import MovieSignals, RatingSnapshot, ReviewDay
from imdb_tracker.reception.stats import log_binomial_upper_tail, log_poisson_upper_tail, welch_t
from imdb_tracker_tests.reception_synthetic import TYPICAL_RATINGS, day, history, poisson_counts, volume
from imdb_tracker_tests.sample_data import sample_reviews

pytestmark = pytest.mark.fast

DEFAULTS = Thresholds.defaults()
SEEDS = range(100)


def sample_signals(movie_id: str) -> MovieSignals:
    """The sample movie's review days, aggregated here from the CSV rows."""
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for review in sample_reviews():
        if review["movie_id"] != movie_id:
            continue
        row = days[review["submitted_at"]]
        row[0] += 1
        if review["rating"] is not None:
            row[1] += 1
            row[2] += review["rating"] == 1
            row[3] += review["rating"] == 10
            row[4] += review["rating"]
    return MovieSignals(movie_id, tuple(ReviewDay(d, *v) for d, v in sorted(days.items())))


# --- the sample ----------------------------------------------------------------------------------


def test_the_2025_release_burst_is_a_review_bombing_candidate() -> None:
    events = detect_events(sample_signals("tt6208148"), DEFAULTS)
    kinds = Counter(e.kind for e in events)
    assert kinds == {"volume_burst": 1, "polarisation_jump": 1, "review_bombing_candidate": 1}
    burst = next(e for e in events if e.kind == "volume_burst")
    # The reviews start on 2025-03-20; the release fortnight is one burst, measured against silence.
    assert burst.window_start == date(2025, 3, 20) and date(2025, 3, 30) <= burst.window_end
    assert burst.evidence["reviews"] > 1_500 and burst.evidence["peak_day"] == "2025-03-26"
    assert burst.strong
    candidate = next(e for e in events if e.kind == "review_bombing_candidate")
    assert candidate.subject == "one_star" and candidate.evidence["direction"] == "negative"
    assert candidate.window_start == date(2025, 3, 20)
    assert candidate.evidence["polarisation"]["share"] > 0.6  # 1★ share in the peak week
    assert "review bombing?" in candidate.summary


def test_nothing_is_flagged_on_the_1937_film() -> None:
    signals = sample_signals("tt0029583")
    # The remake's release did lift it (up to 5 reviews a day, 14 in a week, from ~1.5 a week):
    # a genuine relative rise, too small to be a burst by the minimum count.
    assert max(d.reviews for d in signals.days) < DEFAULTS.burst_min_reviews
    assert detect_events(signals, DEFAULTS) == []


# --- volume bursts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_rate", "burst_rate"), [(0.2, 25.0), (2.0, 30.0), (20.0, 120.0), (300.0, 1200.0)]
)
def test_a_planted_burst_is_found_where_it_was_planted(base_rate: float, burst_rate: float) -> None:
    rates = [base_rate] * 300 + [burst_rate] * 5 + [base_rate] * 60
    for seed in range(5):
        bursts = [
            e
            for e in detect_volume_bursts(volume(poisson_counts(rates, seed)), DEFAULTS)
            if e.window_start > day(60)  # the first days are the "release" (measured against silence)
        ]
        assert len(bursts) == 1, (seed, [(e.window_start, e.window_end) for e in bursts])
        assert day(299) <= bursts[0].window_start <= day(301) and day(303) <= bursts[0].window_end <= day(306)


@pytest.mark.parametrize("trickle", [[3], [3] * 7, [0, 3, 0, 3, 2, 3, 1]])
def test_a_trickle_from_nothing_is_not_a_burst(trickle: list[int]) -> None:
    counts = poisson_counts([0.05] * 200, seed=1) + trickle + poisson_counts([0.05] * 30, seed=2)
    assert detect_volume_bursts(volume(counts), DEFAULTS) == []


def test_pure_poisson_noise_gives_at_most_a_few_false_bursts() -> None:
    """500 movie-years of steady Poisson volume at five rates: the rule promises about max_p per
    day, the median baseline's estimation error adds some; more than 3 would be a broken test."""
    false = 0
    for rate in (0.3, 2.0, 5.0, 20.0, 100.0):
        for seed in SEEDS:
            events = detect_volume_bursts(volume(poisson_counts([rate] * 400, seed)), DEFAULTS)
            false += sum(e.window_start > day(2 * DEFAULTS.burst_baseline_days) for e in events)
    assert false <= 3


# --- polarisation jumps and review-bombing candidates ---------------------------------------------

BOMBED = (0.7, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.03, 0.04, 0.10)


def test_a_planted_polarisation_jump_is_found_and_is_no_bombing_without_a_burst() -> None:
    counts = poisson_counts([20.0] * 260, seed=3)
    signals = history(counts, seed=3, ratings=lambda i: BOMBED if 200 <= i < 207 else TYPICAL_RATINGS)
    events = detect_events(signals, DEFAULTS)
    jumps = [e for e in events if e.kind == "polarisation_jump" and e.window_start > day(30)]
    assert len(jumps) == 1 and jumps[0].subject == "one_star"
    assert day(195) <= jumps[0].window_start <= day(201) and day(205) <= jumps[0].window_end <= day(210)
    assert jumps[0].evidence["share"] > 0.5 and jumps[0].evidence["share_before"] < 0.12
    assert not any(e.kind == "review_bombing_candidate" and e.window_start > day(30) for e in events)


def test_a_burst_of_1_star_reviews_is_a_review_bombing_candidate_a_burst_of_normal_ones_is_not() -> None:
    rates = [3.0] * 200 + [60.0] * 6 + [3.0] * 40
    counts = poisson_counts(rates, seed=4)
    bombed = history(counts, seed=4, ratings=lambda i: BOMBED if 200 <= i < 206 else TYPICAL_RATINGS)
    normal = history(counts, seed=4)
    late = day(60)
    bombed_kinds = {e.kind for e in detect_events(bombed, DEFAULTS) if e.window_start > late}
    normal_kinds = {e.kind for e in detect_events(normal, DEFAULTS) if e.window_start > late}
    assert bombed_kinds == {"volume_burst", "polarisation_jump", "review_bombing_candidate"}
    assert normal_kinds == {"volume_burst"}


def test_steady_rating_shares_give_at_most_a_few_false_jumps() -> None:
    false = 0
    for seed in SEEDS:
        signals = history(poisson_counts([15.0] * 200, seed), seed=seed)
        false += sum(e.window_start > day(30) for e in detect_polarisation_jumps(signals, DEFAULTS))
    assert false <= 2


# --- aspect drift --------------------------------------------------------------------------------


def test_a_planted_slow_drift_is_found_in_its_direction() -> None:
    """Acting slides from +1.0 to −0.5 over a year: 0.125 a month, never a jump."""
    signals = history(poisson_counts([10.0] * 365, seed=5), seed=5, aspect_mean=lambda i: 1.0 - 1.5 * i / 364)
    drifts = detect_aspect_drift(signals, DEFAULTS)
    assert len(drifts) == 1 and drifts[0].subject == "acting"
    assert drifts[0].evidence["change"] <= -DEFAULTS.drift_min_change
    assert drifts[0].window_end == day(364)


def test_a_sudden_drop_is_a_drift_that_starts_at_the_drop() -> None:
    signals = history(
        poisson_counts([8.0] * 400, seed=6), seed=6, aspect_mean=lambda i: 1.0 if i < 300 else -0.2
    )
    drifts = detect_aspect_drift(signals, DEFAULTS)
    assert len(drifts) == 1 and drifts[0].evidence["change"] < -1
    assert day(270) <= drifts[0].window_start <= day(300)


def test_a_steady_aspect_gives_no_false_drift() -> None:
    """Thin windows (about 30 scores each at one review a day) and thick ones (180)."""
    false = 0
    for rate in (1.0, 6.0):
        for seed in range(30):
            signals = history(poisson_counts([rate] * 500, seed), seed=seed, aspect_mean=lambda i: 0.4)
            false += len(detect_aspect_drift(signals, DEFAULTS))
    assert false == 0


# --- IMDb rating shifts --------------------------------------------------------------------------


def snapshots(points: list[tuple[float, int]]) -> MovieSignals:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return MovieSignals(
        "tt0000001",
        (),
        snapshots=tuple(
            RatingSnapshot(start + timedelta(hours=12 * i), rating, votes)
            for i, (rating, votes) in enumerate(points)
        ),
    )


def test_a_rating_drop_with_a_vote_jump_is_a_shift() -> None:
    steady = [(7.2, 50_000 + 100 * i) for i in range(40)]
    dropping = [(7.2 - 0.2 * i, 54_000 + 3_000 * i) for i in range(1, 5)]
    events = detect_rating_shifts(snapshots(steady + dropping + [(6.4, 66_000)] * 10), DEFAULTS)
    assert len(events) == 1 and events[0].evidence["rating"] < 7.0
    assert events[0].evidence["vote_growth"] >= DEFAULTS.rating_min_vote_growth


@pytest.mark.parametrize(
    "points",
    [
        [(7.2, 50_000 + 100 * i) for i in range(20)]
        + [(6.6, 52_000 + 100 * i) for i in range(20)],  # no jump
        [(7.2, 50_000 + 2_000 * i) for i in range(40)],  # votes jump, rating steady
        [(3.0, 20), (6.0, 60), (4.0, 90)],  # too few votes to mean anything
    ],
)
def test_a_rating_move_without_a_vote_jump_or_a_vote_jump_without_a_move_is_not(points) -> None:
    assert detect_rating_shifts(snapshots(points), DEFAULTS) == []


# --- statistics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "mean"), [(0, 3.0), (2, 3.0), (10, 3.0), (40, 5.0), (3, 0.1)])
def test_poisson_tail_matches_the_direct_sum(k: int, mean: float) -> None:
    direct = 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))
    assert math.exp(log_poisson_upper_tail(k, mean)) == pytest.approx(direct, rel=1e-6, abs=1e-15)


def test_tails_stay_finite_where_probabilities_underflow() -> None:
    assert log_poisson_upper_tail(2_000, 10.0) < -5_000
    assert log_binomial_upper_tail(900, 1_000, 0.1) < -1_500
    assert math.exp(log_binomial_upper_tail(3, 10, 0.5)) == pytest.approx(0.9453125)
    assert welch_t(1.0, 0.0, 5, 0.0, 0.0, 5) == math.inf


def test_evidence_is_always_valid_json_even_for_constant_scores() -> None:
    """Two constant windows make Welch's t infinite; PostgreSQL's JSON has no infinity."""
    signals = history([5] * 400, aspect_mean=lambda i: 0.0 if i < 300 else 2.0)
    constant = MovieSignals(
        signals.movie_id,
        signals.days,
        tuple(
            type(a)(
                a.day,
                a.aspect,
                a.reviews,
                0 if a.day < day(300) else 2 * a.reviews,
                0 if a.day < day(300) else 4 * a.reviews,
            )
            for a in signals.aspects
        ),
    )
    [drift] = detect_aspect_drift(constant, DEFAULTS)
    assert drift.evidence["welch_t"] is None and drift.evidence["change"] == 2.0
    json.dumps([e.evidence for e in detect_events(constant, DEFAULTS)], allow_nan=False)
    no_prior = dataclasses.replace(DEFAULTS, polarisation_reference_weight=0)  # no history, no weight
    [jump] = detect_polarisation_jumps(history([40] * 20, ratings=lambda i: BOMBED), no_prior)
    assert jump.evidence["share_before"] == DEFAULTS.polarisation_reference_one_star


def test_the_check_warns_on_new_candidates_errors_on_new_strong_events_and_passes_otherwise() -> None:
    from dagster import AssetCheckSeverity

    from imdb_tracker.db.reception import StoredEvent
    from imdb_tracker.defs.reception.checks import reception_check_results

    events = detect_events(sample_signals("tt6208148"), DEFAULTS)
    candidate = next(e for e in events if not e.strong)
    strong = next(e for e in events if e.strong)
    [old] = reception_check_results([StoredEvent(1, strong, new=False)])
    [warn] = reception_check_results([StoredEvent(1, strong, new=False), StoredEvent(2, candidate, new=True)])
    [error] = reception_check_results([StoredEvent(2, candidate, new=True), StoredEvent(3, strong, new=True)])
    assert old.passed and not warn.passed and not error.passed
    assert (warn.severity, error.severity) == (AssetCheckSeverity.WARN, AssetCheckSeverity.ERROR)
    assert warn.metadata["new_events"].value == 1 and "#2 " in warn.metadata["events"].value
