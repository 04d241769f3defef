"""Every asset check turns red when what it watches goes wrong, and green when it is right again.

The in-run checks are read from real materializations (the replica in Chromium, the fake LLM server);
the scheduled ones run the way the daemon runs them: the schedule's run request, then its job, on
the session's Dagster instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dagster import DagsterInstance, build_schedule_context, materialize
from sqlalchemy import Engine, text

from imdb_tracker.db.movies import register_movie
from imdb_tracker.db.schema import movie_snapshots
from imdb_tracker.defs.movies.assets import movie_reviews, review_sentiments
from imdb_tracker.defs.movies.automation import movie_health_checks_quarter_hourly
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker_dev.fake_openai import start_fake_openai
from imdb_tracker_dev.replica import Replica
from imdb_tracker_tests.fakes import TEST_RATE
from imdb_tracker_tests.pipeline_support import pipeline_resources

MOVIE = "tt0029583"  # 429 reviews
OTHER = "tt6208148"


@pytest.fixture
def instance(database_urls, no_tracked_movies) -> Iterator[DagsterInstance]:
    with DagsterInstance.get() as inst:
        inst.add_dynamic_partitions(MOVIES_PARTITION, [MOVIE, OTHER])
        yield inst
        for movie_id in (MOVIE, OTHER):
            inst.delete_dynamic_partition(MOVIES_PARTITION, movie_id)


def checks_of(result: Any) -> dict[str, tuple[bool, dict[str, Any]]]:
    return {
        evaluation.check_name: (
            evaluation.passed,
            {key: value.value for key, value in evaluation.metadata.items()},
        )
        for evaluation in result.get_asset_check_evaluations()
    }


def materialize_reviews(instance, replica: Replica, run_config=None, **settings) -> Any:
    result = materialize(
        [movie_reviews],
        partition_key=MOVIE,
        instance=instance,
        resources=pipeline_resources(
            imdb_base_url=replica.base_url, imdb_requests_per_second=TEST_RATE, **settings
        ),
        run_config=run_config,
        raise_on_error=False,
    )
    assert result.success
    return result


def test_review_count_check_is_red_after_a_scrape_that_ends_short(clean_db, instance, imdb_replica) -> None:
    short = materialize_reviews(
        instance, imdb_replica, run_config={"ops": {"movie_reviews": {"config": {"max_reviews": 100}}}}
    )
    passed, details = checks_of(short)["review_count_matches_imdb"]
    assert not passed and (details["stored"], details["announced"], details["shortfall"]) == (100, 429, 329)

    full = materialize_reviews(instance, imdb_replica)
    passed, details = checks_of(full)["review_count_matches_imdb"]
    assert passed and (details["stored"], details["announced"]) == (429, 429)


def test_unscored_reviews_check_is_red_when_the_llm_fails_on_too_many(
    clean_db, instance, imdb_replica
) -> None:
    materialize_reviews(instance, imdb_replica)
    failing = imdb_replica.expected_reviews(MOVIE)[::10]  # 43 of 429 reviews get a malformed answer: 10 %
    llm = start_fake_openai(malformed={review.review_id: "invalid_json" for review in failing})
    try:
        llm_settings = {
            "sentiment_backend": "openai",
            "openai_api_key": "sk-test",
            "openai_base_url": llm.base_url,
        }
        scored = materialize(
            [review_sentiments],
            partition_key=MOVIE,
            instance=instance,
            resources=pipeline_resources(**llm_settings),
            raise_on_error=False,
        )
    finally:
        llm.stop()
    passed, details = checks_of(scored)["reviews_scored"]
    assert not passed and details["current_reviews"] == 429 and details["unscored"] >= len(failing)

    healed = materialize(
        [review_sentiments],
        partition_key=MOVIE,
        instance=instance,
        resources=pipeline_resources(sentiment_backend="offline"),
        raise_on_error=False,
    )
    passed, details = checks_of(healed)["reviews_scored"]
    assert passed and details["unscored"] == 0


def run_scheduled_checks(instance: DagsterInstance) -> dict[str, tuple[bool, dict[str, Any]]]:
    """What the daemon does every 15 minutes: evaluate the schedule, run the job it names."""
    from imdb_tracker.definitions import defs

    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    with build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
        request = movie_health_checks_quarter_hourly(context)  # closed: see test_orchestration's hourly()
    job = defs().resolve_job_def(movie_health_checks_quarter_hourly.job_name)
    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    assert result.success
    return checks_of(result)


def set_last_metadata(engine: Engine, movie_id: str, at: datetime) -> None:
    with engine.begin() as conn:
        register_movie(conn, movie_id)
        conn.execute(
            text("UPDATE movies SET last_metadata_at = :at WHERE movie_id = :m"), {"at": at, "m": movie_id}
        )


def test_metadata_freshness_is_red_when_the_hourly_schedule_stopped(clean_db, instance) -> None:
    now = datetime.now(UTC)
    set_last_metadata(clean_db, MOVIE, now - timedelta(minutes=20))
    set_last_metadata(clean_db, OTHER, now - timedelta(hours=3))  # its hourly runs stopped 3 h ago
    passed, details = run_scheduled_checks(instance)["metadata_fresh"]
    assert not passed and (details["stale_movies"], details["examples"]) == (1, OTHER)

    set_last_metadata(clean_db, OTHER, now)
    passed, details = run_scheduled_checks(instance)["metadata_fresh"]
    assert passed and details["tracked_movies"] == 2


def snapshot(engine: Engine, movie_id: str, hours_ago: float, review_count: int) -> None:
    with engine.begin() as conn:
        register_movie(conn, movie_id)
        conn.execute(
            movie_snapshots.insert().values(
                movie_id=movie_id,
                taken_at=datetime.now(UTC) - timedelta(hours=hours_ago),
                review_count=review_count,
            )
        )


def test_review_arrival_is_red_when_the_count_grows_and_nothing_arrives(
    clean_db, instance, imdb_replica
) -> None:
    materialize_reviews(instance, imdb_replica)  # MOVIE's 429 reviews, first seen now
    with clean_db.begin() as conn:
        conn.execute(
            text("UPDATE reviews SET first_seen_at = now() - interval '3 days' WHERE movie_id = :m"),
            {"m": MOVIE},
        )
    for hours_ago, count in ((30, 429), (12, 433), (3, 441)):  # IMDb keeps announcing more
        snapshot(clean_db, MOVIE, hours_ago, count)
    snapshot(clean_db, OTHER, 30, 100)  # no growth: nothing to expect
    snapshot(clean_db, OTHER, 3, 100)
    passed, details = run_scheduled_checks(instance)["reviews_keep_arriving"]
    assert not passed and (details["stalled_movies"], details["examples"]) == (1, f"{MOVIE} (+12 announced)")

    with clean_db.begin() as conn:  # one new review arrives: the pipeline is moving
        conn.execute(
            text(
                "UPDATE reviews SET first_seen_at = now() - interval '1 hour' WHERE review_id = "
                "(SELECT max(review_id) FROM reviews WHERE movie_id = :m)"
            ),
            {"m": MOVIE},
        )
    passed, details = run_scheduled_checks(instance)["reviews_keep_arriving"]
    assert passed and details["stalled_movies"] == 0
