"""The dashboards' pre-aggregated views, refreshed on a schedule and after on-demand runs."""

import time

from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from imdb_tracker.db.reporting import MATERIALIZED_VIEWS, refresh_reporting
from imdb_tracker.orchestration.assets import (
    IO_RETRY,
    OWNERS,
    movie_metadata,
    movie_reviews,
    review_sentiments,
)
from imdb_tracker.orchestration.resources import TrackerDatabase


@asset(
    group_name="reporting",
    owners=OWNERS,
    kinds={"postgres", "superset"},
    retry_policy=IO_RETRY,
    deps=[movie_metadata, movie_reviews, review_sentiments],
)
def reporting_views(context: AssetExecutionContext, database: TrackerDatabase) -> MaterializeResult:
    """The materialized aggregates behind the Superset dashboards (reviews per week and month,
    aspect histograms, per-movie review stats), recomputed from the current tables.

    Refreshed ``CONCURRENTLY``, so dashboards stay readable during the refresh.
    """
    started = time.monotonic()
    with database.engine().begin() as conn:
        refresh_reporting(conn)
    seconds = round(time.monotonic() - started, 2)
    context.log.info(f"refreshed {len(MATERIALIZED_VIEWS)} materialized views in {seconds} s")
    return MaterializeResult(metadata={"views": list(MATERIALIZED_VIEWS), "refresh_seconds": seconds})


refresh_reporting_job = define_asset_job(
    "refresh_reporting", selection=[reporting_views], description="Refresh the dashboards' aggregates."
)

reporting_refresh_schedule = ScheduleDefinition(
    name="reporting_refresh_every_15_minutes",
    job=refresh_reporting_job,
    cron_schedule="*/15 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Keeps dashboards at most 15 minutes behind the pipeline.",
)
