"""A hung run is ended by Dagster's run monitoring within its bound and launched again.

`imdb-tracker ui` (webserver + daemon, the instance's real ``dagster.yaml``) serves the code
location. The replica's title page never answers the first request, and the client's own timeout is
set far beyond the run's bound (``IMDB_TIMEOUT_S=600``), so only the run bound can end the wait: a
metadata run launched with ``dagster/max_runtime`` = 40 s must fail within that bound plus one
monitoring interval (30 s), and run retries must launch it again and succeed (the retry inherits
the bound: 40 s leaves room for a run worker to start on a busy machine).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import Engine, func, select

from imdb_tracker.db.schema import movie_snapshots
from imdb_tracker.defs.partitions import MOVIES_PARTITION, PARTITION_TAG
from imdb_tracker.defs.policies import MAX_RUNTIME_TAG
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica import Fault, start_replica
from imdb_tracker_tests.cli_support import free_port, only_these_sensors_running, start_ui, wait_for_graphql

MOVIE = "tt0029583"
BOUND_S = 40
POLL_S = 30  # run_monitoring.poll_interval_seconds in dagster.yaml


def failure_message(instance: DagsterInstance, run_id: str) -> str:
    events = instance.all_logs(run_id, of_type=DagsterEventType.PIPELINE_FAILURE)
    return " | ".join(event.message for event in events)


@pytest.mark.slow
def test_a_hung_metadata_run_fails_within_its_bound_and_its_retry_succeeds(
    clean_db: Engine, no_tracked_movies, database_urls
) -> None:
    replica = start_replica(faults=[Fault(route="title", every=1, hang=True, times=1)])
    port = free_port()
    instance = DagsterInstance.get()
    started_at = datetime.now(UTC)
    # Only our run may meet the hanging page: every sensor and schedule is stopped before the daemon
    # starts (stopped from the UI after start-up, a sensor tick already under way still scraped the
    # new movie once).
    with only_these_sensors_running(instance, keep=set()):
        ui = start_ui(
            port, IMDB_BASE_URL=replica.base_url, IMDB_REQUESTS_PER_SECOND="50", IMDB_TIMEOUT_S="600"
        )
        try:
            wait_for_graphql(port)
            instance.add_dynamic_partitions(MOVIES_PARTITION, [MOVIE])
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            first_id = client.submit_job_execution(
                "movie_metadata_job",
                repository_location_name="imdb_tracker",
                tags={PARTITION_TAG: MOVIE, MAX_RUNTIME_TAG: str(BOUND_S)},
            )
            retry = None
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                group = instance.get_run_records(
                    RunsFilter(tags={PARTITION_TAG: MOVIE}, created_after=started_at)
                )
                retries = [r for r in group if r.dagster_run.root_run_id == first_id]
                if retries and retries[0].dagster_run.status in (
                    DagsterRunStatus.SUCCESS,
                    DagsterRunStatus.FAILURE,
                ):
                    retry = retries[0]
                    break
                time.sleep(1)
            first = instance.get_run_record_by_id(first_id)
        finally:
            stop_process_group(ui)
            instance.delete_dynamic_partition(MOVIES_PARTITION, MOVIE)
            replica.stop()

    assert first is not None and first.dagster_run.status == DagsterRunStatus.FAILURE
    assert f"Exceeded maximum runtime of {BOUND_S} seconds" in failure_message(instance, first_id)
    assert first.start_time is not None and first.end_time is not None
    failed_after = first.end_time - first.start_time
    assert retry is not None, "run retries did not launch the hung run again"
    assert retry.dagster_run.status == DagsterRunStatus.SUCCESS, failure_message(
        instance, retry.dagster_run.run_id
    )
    assert retry.dagster_run.tags.get("dagster/retry_number") == "1"
    assert retry.start_time is not None and retry.end_time is not None
    print(
        f"\nhung run: failed {failed_after:.0f} s after it started (bound {BOUND_S} s + monitoring every "
        f"{POLL_S} s); retry started {retry.start_time - first.end_time:.0f} s later and succeeded in "
        f"{retry.end_time - retry.start_time:.0f} s"
    )
    assert BOUND_S <= failed_after <= BOUND_S + POLL_S + 15
    assert replica.faults[0].struck == 1  # only the first run met the page that never answers
    with clean_db.connect() as conn:
        snapshots = conn.execute(
            select(func.count()).select_from(movie_snapshots).where(movie_snapshots.c.movie_id == MOVIE)
        ).scalar_one()
    instance.dispose()
    assert snapshots == 1
