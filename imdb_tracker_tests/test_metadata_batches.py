"""Many movies per run: the hourly metadata batches, one movie failing, one held by another writer.

A `movie_metadata_batch_job` run over six synthetic replica movies on the session's real Dagster
instance and PostgreSQL, with real Chromium: the replica answers one title page with a 404 once,
and another movie's metadata writer lock is held by "another run" throughout. The other four are
stored and each gets its own materialization of its `movie_metadata` partition; the failed one is
listed by the run and `batch_failures_sensor` asks for a single-movie run of it alone, which then
stores it; the locked one is skipped (its writer is refreshing it), neither written nor retried.
The second test takes the same path through `imdb-tracker ui`: the run queue, the daemon's run
launcher, and the daemon evaluating `batch_failures_sensor`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster import DagsterInstance
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import Engine, func, select

from imdb_tracker.db.locks import movie_writer_lock
from imdb_tracker.db.schema import movie_snapshots, movies
from imdb_tracker.defs.movies.assets import movie_metadata
from imdb_tracker.defs.movies.automation import (
    batch_failures_sensor,
    movie_metadata_batch_hourly,
    movie_metadata_job,
)
from imdb_tracker.defs.movies.batches import (
    BATCH_TAG,
    RETRY_MOVIES_TAG,
    movie_metadata_batch_job,
    split_into_batches,
)
from imdb_tracker.defs.partitions import MOVIES_PARTITION, PARTITION_TAG, SCRAPE_TAG
from imdb_tracker.defs.resources import RunBatching
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica.server import Fault, Replica, start_replica
from imdb_tracker_tests.cli_support import free_port, only_these_sensors_running, start_ui, wait_for_graphql
from imdb_tracker_tests.fakes import TEST_RATE
from imdb_tracker_tests.pipeline_support import (
    batch_failures_sensor_requests,
    materialized_partitions,
    pipeline_resources,
    step_output_metadata,
)

MOVIES = [f"tt93000{n:02d}" for n in range(6)]
FAILING, LOCKED = MOVIES[2], MOVIES[4]
STORED = [m for m in MOVIES if m not in (FAILING, LOCKED)]


@pytest.mark.fast
def test_batches_are_consecutive_near_equal_and_at_least_five() -> None:
    ids = [f"tt{n:07d}" for n in range(5000)]
    batches = split_into_batches(ids, max_size=100, min_batches=5)
    assert len(batches) == 50 and {len(b) for b in batches} == {100}
    assert [m for b in batches for m in b] == ids
    assert [len(b) for b in split_into_batches(ids[:100], 100, 5)] == [20] * 5
    assert [len(b) for b in split_into_batches(ids[:1003], 100, 5)] == [92] * 2 + [91] * 9
    assert split_into_batches(ids[:3], 100, 5) == [[i] for i in ids[:3]]
    assert split_into_batches([], 100, 5) == []


@pytest.fixture
def replica() -> Iterator[Replica]:
    server = start_replica(
        synthetic_range=(MOVIES[0], MOVIES[-1]),
        faults=[Fault(route="title", movie_id=FAILING, every=1, status=404, times=1)],
    )
    yield server
    server.stop()


def stored_titles(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(movies.c.movie_id, movies.c.title).where(movies.c.movie_id.in_(MOVIES)))
        return {row.movie_id: row.title for row in rows}


def snapshot_count(engine: Engine, movie_id: str) -> int:
    with engine.connect() as conn:
        query = (
            select(func.count()).select_from(movie_snapshots).where(movie_snapshots.c.movie_id == movie_id)
        )
        return conn.execute(query).scalar_one()


def test_a_failing_movie_does_not_fail_the_batch_and_is_retried_alone(
    clean_db: Engine, no_tracked_movies, replica: Replica
) -> None:
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(MOVIES_PARTITION, MOVIES)
    defs = dg.Definitions(
        assets=[movie_metadata],
        jobs=[movie_metadata_batch_job, movie_metadata_job],
        schedules=[movie_metadata_batch_hourly],
        sensors=[batch_failures_sensor],
        resources=pipeline_resources(imdb_base_url=replica.base_url, imdb_requests_per_second=TEST_RATE),
    )
    # The hourly schedule asks for this very run (a batch size of 6, at least one run).
    batching = RunBatching(metadata_batch_size=6, parallel_runs=1)
    tick = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick, resources={"batching": batching}
    ) as context:
        [request] = movie_metadata_batch_hourly(context)
    assert request.run_config["ops"]["movie_metadata_batch"]["config"]["movie_ids"] == MOVIES

    other_writer_done = threading.Event()
    lock_held = threading.Event()

    def other_writer() -> None:
        with movie_writer_lock(clean_db, LOCKED, what="metadata"):
            lock_held.set()
            other_writer_done.wait(120)

    holder = threading.Thread(target=other_writer)
    holder.start()
    try:
        assert lock_held.wait(30)
        result = defs.resolve_job_def("movie_metadata_batch_job").execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags
        )
    finally:
        other_writer_done.set()
        holder.join()

    # The batch succeeded with four movies stored, each its own materialization of its partition.
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.tags[SCRAPE_TAG] == "metadata" and BATCH_TAG in run.tags
    assert PARTITION_TAG not in run.tags  # one run, many partitions
    assert materialized_partitions(instance, movie_metadata.key, MOVIES, result.run_id) == STORED
    titles = stored_titles(clean_db)
    assert titles == {m: f"Synthetic Movie {m[2:]}" for m in STORED}
    assert all(snapshot_count(clean_db, m) == 1 for m in STORED)
    reported = step_output_metadata(result)
    assert (reported["movies"], reported["done"], reported["failed"], reported["skipped_busy"]) == (
        6,
        4,
        1,
        1,
    )
    assert FAILING in str(reported["failures"]) and "IMDb has no title" in str(reported["failures"])

    # The failed movie (only it: the locked one was being written by its other writer) is retried alone.
    assert run.tags[RETRY_MOVIES_TAG] == FAILING
    [retry] = batch_failures_sensor_requests(instance, run)
    assert retry.partition_key == FAILING
    retried = defs.resolve_job_def("movie_metadata_job").execute_in_process(
        partition_key=retry.partition_key, instance=instance
    )
    assert retried.success
    retry_run = instance.get_run_by_id(retried.run_id)
    assert retry_run is not None and retry_run.tags[PARTITION_TAG] == FAILING
    assert materialized_partitions(instance, movie_metadata.key, MOVIES, retried.run_id) == [FAILING]
    assert stored_titles(clean_db)[FAILING] == f"Synthetic Movie {FAILING[2:]}"
    assert LOCKED not in stored_titles(clean_db)
    assert replica.requests["title"] == 6  # five pages (the locked movie is never loaded) and the retry
    instance.dispose()


@pytest.mark.slow
def test_the_daemon_retries_a_failed_movie_of_a_batch_alone(
    clean_db: Engine, no_tracked_movies, replica
) -> None:
    """The same batch through `imdb-tracker ui` (webserver + daemon): submitted to the run queue,
    launched by the daemon, and the retry requested by the daemon's `batch_failures_sensor`."""
    instance = DagsterInstance.get()
    started_at = datetime.now(UTC)
    port = free_port()
    with only_these_sensors_running(instance, keep={"batch_failures_sensor"}):
        instance.add_dynamic_partitions(MOVIES_PARTITION, MOVIES)
        ui = start_ui(port, IMDB_BASE_URL=replica.base_url, IMDB_REQUESTS_PER_SECOND=str(TEST_RATE))
        try:
            wait_for_graphql(port)
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            batch_id = client.submit_job_execution(
                "movie_metadata_batch_job",
                repository_location_name="imdb_tracker",
                run_config={"ops": {"movie_metadata_batch": {"config": {"movie_ids": MOVIES}}}},
            )
            deadline = time.monotonic() + 300
            runs: list[dg.DagsterRun] = []
            while time.monotonic() < deadline:
                runs = instance.get_runs(dg.RunsFilter(created_after=started_at))
                if len(runs) == 2 and all(
                    r.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE) for r in runs
                ):
                    break
                time.sleep(1)
        finally:
            stop_process_group(ui)
    by_job = {r.job_name: r for r in runs}
    assert set(by_job) == {"movie_metadata_batch_job", "movie_metadata_job"}, [
        (r.job_name, r.status) for r in runs
    ]
    batch, retry = by_job["movie_metadata_batch_job"], by_job["movie_metadata_job"]
    assert batch.run_id == batch_id and batch.status == dg.DagsterRunStatus.SUCCESS
    assert retry.status == dg.DagsterRunStatus.SUCCESS and retry.tags[PARTITION_TAG] == FAILING
    assert materialized_partitions(instance, movie_metadata.key, MOVIES, batch_id) == [
        m for m in MOVIES if m != FAILING
    ]
    assert materialized_partitions(instance, movie_metadata.key, MOVIES, retry.run_id) == [FAILING]
    assert sorted(stored_titles(clean_db)) == MOVIES
    instance.dispose()
