"""Asset checks of the per-movie assets, built from the data-quality queries of
:mod:`imdb_tracker.db.quality`. Each watches something the database constraints cannot.

Checked by the assets themselves, after their work:

- ``review_count_matches_imdb`` (``movie_reviews``): after every review scrape, complete or not,
  the stored reviews fall short of IMDb's announced count by at most ``max(3, 2 %)``.
- ``reviews_scored`` (``review_sentiments``): after a sentiments run, at most 2 % of the current
  reviews are left without a score.

Checked on a schedule of their own (``movie_health_checks_quarter_hourly``), so that a metadata
schedule or a review sensor that stopped is seen even though it produces no run:

- ``metadata_fresh`` (``movie_metadata``): every tracked movie's metadata is younger than 2 h.
- ``reviews_keep_arriving`` (``movie_reviews``): no tracked movie has IMDb announcing more and more
  reviews while none arrives here.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from sqlalchemy import Connection

from imdb_tracker.db import quality
from imdb_tracker.defs.partitions import tracked_movies
from imdb_tracker.defs.resources import TrackerDatabase

METADATA_MAX_AGE = timedelta(hours=2)

REVIEW_CHECKS = [
    dg.AssetCheckSpec(
        "review_count_matches_imdb",
        asset="movie_reviews",
        description=(
            "After every review scrape (complete or not), the stored reviews fall short of IMDb's "
            f"announced count by at most max({quality.COUNT_TOLERANCE_MIN}, "
            f"{quality.COUNT_TOLERANCE_SHARE:.0%})."
        ),
    )
]

SENTIMENT_CHECKS = [
    dg.AssetCheckSpec(
        "reviews_scored",
        asset="review_sentiments",
        description=(
            f"After a sentiments run, at most {quality.UNSCORED_MAX_SHARE:.0%} of the current reviews "
            "have no sentiment score."
        ),
    )
]


def review_check_results(stored: int, announced: int | None) -> list[dg.AssetCheckResult]:
    """Results of :data:`REVIEW_CHECKS` for one movie after a scrape."""
    count = quality.review_count_shortfall(stored, announced)
    return [
        dg.AssetCheckResult(
            check_name="review_count_matches_imdb",
            passed=count.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=count.details,
        )
    ]


def sentiment_check_results(conn: Connection, movie_id: str) -> list[dg.AssetCheckResult]:
    """Results of :data:`SENTIMENT_CHECKS` for one movie after a sentiments run."""
    unscored = quality.unscored_reviews(conn, movie_id)
    return [
        dg.AssetCheckResult(
            check_name="reviews_scored",
            passed=unscored.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=unscored.details,
        )
    ]


def _result(found: quality.QualityResult) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=found.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=found.details
    )


@dg.asset_check(
    asset="movie_metadata",
    name="metadata_fresh",
    description=f"Every tracked movie had its metadata scraped within {METADATA_MAX_AGE}.",
)
def metadata_fresh(context: dg.AssetCheckExecutionContext, database: TrackerDatabase) -> dg.AssetCheckResult:
    with database.engine().connect() as conn:
        found = quality.stale_metadata(
            conn, tracked_movies(context.instance), datetime.now(UTC), METADATA_MAX_AGE
        )
    return _result(found)


@dg.asset_check(
    asset="movie_reviews",
    name="reviews_keep_arriving",
    description=(
        f"No tracked movie has IMDb's announced review count grow by {quality.ARRIVAL_MIN_GROWTH} or more "
        f"over {quality.ARRIVAL_WINDOW} while no new review was stored in that time."
    ),
)
def reviews_keep_arriving(
    context: dg.AssetCheckExecutionContext, database: TrackerDatabase
) -> dg.AssetCheckResult:
    with database.engine().connect() as conn:
        found = quality.stalled_reviews(conn, tracked_movies(context.instance), datetime.now(UTC))
    return _result(found)


SCHEDULED_CHECKS = [metadata_fresh, reviews_keep_arriving]
