"""Data-quality queries behind the Dagster asset checks; each returns what it found, never raises.

They watch what the schema cannot: whether what is stored keeps up with what IMDb shows, and
whether the pipeline that keeps it up is still running.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

COUNT_TOLERANCE_SHARE = 0.02
COUNT_TOLERANCE_MIN = 3
"""IMDb's announced review count drifts from what its cursor chain returns by a few reviews (hidden
or just-posted ones): a gap of up to ``max(3, 2 %)`` is no finding."""

UNSCORED_MAX_SHARE = 0.02
"""Share of current reviews a sentiments run may leave without a score."""

ARRIVAL_WINDOW = timedelta(hours=24)
ARRIVAL_GRACE = timedelta(hours=2)
ARRIVAL_MIN_GROWTH = 3
"""Reviews have stopped arriving when IMDb's announced count grew by at least 3 over the last
24 h (not counting the last 2 h, which the pipeline may not have caught up with yet) and no
review of the movie was first seen in those 24 h."""


@dataclass(frozen=True)
class QualityResult:
    """Outcome of one check: passed or not, and figures explaining it."""

    passed: bool
    details: dict[str, Any] = field(default_factory=dict)


def count_tolerance(announced: int) -> int:
    """How far a review count may be from IMDb's ``announced`` one: ``max(3, ceil(2 %))``."""
    return max(COUNT_TOLERANCE_MIN, math.ceil(announced * COUNT_TOLERANCE_SHARE))


def within_count_tolerance(count: int, announced: int | None) -> bool:
    """``count`` is within :func:`count_tolerance` of ``announced`` (either side)."""
    return announced is not None and abs(count - announced) <= count_tolerance(announced)


def review_count_shortfall(stored: int, announced: int | None) -> QualityResult:
    """Stored current reviews fall short of IMDb's ``announced`` count by at most the tolerance.

    More stored than announced is no finding (IMDb's count lags behind new reviews; a removal
    needs two complete scrapes).
    """
    if announced is None:
        return QualityResult(True, {"stored": stored, "announced": None})
    shortfall = announced - stored
    tolerance = count_tolerance(announced)
    return QualityResult(
        shortfall <= tolerance,
        {"stored": stored, "announced": announced, "shortfall": shortfall, "tolerance": tolerance},
    )


def unscored_reviews(conn: Connection, movie_id: str, max_share: float = UNSCORED_MAX_SHARE) -> QualityResult:
    """At most ``max_share`` of the movie's current reviews have no sentiment score."""
    current, unscored = conn.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE s.review_id IS NULL) FROM reviews r "
            "LEFT JOIN review_sentiments s ON s.review_id = r.review_id "
            "WHERE r.movie_id = :m AND r.removed_at IS NULL"
        ),
        {"m": movie_id},
    ).one()
    share = unscored / current if current else 0.0
    return QualityResult(
        share <= max_share,
        {"current_reviews": current, "unscored": unscored, "unscored_share": round(share, 4)},
    )


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
    return QualityResult(
        not stale,
        {"tracked_movies": len(movie_ids), "stale_movies": len(stale), "examples": ", ".join(stale[:10])},
    )


def stalled_reviews(conn: Connection, movie_ids: list[str], now: datetime) -> QualityResult:
    """No given movie has IMDb announcing more and more reviews while none arrives here
    (see :data:`ARRIVAL_MIN_GROWTH`)."""
    window_start, settled = now - ARRIVAL_WINDOW, now - ARRIVAL_GRACE
    rows = conn.execute(
        text(
            """
            WITH ids AS (SELECT unnest(CAST(:ids AS text[])) AS movie_id),
            announced AS (
                SELECT ids.movie_id,
                    (SELECT s.review_count FROM movie_snapshots s
                     WHERE s.movie_id = ids.movie_id AND s.taken_at <= :window_start
                       AND s.review_count IS NOT NULL
                     ORDER BY s.taken_at DESC LIMIT 1) AS at_start,
                    (SELECT s.review_count FROM movie_snapshots s
                     WHERE s.movie_id = ids.movie_id AND s.taken_at <= :settled
                       AND s.review_count IS NOT NULL
                     ORDER BY s.taken_at DESC LIMIT 1) AS settled
                FROM ids
            )
            SELECT a.movie_id, a.settled - a.at_start AS growth
            FROM announced a
            WHERE a.settled - a.at_start >= :min_growth
              AND NOT EXISTS (
                SELECT 1 FROM reviews r WHERE r.movie_id = a.movie_id AND r.first_seen_at >= :window_start
              )
            ORDER BY a.movie_id
            """
        ),
        {
            "ids": movie_ids,
            "window_start": window_start,
            "settled": settled,
            "min_growth": ARRIVAL_MIN_GROWTH,
        },
    ).all()
    return QualityResult(
        not rows,
        {
            "tracked_movies": len(movie_ids),
            "stalled_movies": len(rows),
            "examples": ", ".join(f"{movie_id} (+{growth} announced)" for movie_id, growth in rows[:10]),
        },
    )
