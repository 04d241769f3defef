"""The run queue of `dagster.yaml` on a real instance: at most 5 scrapes at once, one per movie.

Twelve `scrape_metadata` runs over eight movies are submitted to the session's Dagster instance
(PostgreSQL storage, the repository's `dagster.yaml`); the real queued-run coordinator daemon
dequeues them and the default run launcher executes them in subprocesses against a slowed-down
IMDb replica. Concurrency is read back from the run records (start and end times).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._cli.job import _create_run  # what `dagster job launch` uses to create a run
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from imdb_tracker.orchestration.partitions import MOVIES_PARTITION
from imdb_tracker.orchestration.tags import PARTITION_TAG
from imdb_tracker_tests.replica.server import Fault, start_replica

REPO = Path(__file__).resolve().parent.parent
MOVIES = ["tt0029583", "tt6208148", *(f"tt90000{n:02d}" for n in range(6))]
REQUESTS = MOVIES + MOVIES[:4]  # 12 runs; the first four movies twice
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Largest number of intervals open at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, delta in events:
        open_now += delta
        peak = max(peak, open_now)
    return peak


def test_at_most_five_scrapes_and_one_per_movie(database_urls, monkeypatch) -> None:
    replica = start_replica(faults=[Fault(route="title", every=1, status=None, delay_s=6.0)])
    for movie_id in MOVIES[2:]:
        replica.add_synthetic_movie(movie_id, 5)
    monkeypatch.setenv("IMDB_BASE_URL", replica.base_url)
    monkeypatch.setenv("IMDB_REQUESTS_PER_SECOND", "50")
    instance = DagsterInstance.get()
    try:
        instance.add_dynamic_partitions(MOVIES_PARTITION, MOVIES)
        target = WorkspaceFileTarget([str(REPO / "workspace.yaml")])
        with create_test_daemon_workspace_context(target, instance) as workspace_context:
            workspace = workspace_context.create_request_context()
            location = workspace.get_code_location("imdb_tracker")
            repo = location.get_repository("__repository__")
            remote_job = repo.get_full_job("scrape_metadata")
            run_ids = []
            for movie_id in REQUESTS:
                run = _create_run(
                    instance, location, repo, remote_job, {}, {PARTITION_TAG: movie_id}, None, None
                )
                instance.submit_run(run.run_id, workspace)
                run_ids.append(run.run_id)
            assert {r.status for r in instance.get_runs(RunsFilter(run_ids=run_ids))} == {
                DagsterRunStatus.QUEUED
            }

            daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
            observed_peak = 0
            deadline = time.monotonic() + 420
            while time.monotonic() < deadline:
                list(daemon.run_iteration(workspace_context))
                runs = instance.get_runs(RunsFilter(run_ids=run_ids))
                active = [
                    r for r in runs if r.status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED)
                ]
                observed_peak = max(observed_peak, len(active))
                active_movies = [r.tags[PARTITION_TAG] for r in active]
                assert len(active_movies) == len(set(active_movies)), active_movies
                if all(r.status in FINISHED for r in runs):
                    break
                time.sleep(0.5)

        records = instance.get_run_records(RunsFilter(run_ids=run_ids))
        assert all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in records), [
            (r.dagster_run.tags[PARTITION_TAG], r.dagster_run.status) for r in records
        ]
        spans = {r.dagster_run.run_id: (r.start_time, r.end_time) for r in records}
        assert max_overlap(list(spans.values())) <= 5
        assert observed_peak == 5  # the queue did run five at once: the limit, not luck, held it there
        for movie_id in set(REQUESTS):
            mine = [
                spans[r.dagster_run.run_id] for r in records if r.dagster_run.tags[PARTITION_TAG] == movie_id
            ]
            assert max_overlap(mine) == 1, movie_id
    finally:
        for movie_id in MOVIES:
            instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
        instance.dispose()
        replica.stop()
        os.environ.pop("IMDB_BASE_URL", None)
