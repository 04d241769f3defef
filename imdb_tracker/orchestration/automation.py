"""Jobs, schedules and sensors: what runs without a human.

- ``new_movies_sensor``: a movie added from the CLI or the UI gets its metadata scraped at once.
- ``hourly_metadata_schedule``: metadata of every movie, every hour.
- ``new_reviews_sensor``: when the newest metadata announces more reviews than are stored, scrape them.
- ``daily_reviews_schedule``: full review re-scrape of every movie (edits, deletions, votes).
- ``sentiments_follow_reviews``: declarative automation (``AutomationCondition.eager()``) scores
  new and edited reviews after each review materialization.
"""

import json

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    schedule,
    sensor,
)

from imdb_tracker.db.movies import movies_with_unscraped_reviews
from imdb_tracker.orchestration.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.orchestration.partitions import movies_partitions
from imdb_tracker.orchestration.resources import TrackerDatabase
from imdb_tracker.orchestration.tags import SCRAPE_TAG

scrape_metadata_job = define_asset_job(
    "scrape_metadata",
    selection=AssetSelection.assets(movie_metadata),
    partitions_def=movies_partitions,
    tags={SCRAPE_TAG: "metadata"},
    description="Scrape the title page of one movie.",
)

scrape_reviews_job = define_asset_job(
    "scrape_reviews",
    selection=AssetSelection.assets(movie_reviews),
    partitions_def=movies_partitions,
    tags={SCRAPE_TAG: "reviews"},
    description="Scrape every review of one movie.",
)


def _tracked(instance) -> list[str]:
    return sorted(instance.get_dynamic_partitions(movies_partitions.name))


def one_run_per_movie(context: ScheduleEvaluationContext, tick_format: str) -> list[RunRequest]:
    """A run request per tracked movie, keyed ``movie:tick`` so a repeated tick adds nothing."""
    tick = context.scheduled_execution_time.strftime(tick_format)
    return [
        RunRequest(run_key=f"{movie_id}:{tick}", partition_key=movie_id)
        for movie_id in _tracked(context.instance)
    ]


@schedule(
    job=scrape_metadata_job,
    cron_schedule="0 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Metadata of every tracked movie, hourly (one run per movie).",
)
def hourly_metadata_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    return one_run_per_movie(context, "%Y-%m-%dT%H:%M")


@schedule(
    job=scrape_reviews_job,
    cron_schedule="30 3 * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Full review re-scrape of every tracked movie, daily (edits, deletions, helpfulness votes).",
)
def daily_reviews_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    return one_run_per_movie(context, "%Y-%m-%d")


@sensor(
    job=scrape_reviews_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a review scrape when the newest metadata announces more reviews than are stored.",
)
def new_reviews_sensor(context: SensorEvaluationContext, database: TrackerDatabase) -> SensorResult:
    """The cursor remembers the announced count last requested per movie, so one announcement
    leads to one run (the run key ``movie:count`` guards against duplicates as well)."""
    requested: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    with database.engine().connect() as conn:
        behind = movies_with_unscraped_reviews(conn, _tracked(context.instance))
    run_requests = []
    for movie_id, announced, stored in behind:
        if requested.get(movie_id) == announced:
            continue
        context.log.debug(f"{movie_id}: IMDb announces {announced} reviews, {stored} stored")
        run_requests.append(RunRequest(run_key=f"{movie_id}:{announced}", partition_key=movie_id))
        requested[movie_id] = announced
    return SensorResult(run_requests=run_requests, cursor=json.dumps(requested, sort_keys=True))


@sensor(
    job=scrape_metadata_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Scrapes the metadata of a newly added movie at once; its reviews and sentiments follow.",
)
def new_movies_sensor(context: SensorEvaluationContext) -> SensorResult:
    """The cursor is the set of movies already seen; a newly added partition gets one metadata run."""
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    tracked = _tracked(context.instance)
    run_requests = [RunRequest(partition_key=movie_id) for movie_id in tracked if movie_id not in seen]
    return SensorResult(run_requests=run_requests, cursor=json.dumps(tracked))


sentiments_follow_reviews = AutomationConditionSensorDefinition(
    "sentiments_follow_reviews",
    target=AssetSelection.assets(review_sentiments),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Scores new and edited reviews after each review scrape (AutomationCondition.eager()).",
)
