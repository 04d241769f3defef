"""Detectors: simple, documented statistics over one movie's own history, each yielding events.

* **volume burst**: a day is a burst day when its review count is at least ``burst_min_reviews``,
  at least ``burst_min_ratio`` times the expected count, and has a Poisson probability of at most
  ``burst_max_p`` at that expectation. The expected count is the median of the previous
  ``burst_baseline_days`` days (days before the first review count as 0, so a release is measured
  against silence), never below ``burst_floor_per_day``. The median ignores a burst's own first
  days, and a lasting new level becomes the baseline after half the baseline period.
* **polarisation jump**: over a window of ``polarisation_window_days`` days with at least
  ``polarisation_min_reviews`` rated reviews, the share of 1★ (or 10★) reviews is at least
  ``polarisation_min_jump`` above the movie's share before the window, with a binomial probability
  of at most ``polarisation_max_p``. The earlier share is shrunk towards a reference share worth
  ``polarisation_reference_weight`` reviews, so a new movie is compared with a typical one.
* **aspect drift**: an aspect's (or the overall score's) average over the last
  ``drift_window_days`` days differs by at least ``drift_min_change`` from its average over the same
  number of days ``drift_span_days`` earlier, both windows with ``drift_min_reviews`` scores, and
  Welch's t of the difference is at least ``drift_min_t``.
* **rating shift**: within ``rating_window_days`` the IMDb rating moves by at least
  ``rating_min_change`` while the vote count grows by at least ``rating_min_vote_growth`` from at
  least ``rating_min_votes`` votes.
* **review-bombing candidate**: a volume burst and a polarisation jump whose windows overlap.

Flagged days, windows or snapshot pairs whose windows overlap or lie at most ``merge_gap_days``
apart form one event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any, TypeVar

from imdb_tracker.reception.events import Event, EventKind, window_text
from imdb_tracker.reception.signals import (
    DailySeries,
    MovieSignals,
    aspect_series,
    prefix_sums,
)
from imdb_tracker.reception.stats import log_binomial_upper_tail, log_poisson_upper_tail, welch_t
from imdb_tracker.settings import Settings

_EPSILON = 1e-9
_LOG10 = math.log(10)
SIDES = {"one_star": "1★", "ten_star": "10★"}


@dataclass(frozen=True)
class Thresholds:
    """The detectors' parameters; each is setting ``RECEPTION_<NAME>`` (defaults in ``Settings``)."""

    burst_baseline_days: int
    burst_floor_per_day: float
    burst_min_reviews: int
    burst_min_ratio: float
    burst_max_p: float
    polarisation_window_days: int
    polarisation_min_reviews: int
    polarisation_min_jump: float
    polarisation_max_p: float
    polarisation_reference_one_star: float
    polarisation_reference_ten_star: float
    polarisation_reference_weight: int
    drift_window_days: int
    drift_span_days: int
    drift_min_reviews: int
    drift_min_change: float
    drift_min_t: float
    rating_window_days: int
    rating_min_change: float
    rating_min_vote_growth: float
    rating_min_votes: int
    merge_gap_days: int
    strong_factor: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        """The thresholds ``settings`` configure."""
        return cls(**{f.name: getattr(settings, f"reception_{f.name}") for f in fields(cls)})

    @classmethod
    def defaults(cls) -> Thresholds:
        """The default of every threshold (as written once, in ``Settings``)."""
        return cls(**{f.name: Settings.model_fields[f"reception_{f.name}"].default for f in fields(cls)})


def detect_events(signals: MovieSignals, thresholds: Thresholds) -> list[Event]:
    """Every event in ``signals``, sorted by window start then kind."""
    bursts = detect_volume_bursts(signals, thresholds)
    jumps = detect_polarisation_jumps(signals, thresholds)
    events = [
        *bursts,
        *jumps,
        *review_bombing_candidates(bursts, jumps, thresholds),
        *detect_aspect_drift(signals, thresholds),
        *detect_rating_shifts(signals, thresholds),
    ]
    return sorted(events, key=lambda e: (e.window_start, e.kind, e.subject))


T = TypeVar("T")


