"""The ``reception_signals`` asset on the two sample movies in the real database: events stored
once, the asset check, the metadata, and the reporting views the dashboards will read."""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize
from sqlalchemy import Engine, create_engine, make_url, text

from imdb_tracker.db.reporting import READONLY_ROLE, ensure_readonly_role, refresh_reporting
from imdb_tracker.defs.reception.assets import reception_signals
from imdb_tracker_tests.pipeline_support import pipeline_resources
from imdb_tracker_tests.sample_data import load_sample, sample_reviews

OLD, NEW = "tt0029583", "tt6208148"


@pytest.fixture
def instance(sample_partitions: DagsterInstance) -> DagsterInstance:
    return sample_partitions


@pytest.fixture
def sample_db(clean_db: Engine) -> Engine:
    load_sample(clean_db)
    return clean_db


def run(instance: DagsterInstance, movie_id: str):
    result = materialize(
        [reception_signals], partition_key=movie_id, instance=instance, resources=pipeline_resources()
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("reception_signals")
    [check] = result.get_asset_check_evaluations()
    return materialization.metadata, check


def events(engine: Engine) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT * FROM v_reception_events ORDER BY movie_id, window_start, kind, event_id")
            )
        )


def test_the_sample_release_burst_is_stored_once_and_the_1937_film_gets_nothing(sample_db, instance) -> None:
    old_metadata, old_check = run(instance, OLD)
    assert old_check.passed and old_metadata["events_detected"].value == 0
    assert old_metadata["events"].value == "no events"
    new_metadata, new_check = run(instance, NEW)
    stored = events(sample_db)
    assert {row.movie_id for row in stored} == {NEW}
    kinds = {row.kind for row in stored}
    # sample_data's made-up snapshots drop the rating 2.3 -> 1.9 while votes grow 78 % in a week.
    assert kinds == {"volume_burst", "polarisation_jump", "review_bombing_candidate", "rating_shift"}
    candidate = next(row for row in stored if row.kind == "review_bombing_candidate")
    assert candidate.movie == "Snow White (2025)" and candidate.severity == "candidate"
    assert str(candidate.window_start) == "2025-03-20" and candidate.notify_state == "pending"
    assert not new_check.passed and new_check.severity == AssetCheckSeverity.ERROR  # the burst is strong
    assert new_check.metadata["new_events"].value == len(stored)
    assert "review-bombing candidate" in new_metadata["events"].value
    assert (
        new_metadata["busiest_day"].value == "2025-03-26" and new_metadata["busiest_day_reviews"].value == 265
    )
    assert new_metadata["one_star_share"].value > 0.7
    one_star = sum(r["movie_id"] == NEW and r["rating"] == 1 for r in sample_reviews())
    assert f"| 1 | {one_star} |" in new_metadata["rating_distribution"].value
    assert new_metadata["imdb_rating"].value == 1.6

    again_metadata, again_check = run(instance, NEW)  # found again: updated, not new, not re-announced
    assert again_check.passed and again_metadata["new_events"].value == 0
    assert [(r.event_id, r.kind, r.window_end) for r in events(sample_db)] == [
        (r.event_id, r.kind, r.window_end) for r in stored
    ]


def test_the_timeline_view_marks_the_event_days_and_the_reader_can_read_every_new_view(
    sample_db, instance, database_urls
) -> None:
    run(instance, NEW)
    with sample_db.begin() as conn:
        refresh_reporting(conn)
        ensure_readonly_role(conn, READONLY_ROLE, None)
        peak = conn.execute(
            text("SELECT * FROM v_reception_daily WHERE movie_id = :m AND day = '2025-03-26'"), {"m": NEW}
        ).one()
        quiet = conn.execute(
            text("SELECT * FROM v_reception_daily WHERE movie_id = :m AND day = '2025-04-08'"), {"m": NEW}
        ).one()
        old_days = conn.execute(
            text("SELECT count(*), count(event_kinds) FROM v_reception_daily WHERE movie_id = :m"), {"m": OLD}
        ).one()
    assert (peak.reviews, peak.movie) == (265, "Snow White (2025)")
    assert peak.event_kinds == "polarisation_jump, rating_shift, review_bombing_candidate, volume_burst"
    assert peak.reviews_in_event == 265 and float(peak.one_star_share) > 0.7
    assert quiet.event_kinds is None and quiet.reviews_in_event is None
    assert old_days[0] > 300 and old_days[1] == 0
    reader = create_engine(make_url(database_urls.tracker).set(username=READONLY_ROLE, password=None))
    try:
        with reader.connect() as conn:
            for view in ("v_reception_events", "v_reception_daily", "v_aspect_quotes"):
                conn.execute(text(f"SELECT * FROM {view} LIMIT 1")).all()
            assert conn.execute(text("SELECT count(*) FROM v_reception_events")).scalar_one() == 4
    finally:
        reader.dispose()
