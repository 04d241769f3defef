"""Data-quality queries behind the Dagster asset checks; each returns what it found, never raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from imdb_tracker.db.schema import ASPECT_COLUMNS


@dataclass(frozen=True)
class QualityResult:
    """Outcome of one check: passed or not, and figures explaining it."""

    passed: bool
    details: dict[str, Any] = field(default_factory=dict)


def reviews_unique_and_owned(conn: Connection, movie_id: str) -> QualityResult:
    """No review id stored twice, and every review of the movie has a well-formed id."""
    duplicates = conn.execute(
        text(
            "SELECT count(*) FROM (SELECT review_id FROM reviews WHERE movie_id = :m "
            "GROUP BY review_id HAVING count(*) > 1) d"
        ),
        {"m": movie_id},
    ).scalar_one()
    malformed = conn.execute(
        text("SELECT count(*) FROM reviews WHERE movie_id = :m AND review_id !~ '^rw[0-9]+$'"),
        {"m": movie_id},
    ).scalar_one()
    return QualityResult(
        duplicates == 0 and malformed == 0, {"duplicate_ids": duplicates, "malformed_ids": malformed}
    )


def ratings_in_range(conn: Connection, movie_id: str) -> QualityResult:
    """Every review rating is 1–10 or null."""
    bad = conn.execute(
        text(
            "SELECT count(*) FROM reviews "
            "WHERE movie_id = :m AND rating IS NOT NULL AND rating NOT BETWEEN 1 AND 10"
        ),
        {"m": movie_id},
    ).scalar_one()
    return QualityResult(bad == 0, {"out_of_range": bad})


def sentiments_valid(conn: Connection, movie_id: str) -> QualityResult:
    """Every stored score is in −2..2 or null, and ``overall`` is never null."""
    out_of_range = " OR ".join(f"{name} NOT BETWEEN -2 AND 2" for name in (*ASPECT_COLUMNS, "overall"))
    bad = conn.execute(
        text(
            "SELECT count(*) FROM review_sentiments "
            f"WHERE movie_id = :m AND ({out_of_range} OR overall IS NULL)"
        ),
        {"m": movie_id},
    ).scalar_one()
    return QualityResult(bad == 0, {"invalid_rows": bad})


def review_count_matches(stored: int, announced: int | None, tolerance: float = 0.02) -> QualityResult:
    """``stored`` (not removed) reviews within ``tolerance`` of IMDb's ``announced`` count."""
    if not announced:
        return QualityResult(stored == 0, {"stored": stored, "announced": announced})
    gap = abs(stored - announced) / announced
    return QualityResult(gap <= tolerance, {"stored": stored, "announced": announced, "gap": round(gap, 4)})


def stale_metadata(
    conn: Connection, movie_ids: list[str], now: datetime, max_age: timedelta
) -> QualityResult:
    """Every given movie had its metadata scraped within ``max_age``."""
    rows = conn.execute(
        text(
            "SELECT t.id FROM unnest(CAST(:ids AS text[])) AS t(id) "
            "LEFT JOIN movies m ON m.movie_id = t.id "
            "WHERE m.last_metadata_at IS NULL OR m.last_metadata_at < :cutoff ORDER BY t.id"
        ),
        {"ids": movie_ids, "cutoff": now - max_age},
    ).scalars()
    stale = list(rows)
    return QualityResult(not stale, {"stale_movies": len(stale), "examples": ", ".join(stale[:10])})