def runs(items: Sequence[T], position: Callable[[T], int], gap: int) -> Iterator[list[T]]:
    """``items`` (sorted by ``position``) grouped where neighbours are at most ``gap`` apart
    (``gap`` 0 = only adjacent positions join)."""
    group: list[T] = []
    for item in items:
        if group and position(item) - position(group[-1]) > gap + 1:
            yield group
            group = []
        group.append(item)
    if group:
        yield group


def _event(
    signals: MovieSignals,
    kind: EventKind,
    subject: str,
    window: tuple[date, date],
    effect_over_threshold: float,
    thresholds: Thresholds,
    summary: str,
    evidence: dict[str, Any],
) -> Event:
    strength = round(effect_over_threshold, 2)
    finite = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in evidence.items()}
    return Event(
        signals.movie_id,
        kind,
        subject,
        window[0],
        window[1],
        strength,
        strength >= thresholds.strong_factor,
        summary,
        finite,  # JSON has no infinity: Welch's t of two constant windows is stored as null
    )


# --- volume burst --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BurstDay:
    index: int
    reviews: int
    expected: float
    log_p: float


def detect_volume_bursts(signals: MovieSignals, t: Thresholds) -> list[Event]:
    """Volume bursts against the movie's own trailing median (see the module docstring)."""
    baseline = t.burst_baseline_days
    series = DailySeries.of(signals.days, padding=baseline)
    counts = series.reviews

    def expected(i: int) -> float:
        return max(t.burst_floor_per_day, median(counts[i - baseline : i]))

    flagged = []
    for i in range(baseline, len(counts)):
        n = counts[i]
        if n < t.burst_min_reviews:
            continue
        mean = expected(i)
        if n < t.burst_min_ratio * mean:
            continue
        log_p = log_poisson_upper_tail(n, mean)
        if log_p <= math.log(t.burst_max_p):
            flagged.append(_BurstDay(i, n, mean, log_p))
    events = []
    for group in runs(flagged, lambda d: d.index, t.merge_gap_days):
        first, last = group[0].index, group[-1].index
        observed = sum(counts[first : last + 1])
        expected_total = sum(expected(i) for i in range(first, last + 1))
        ratio = observed / expected_total
        peak = max(group, key=lambda d: d.reviews)
        window = (series.day(first), series.day(last))
        evidence = {
            "reviews": observed,
            "expected": round(expected_total, 1),
            "ratio": round(ratio, 1),
            "days": last - first + 1,
            "peak_day": series.day(peak.index).isoformat(),
            "peak_reviews": peak.reviews,
            "peak_expected": round(peak.expected, 2),
            "log10_p": round(log_poisson_upper_tail(observed, expected_total) / _LOG10, 1),
        }
        summary = (
            f"{observed:,} reviews in {window_text(*window)} against {expected_total:,.1f} expected from "
            f"the movie's own baseline ({ratio:,.0f}×); peak {peak.reviews:,} on {evidence['peak_day']}"
        )
        strength = ratio / t.burst_min_ratio
        events.append(_event(signals, "volume_burst", "reviews", window, strength, t, summary, evidence))
    return events


# --- polarisation jump ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ShareWindow:
    start: int
    end: int
    rated: int
    count: int
    baseline_share: float
    log_p: float

    @property
    def share(self) -> float:
        return self.count / self.rated

    @property
    def jump(self) -> float:
        return self.share - self.baseline_share


