"""The daily full review re-scrape in batches: many movies per run, one failing, each its own partition.

A `movie_reviews_batch_job` run, asked for by the `movie_reviews_batch_daily` schedule, over three
synthetic replica movies on the session's real Dagster instance and PostgreSQL, with real Chromium:
the replica answers one movie's reviews page with a 404 once. The other two are stored in full and
each gets its own materialization of its `movie_reviews` partition and its own result of the
`review_count_matches_imdb` check; the failed one is listed by the run and `batch_failures_sensor`
asks for a single-movie `movie_reviews_job` run of it alone, which then stores it. The replica
ignores the order asked for, so both runs say so in their logs and metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster import DagsterEventType, DagsterInstance
from sqlalchemy import Engine

from imdb_tracker.db.reviews import stored_review_counts
from imdb_tracker.defs.movies.assets import movie_reviews
from imdb_tracker.defs.movies.automation import (
    batch_failures_sensor,
    movie_reviews_batch_daily,
    movie_reviews_job,
)
from imdb_tracker.defs.movies.batches import (
    RETRY_MOVIES_TAG,
    movie_reviews_batch_job,
    review_pages,
    split_by_pages,
)
from imdb_tracker.defs.partitions import MOVIES_PARTITION, SCRAPE_TAG
from imdb_tracker.defs.resources import RunBatching
from imdb_tracker_dev.replica.server import Fault, Replica, start_replica
from imdb_tracker_tests.fakes import TEST_RATE
from imdb_tracker_tests.pipeline_support import (
    batch_failures_sensor_requests,
    materialized_partitions,
    pipeline_resources,
    step_output_metadata,
)

REVIEWS = {"tt9400000": 70, "tt9400001": 30, "tt9400002": 120}
MOVIES = sorted(REVIEWS)
FAILING = MOVIES[1]
STORED = [m for m in MOVIES if m != FAILING]


@pytest.mark.fast
def test_daily_batches_are_cut_by_review_pages() -> None:
    assert [review_pages(n) for n in (0, 1, 50, 51, 2027)] == [1, 2, 2, 3, 42]
    pages = {"a": 300, "b": 300, "c": 1, "d": 900, "e": 5}
    assert split_by_pages([["a", "b", "c"], ["d", "e", "f"]], pages, max_pages=600) == [
        ["a", "b"],
        ["c"],
        ["d"],
        ["e", "f"],
    ]
    assert split_by_pages([], pages) == []


@pytest.fixture
def replica() -> Iterator[Replica]:
    server = start_replica(
        synthetic=REVIEWS,
        faults=[Fault(route="reviews", movie_id=FAILING, every=1, status=404, times=1)],
    )
    yield server
    server.stop()


def test_a_movie_failing_in_the_daily_batch_is_retried_alone_and_the_others_are_stored(
    clean_db: Engine, no_tracked_movies, replica: Replica
) -> None:
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(MOVIES_PARTITION, MOVIES)
    resources = pipeline_resources(imdb_base_url=replica.base_url, imdb_requests_per_second=TEST_RATE)
    defs = dg.Definitions(
        assets=[movie_reviews],
        jobs=[movie_reviews_batch_job, movie_reviews_job],
        schedules=[movie_reviews_batch_daily],
        sensors=[batch_failures_sensor],
        resources=resources,
    )
    # The daily schedule asks for this very run (a batch size of 3, at least one run).
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 29, 3, 30, tzinfo=UTC),
        resources={
            "batching": RunBatching(metadata_batch_size=3, parallel_runs=1),
            "database": resources["database"],
        },
    ) as context:
        [request] = movie_reviews_batch_daily(context)
    assert request.run_config["ops"]["movie_reviews_batch"]["config"]["movie_ids"] == MOVIES
    replica.ignores_review_sort = True  # most helpful first: the dates are out of order
    result = defs.resolve_job_def("movie_reviews_batch_job").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags
    )

    # The batch succeeded with two movies stored in full, each its own partition's materialization
    # and check result.
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.tags[SCRAPE_TAG] == "reviews"
    assert materialized_partitions(instance, movie_reviews.key, MOVIES, result.run_id) == STORED
    with clean_db.connect() as conn:
        assert stored_review_counts(conn, MOVIES) == {m: REVIEWS[m] for m in STORED}
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert sorted((c.partition, c.check_name, c.passed) for c in checks) == [
        (m, "review_count_matches_imdb", True) for m in STORED
    ]
    reported = step_output_metadata(result)
    assert (reported["movies"], reported["done"], reported["failed"]) == (3, 2, 1)
    assert out_of_order_warnings(instance, result.run_id) == STORED

    # The failed movie is retried alone by a single-movie review scrape.
    assert run.tags[RETRY_MOVIES_TAG] == FAILING
    [retry] = batch_failures_sensor_requests(instance, run)
    assert (retry.job_name, retry.partition_key) == ("movie_reviews_job", FAILING)
    retried = defs.resolve_job_def("movie_reviews_job").execute_in_process(
        partition_key=retry.partition_key, instance=instance
    )
    assert retried.success and materialized_partitions(
        instance, movie_reviews.key, MOVIES, retried.run_id
    ) == [FAILING]
    assert out_of_order_warnings(instance, retried.run_id) == [FAILING]
    [materialization] = retried.asset_materializations_for_node("movie_reviews")
    assert materialization.metadata["newest_first"].value is False
    with clean_db.connect() as conn:
        assert stored_review_counts(conn, MOVIES) == REVIEWS
    instance.dispose()


def out_of_order_warnings(instance: DagsterInstance, run_id: str) -> list[str]:
    """The movies a run's log warns were served out of date order."""
    return sorted(
        entry.user_message.split(":")[0]
        for entry in instance.all_logs(run_id)
        if entry.level == logging.WARNING and "out of date order" in entry.user_message
    )
