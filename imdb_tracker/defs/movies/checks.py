"""Asset checks of the per-movie assets: their specs, and their results built from the
data-quality queries of :mod:`imdb_tracker.db.quality`."""

from datetime import timedelta

import dagster as dg
from sqlalchemy import Connection

from imdb_tracker.db import quality

METADATA_MAX_AGE = timedelta(hours=2)

METADATA_CHECKS = [
    dg.AssetCheckSpec(
        "tracked_metadata_fresh",
        asset="movie_metadata",
        description=f"Every tracked movie had its metadata scraped within {METADATA_MAX_AGE}.",
    )
]

REVIEW_CHECKS = [
    dg.AssetCheckSpec(
        "reviews_unique_and_owned", asset="movie_reviews", description="No duplicate or malformed ids."
    ),
    dg.AssetCheckSpec("ratings_in_range", asset="movie_reviews", description="Ratings are 1–10 or null."),
    dg.AssetCheckSpec(
        "review_count_matches_imdb",
        asset="movie_reviews",
        description="After a complete scrape, stored reviews are within 2 % of IMDb's announced count.",
    ),
]

SENTIMENT_CHECKS = [
    dg.AssetCheckSpec(
        "sentiment_values_valid",
        asset="review_sentiments",
        description="Scores in −2..2 or null; overall set.",
    )
]


def metadata_check_results(freshness: quality.QualityResult) -> list[dg.AssetCheckResult]:
    """Results of :data:`METADATA_CHECKS`."""
    return [
        dg.AssetCheckResult(
            check_name="tracked_metadata_fresh",
            passed=freshness.passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=freshness.details,
        )
    ]


def review_check_results(
    conn: Connection, movie_id: str, stored: int, announced: int | None, complete: bool
) -> list[dg.AssetCheckResult]:
    """Results of :data:`REVIEW_CHECKS` for one movie after a scrape."""
    unique = quality.reviews_unique_and_owned(conn, movie_id)
    ratings = quality.ratings_in_range(conn, movie_id)
    count = quality.review_count_matches(stored, announced)
    return [
        dg.AssetCheckResult(
            check_name="reviews_unique_and_owned", passed=unique.passed, metadata=unique.details
        ),
        dg.AssetCheckResult(check_name="ratings_in_range", passed=ratings.passed, metadata=ratings.details),
        dg.AssetCheckResult(
            check_name="review_count_matches_imdb",
            # Only meaningful after a complete scrape; a partial one passes with a note.
            passed=count.passed or not complete,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={**count.details, "complete_scrape": complete},
        ),
    ]


def sentiment_check_results(conn: Connection, movie_id: str) -> list[dg.AssetCheckResult]:
    """Results of :data:`SENTIMENT_CHECKS` for one movie."""
    validity = quality.sentiments_valid(conn, movie_id)
    return [
        dg.AssetCheckResult(
            check_name="sentiment_values_valid", passed=validity.passed, metadata=validity.details
        )
    ]