def detect_polarisation_jumps(signals: MovieSignals, t: Thresholds) -> list[Event]:
    """Jumps of the 1★ and of the 10★ share (see the module docstring)."""
    series = DailySeries.of(signals.days)
    rated = prefix_sums(series.rated)
    events = []
    for side, reference in (
        ("one_star", t.polarisation_reference_one_star),
        ("ten_star", t.polarisation_reference_ten_star),
    ):
        counts = prefix_sums(getattr(series, side))
        prior = t.polarisation_reference_weight
        flagged = []
        for end in range(len(series.reviews)):
            start = max(0, end - t.polarisation_window_days + 1)
            n = int(rated[end + 1] - rated[start])
            if n < t.polarisation_min_reviews:
                continue
            x = int(counts[end + 1] - counts[start])
            weight = rated[start] + prior
            baseline = (counts[start] + prior * reference) / weight if weight else reference
            if x / n - baseline < t.polarisation_min_jump - _EPSILON:
                continue
            log_p = log_binomial_upper_tail(x, n, baseline)
            if log_p <= math.log(t.polarisation_max_p):
                flagged.append(_ShareWindow(start, end, n, x, baseline, log_p))
        for group in _overlapping(flagged, t.merge_gap_days):
            peak = max(group, key=lambda w: w.jump)
            first = min(w.start for w in group)
            last = max(w.end for w in group)
            first += next(i for i, n in enumerate(series.rated[first:]) if n)  # trim empty days
            window = (series.day(first), series.day(last))
            peak_window = window_text(series.day(peak.start), series.day(peak.end))
            label = SIDES[side]
            evidence = {
                "side": label,
                "peak_window": peak_window,
                "rated_reviews": peak.rated,
                "side_reviews": peak.count,
                "share": round(peak.share, 3),
                "share_before": round(peak.baseline_share, 3),
                "rated_before": int(rated[peak.start]),
                "jump": round(peak.jump, 3),
                "log10_p": round(peak.log_p / _LOG10, 1),
            }
            summary = (
                f"{label} share {peak.share:.0%} of {peak.rated:,} rated reviews in {peak_window}, "
                f"from {peak.baseline_share:.0%} before (+{peak.jump * 100:.0f} points)"
            )
            strength = peak.jump / t.polarisation_min_jump
            events.append(_event(signals, "polarisation_jump", side, window, strength, t, summary, evidence))
    return events


def _overlapping(windows: list[_ShareWindow], gap: int) -> Iterator[list[_ShareWindow]]:
    """Flagged windows (sorted by end) grouped where one starts at most ``gap`` days after the
    group so far ends."""
    group: list[_ShareWindow] = []
    for window in windows:
        if group and window.start - max(w.end for w in group) > gap + 1:
            yield group
            group = []
        group.append(window)
    if group:
        yield group


def review_bombing_candidates(bursts: list[Event], jumps: list[Event], t: Thresholds) -> list[Event]:
    """A candidate per volume burst and polarisation jump whose windows overlap (within the gap)."""
    gap = timedelta(days=t.merge_gap_days)
    candidates = []
    for burst in bursts:
        for jump in jumps:
            if burst.window_start > jump.window_end + gap or jump.window_start > burst.window_end + gap:
                continue
            window = (min(burst.window_start, jump.window_start), max(burst.window_end, jump.window_end))
            direction = "negative" if jump.subject == "one_star" else "positive"
            candidates.append(
                Event(
                    burst.movie_id,
                    "review_bombing_candidate",
                    jump.subject,
                    window[0],
                    window[1],
                    min(burst.strength, jump.strength),
                    burst.strong and jump.strong,
                    f"{direction} review bombing? {burst.summary}; {jump.summary}",
                    {"direction": direction, "burst": burst.evidence, "polarisation": jump.evidence},
                )
            )
    return candidates


# --- aspect drift --------------------------------------------------------------------------------


