"""Jobs, schedules and sensors of the per-movie assets: what runs without a human.

Names follow one pattern across the code location: a job is ``<asset>_job``, a schedule
``<asset>_<cadence>`` and a sensor ``<what it reacts to>_sensor``.

- ``new_movies_sensor``: a movie added from the CLI or the UI gets its metadata scraped at once.
- ``movie_metadata_batch_hourly``: metadata of every movie, every hour, in batches of many movies per run
  (``movie_metadata_batch_job``, see ``batches.py``).
- ``batch_failures_sensor``: a movie that failed in a batch (metadata or reviews) is retried alone
  (a single-movie run).
- ``new_reviews_sensor``: when the newest metadata announces more reviews than are stored, scrape
  the new ones (incremental: newest first, up to the first page already stored).
- ``movie_reviews_batch_daily``: full review re-scrape of every movie (edits, deletions, votes), in
  batches of many movies per run (``movie_reviews_batch_job``).
- ``sentiments_automation_sensor``: declarative automation (``AutomationCondition.eager()``) scores
  new and edited reviews after each review materialization.
- ``movie_health_checks_quarter_hourly``: the scheduled checks (metadata freshness, reviews still
  arriving), independent of the schedules and sensors they watch.

Every run carries a maximum run time (``dagster/max_runtime``, see ``defs/policies.py``): Dagster's
run monitoring ends a run that hangs, and run retries launch it again.
"""

import json

import dagster as dg

from imdb_tracker.db.movies import movies_with_unscraped_reviews
from imdb_tracker.db.reviews import stored_review_counts
from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.movies.batches import (
    batch_run_request,
    movie_metadata_batch_job,
    movie_reviews_batch_job,
    retry_movies,
    review_pages,
    split_by_pages,
    split_into_batches,
)
from imdb_tracker.defs.movies.checks import SCHEDULED_CHECKS
from imdb_tracker.defs.partitions import SCRAPE_TAG, movies_partitions, tracked_movies
from imdb_tracker.defs.policies import (
    CHECKS_RUN_LIMIT,
    METADATA_RUN_LIMIT,
    REVIEWS_RUN_LIMIT,
    SENTIMENTS_RUN_LIMIT,
)
from imdb_tracker.defs.resources import RunBatching, TrackerDatabase

movie_metadata_job = dg.define_asset_job(
    "movie_metadata_job",
    selection=dg.AssetSelection.assets(movie_metadata),
    partitions_def=movies_partitions,
    tags={SCRAPE_TAG: "metadata", **METADATA_RUN_LIMIT},
    description="Scrape the title page of one movie (a movie just added, a retry, a manual run).",
)

movie_reviews_job = dg.define_asset_job(
    "movie_reviews_job",
    selection=dg.AssetSelection.assets(movie_reviews),
    partitions_def=movies_partitions,
    tags={SCRAPE_TAG: "reviews", **REVIEWS_RUN_LIMIT},
    description="Scrape the reviews of one movie (all of them, or with `incremental` only the new ones).",
)

INCREMENTAL = {"ops": {"movie_reviews": {"config": {"incremental": True}}}}
"""Run config of a review scrape that stops at the first page already stored and unchanged."""

movie_health_checks_job = dg.define_asset_job(
    "movie_health_checks_job",
    selection=dg.AssetSelection.checks(*SCHEDULED_CHECKS),
    tags=CHECKS_RUN_LIMIT,
    description="Is the metadata of every tracked movie fresh, and do new reviews keep arriving?",
)


@dg.schedule(
    name="movie_metadata_batch_hourly",
    job=movie_metadata_batch_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Metadata of every tracked movie, hourly, in batches of up to METADATA_BATCH_SIZE movies "
    "per run (one browser each, a materialization per movie).",
)
def movie_metadata_batch_hourly(
    context: dg.ScheduleEvaluationContext, batching: RunBatching
) -> list[dg.RunRequest]:
    """Consecutive batches of the sorted movies, keyed ``batch:tick`` so a repeated tick adds nothing."""
    tick = context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")
    batches = split_into_batches(
        tracked_movies(context.instance), batching.metadata_batch_size, batching.parallel_runs
    )
    return [
        batch_run_request("movie_metadata_batch", batch, f"metadata-batch-{index}:{tick}")
        for index, batch in enumerate(batches)
    ]


