"""The run queue of `dagster.yaml` on a real deployment: at most 5 scrapes at once, one per movie.

`imdb-tracker ui` (what `make up` runs: the Dagster webserver and daemon on the session's instance)
serves the code location; twelve `movie_metadata_job` runs over eight movies and two
`movie_metadata_batch_job` runs over all eight (what the hourly schedule launches) are submitted
through Dagster's public GraphQL client, the way a user or a script launches runs. The daemon's
queued-run coordinator dequeues them and the default run launcher executes them in subprocesses
against a slowed-down IMDb replica. Concurrency is read back from the run records (start and end times).

The movies are added as partitions, so `new_movies_sensor` adds metadata runs of its own and
`new_reviews_sensor` review runs: the limits must hold for every run, not only for ours. Two movies
announce reviews, so review scrapes (and the sentiment and reception runs after them) are in the mix;
the other six have none, which keeps the number of runs, and the time on two cores, down.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient

from imdb_tracker.defs.movies.batches import batch_run_request
from imdb_tracker.defs.partitions import MOVIES_PARTITION, PARTITION_TAG, SCRAPE_TAG
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica.server import Fault, start_replica
from imdb_tracker_tests.cli_support import free_port, start_ui, wait_for_graphql

MOVIES = [f"tt90000{n:02d}" for n in range(8)]
REQUESTS = MOVIES + MOVIES[:4]  # 12 runs; the first four movies twice
BATCHES = [MOVIES[:4], MOVIES[4:]]  # and two metadata batch runs over them all
WITH_REVIEWS = MOVIES[:2]
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
ACTIVE = {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED}


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Largest number of intervals open at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, delta in events:
        open_now += delta
        peak = max(peak, open_now)
    return peak


# Every run is a subprocess that imports Dagster and the code location: 207-274 s on a quiet 2-core
# machine, 450 s in a clean-clone CI run on a busy one, so the bounds leave room beyond that.
@pytest.mark.timeout(900)
def test_at_most_five_scrapes_and_one_per_movie(no_tracked_movies, database_urls) -> None:
    replica = start_replica(faults=[Fault(route="title", every=1, status=None, delay_s=6.0)])
    for movie_id in MOVIES:
        replica.add_synthetic_movie(movie_id, 5 if movie_id in WITH_REVIEWS else 0)
    port = free_port()
    ui = start_ui(port, IMDB_BASE_URL=replica.base_url, IMDB_REQUESTS_PER_SECOND="50")
    instance = DagsterInstance.get()
    started_at = datetime.now(UTC)
    try:
        wait_for_graphql(port)
        instance.add_dynamic_partitions(MOVIES_PARTITION, MOVIES)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        run_ids = [
            client.submit_job_execution(
                "movie_metadata_job", repository_location_name="imdb_tracker", tags={PARTITION_TAG: movie_id}
            )
            for movie_id in REQUESTS
        ]
        batches = [batch_run_request("movie_metadata_batch", batch, run_key="") for batch in BATCHES]
        run_ids += [  # what the hourly schedule launches, which may also fire during the test
            client.submit_job_execution(
                "movie_metadata_batch_job",
                repository_location_name="imdb_tracker",
                run_config=request.run_config,
                tags=dict(request.tags),
            )
            for request in batches
        ]
        observed_peak = 0
        deadline = time.monotonic() + 780
        while time.monotonic() < deadline:
            runs = [
                r for r in instance.get_runs(RunsFilter(created_after=started_at)) if SCRAPE_TAG in r.tags
            ]
            active = [r for r in runs if r.status in ACTIVE]
            observed_peak = max(observed_peak, len(active))
            # A batch run counts towards the five but has no partition tag (it takes each movie's
            # writer lock instead), so one movie per run is checked on the single-movie runs.
            active_movies = [r.tags[PARTITION_TAG] for r in active if PARTITION_TAG in r.tags]
            assert len(active_movies) == len(set(active_movies)), active_movies
            ours = [r for r in runs if r.run_id in run_ids]
            reviewed = {r.tags[PARTITION_TAG] for r in runs if r.job_name == "movie_reviews_job"}
            if (
                len(ours) == len(run_ids)
                and reviewed >= set(WITH_REVIEWS)
                and all(r.status in FINISHED for r in runs)
            ):
                break
            time.sleep(0.5)
    finally:
        stop_process_group(ui)
        for movie_id in MOVIES:
            instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
        replica.stop()

    records = [
        r
        for r in instance.get_run_records(RunsFilter(created_after=started_at))
        if SCRAPE_TAG in r.dagster_run.tags
    ]
    instance.dispose()
    ours = [r for r in records if r.dagster_run.run_id in run_ids]
    assert len(ours) == 14 and all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in ours), [
        (r.dagster_run.job_name, r.dagster_run.tags.get(PARTITION_TAG), r.dagster_run.status) for r in ours
    ]
    spans = [(r.start_time, r.end_time) for r in records if r.start_time and r.end_time]
    assert len(spans) >= 14
    reviews = {
        r.dagster_run.tags[PARTITION_TAG] for r in records if r.dagster_run.job_name == "movie_reviews_job"
    }
    assert reviews >= set(WITH_REVIEWS)  # review scrapes were queued beside the metadata scrapes
    assert max_overlap(spans) <= 5
    assert observed_peak == 5  # the queue did run five at once: the limit, not luck, held it there
    for movie_id in MOVIES:
        mine = [
            (r.start_time, r.end_time)
            for r in records
            if r.dagster_run.tags.get(PARTITION_TAG) == movie_id and r.start_time and r.end_time
        ]
        assert max_overlap(mine) == 1, movie_id