def detect_aspect_drift(signals: MovieSignals, t: Thresholds) -> list[Event]:
    """Drifts of each aspect's average (see the module docstring)."""
    width, span = t.drift_window_days, t.drift_span_days
    events = []
    for series in aspect_series(signals):
        length = len(series.counts) - 1
        flagged = []
        for end in range(width + span - 1, length):
            recent = series.window(end - width + 1, end + 1)
            if recent.reviews < t.drift_min_reviews:
                continue
            before = series.window(end - width + 1 - span, end + 1 - span)
            if before.reviews < t.drift_min_reviews:
                continue
            change = recent.mean - before.mean
            if abs(change) < t.drift_min_change - _EPSILON:
                continue
            t_value = welch_t(
                recent.mean, recent.variance, recent.reviews, before.mean, before.variance, before.reviews
            )
            if abs(t_value) >= t.drift_min_t:
                flagged.append((end, change, t_value, recent, before))
        for direction in (1, -1):
            same_way = [f for f in flagged if f[1] * direction > 0]
            # Flagged days whose recent windows overlap (or nearly) are one drift.
            for group in runs(same_way, lambda f: f[0], width - 1 + t.merge_gap_days):
                end, change, t_value, recent, before = max(group, key=lambda f: abs(f[1]))
                day = series.origin + timedelta(days=end)
                recent_window = (day - timedelta(days=width - 1), day)
                before_window = (recent_window[0] - timedelta(days=span), day - timedelta(days=span))
                window = (
                    series.origin + timedelta(days=group[0][0] - width + 1),
                    series.origin + timedelta(days=group[-1][0]),
                )
                evidence = {
                    "aspect": series.aspect,
                    "window": window_text(*recent_window),
                    "mean": round(recent.mean, 2),
                    "reviews": recent.reviews,
                    "window_before": window_text(*before_window),
                    "mean_before": round(before.mean, 2),
                    "reviews_before": before.reviews,
                    "change": round(change, 2),
                    "welch_t": round(t_value, 1),
                }
                summary = (
                    f"{series.aspect} averaged {recent.mean:+.2f} over {recent.reviews:,} reviews in "
                    f"{evidence['window']}, against {before.mean:+.2f} over {before.reviews:,} in "
                    f"{evidence['window_before']} ({change:+.2f} on the −2..2 scale)"
                )
                strength = abs(change) / t.drift_min_change
                events.append(
                    _event(signals, "aspect_drift", series.aspect, window, strength, t, summary, evidence)
                )
    return events


# --- IMDb rating shift ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    taken_at: datetime
    rating: float
    votes: int


@dataclass(frozen=True)
class _Shift:
    before: _Point
    after: _Point
    change: float
    growth: float


def detect_rating_shifts(signals: MovieSignals, t: Thresholds) -> list[Event]:
    """The IMDb rating moving while the vote count jumps (see the module docstring)."""
    snapshots = sorted(
        (
            _Point(s.taken_at, float(s.rating), s.votes)
            for s in signals.snapshots
            if s.rating is not None and s.votes is not None
        ),
        key=lambda s: s.taken_at,
    )
    window = timedelta(days=t.rating_window_days)
    flagged: list[_Shift] = []
    first = 0
    for snapshot in snapshots:
        while snapshots[first].taken_at < snapshot.taken_at - window:
            first += 1
        before = snapshots[first]
        if before is snapshot or before.votes < t.rating_min_votes:
            continue
        change = snapshot.rating - before.rating
        growth = (snapshot.votes - before.votes) / before.votes
        if abs(change) >= t.rating_min_change - _EPSILON and growth >= t.rating_min_vote_growth - _EPSILON:
            flagged.append(_Shift(before, snapshot, change, growth))
    origin = snapshots[0].taken_at.date() if snapshots else date.min
    overlap_gap = t.rating_window_days + t.merge_gap_days
    events = []
    for direction in (1, -1):
        same_way = [f for f in flagged if f.change * direction > 0]
        # Shifts whose windows overlap (or nearly) are one event.
        for group in runs(same_way, lambda f: (f.after.taken_at.date() - origin).days, overlap_gap):
            peak = max(group, key=lambda f: abs(f.change))
            window = (group[0].before.taken_at.date(), group[-1].after.taken_at.date())
            evidence = {
                "rating_before": peak.before.rating,
                "rating": peak.after.rating,
                "votes_before": peak.before.votes,
                "votes": peak.after.votes,
                "change": round(peak.change, 2),
                "vote_growth": round(peak.growth, 3),
                "from": peak.before.taken_at.isoformat(),
                "to": peak.after.taken_at.isoformat(),
            }
            summary = (
                f"IMDb rating {peak.before.rating:.1f} → {peak.after.rating:.1f} while votes grew "
                f"{peak.growth:.0%} ({peak.before.votes:,} → {peak.after.votes:,}) between "
                f"{window_text(peak.before.taken_at.date(), peak.after.taken_at.date())}"
            )
            strength = abs(peak.change) / t.rating_min_change
            events.append(
                _event(signals, "rating_shift", "imdb_rating", window, strength, t, summary, evidence)
            )
    return events