@dg.schedule(
    name="movie_reviews_batch_daily",
    job=movie_reviews_batch_job,
    cron_schedule="30 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Full review re-scrape of every tracked movie, daily (edits, deletions, helpfulness votes), "
    "in batches of many movies per run (one browser each, a materialization per movie).",
)
def movie_reviews_batch_daily(
    context: dg.ScheduleEvaluationContext, batching: RunBatching, database: TrackerDatabase
) -> list[dg.RunRequest]:
    """Consecutive batches of the sorted movies (as for the metadata, and at most
    ``REVIEW_PAGES_PER_BATCH`` review pages each, by the reviews stored), keyed ``batch:day``."""
    tick = context.scheduled_execution_time.strftime("%Y-%m-%d")
    movie_ids = tracked_movies(context.instance)
    with database.engine().connect() as conn:
        pages = {m: review_pages(n) for m, n in stored_review_counts(conn, movie_ids).items()}
    batches = split_by_pages(
        split_into_batches(movie_ids, batching.metadata_batch_size, batching.parallel_runs), pages
    )
    return [
        batch_run_request("movie_reviews_batch", batch, f"reviews-batch-{index}:{tick}")
        for index, batch in enumerate(batches)
    ]


@dg.schedule(
    name="movie_health_checks_quarter_hourly",
    job=movie_health_checks_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Metadata freshness and review arrival of every tracked movie, every 15 minutes.",
)
def movie_health_checks_quarter_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M"))


@dg.sensor(
    job=movie_reviews_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests an incremental review scrape when the newest metadata announces more reviews "
    "than are stored.",
)
def new_reviews_sensor(context: dg.SensorEvaluationContext, database: TrackerDatabase) -> dg.SensorResult:
    """The cursor remembers the announced count last requested per movie, so one announcement
    leads to one run (the run key ``movie:count`` guards against duplicates as well). The run is
    incremental: new reviews are on the first pages."""
    requested: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    with database.engine().connect() as conn:
        behind = movies_with_unscraped_reviews(conn, tracked_movies(context.instance))
    run_requests = []
    for movie_id, announced, stored in behind:
        if requested.get(movie_id) == announced:
            continue
        context.log.debug(f"{movie_id}: IMDb announces {announced} reviews, {stored} stored")
        run_requests.append(
            dg.RunRequest(run_key=f"{movie_id}:{announced}", partition_key=movie_id, run_config=INCREMENTAL)
        )
        requested[movie_id] = announced
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(requested, sort_keys=True))


@dg.sensor(
    job=movie_metadata_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Scrapes the metadata of a newly added movie at once; its reviews and sentiments follow.",
)
def new_movies_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """The cursor is the set of movies already seen; a newly added partition gets one metadata run."""
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    tracked = tracked_movies(context.instance)
    run_requests = [dg.RunRequest(partition_key=movie_id) for movie_id in tracked if movie_id not in seen]
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(tracked))


@dg.run_status_sensor(
    name="batch_failures_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[movie_metadata_batch_job, movie_reviews_batch_job],
    request_jobs=[movie_metadata_job, movie_reviews_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Retries each movie that failed in a metadata or reviews batch alone, in a single-movie run.",
)
def batch_failures_sensor(context: dg.RunStatusSensorContext) -> list[dg.RunRequest]:
    """One single-movie run (``movie_metadata_job`` or ``movie_reviews_job``, as the batch) per
    movie the batch listed, keyed ``batch run:movie``."""
    run = context.dagster_run
    job = RETRY_JOBS[run.job_name]
    return [
        dg.RunRequest(run_key=f"{run.run_id}:{m}", partition_key=m, job_name=job) for m in retry_movies(run)
    ]


RETRY_JOBS = {
    movie_metadata_batch_job.name: movie_metadata_job.name,
    movie_reviews_batch_job.name: movie_reviews_job.name,
}
"""The single-movie job that retries a movie failed in a batch of each batch job."""


sentiments_automation_sensor = dg.AutomationConditionSensorDefinition(
    "sentiments_automation_sensor",
    target=dg.AssetSelection.assets(review_sentiments),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags=SENTIMENTS_RUN_LIMIT,
    description="Scores new and edited reviews after each review scrape (AutomationCondition.eager()).",
)
