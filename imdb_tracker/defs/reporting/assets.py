"""The dashboards' pre-aggregated views, recomputed from the current tables."""

import time

import dagster as dg

from imdb_tracker.db.reporting import MATERIALIZED_VIEWS, refresh_reporting
from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.resources import TrackerDatabase


@dg.asset(
    group_name="reporting",
    owners=OWNERS,
    kinds={"postgres", "superset"},
    retry_policy=IO_RETRY,
    deps=[movie_metadata, movie_reviews, review_sentiments],
)
def reporting_views(context: dg.AssetExecutionContext, database: TrackerDatabase) -> dg.MaterializeResult:
    """The materialized aggregates behind the Superset dashboards (reviews per week and month,
    aspect histograms, per-movie review stats), recomputed from the current tables.

    Refreshed ``CONCURRENTLY``, so dashboards stay readable during the refresh.
    """
    started = time.monotonic()
    with database.engine().begin() as conn:
        refresh_reporting(conn)
    seconds = round(time.monotonic() - started, 2)
    context.log.info(f"refreshed {len(MATERIALIZED_VIEWS)} materialized views in {seconds} s")
    return dg.MaterializeResult(metadata={"views": list(MATERIALIZED_VIEWS), "refresh_seconds": seconds})
