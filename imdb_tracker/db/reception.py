"""Reception signals read from the stored reviews, sentiments and snapshots; detected events,
their webhook delivery state, and the per-aspect quotes and summaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, text, update

from imdb_tracker.db.schema import (
    aspect_quotes,
    aspect_summaries,
    movies,
    reception_events,
    review_sentiments,
    reviews,
)
from imdb_tracker.reception.events import Event
from imdb_tracker.reception.quotes import Candidate, QuoteSource
from imdb_tracker.reception.signals import AspectDay, MovieSignals, RatingSnapshot, ReviewDay
from imdb_tracker.sentiment.models import ASPECTS, SCORE_FIELDS

_STARS = range(1, 11)
_ASPECT_COLUMNS = ",\n           ".join(
    f"count(s.{a}), coalesce(sum(s.{a}), 0), coalesce(sum(s.{a} * s.{a}), 0)" for a in SCORE_FIELDS
)
DAYS_SQL = text(
    f"""
    SELECT r.submitted_at, count(*), count(r.rating), coalesce(sum(r.rating), 0),
           {", ".join(f"count(*) FILTER (WHERE r.rating = {stars})" for stars in _STARS)},
           {_ASPECT_COLUMNS}
    FROM reviews r
    LEFT JOIN review_sentiments s ON s.review_id = r.review_id
    WHERE r.movie_id = :movie_id AND r.removed_at IS NULL
    GROUP BY r.submitted_at
    ORDER BY r.submitted_at
    """
)
"""Per submission day: reviews, rated reviews, star sum, reviews per star 1..10, and for each
score field its count, sum and sum of squares (one row per day, one index range scan)."""
SNAPSHOTS_SQL = text(
    "SELECT taken_at, rating, votes FROM movie_snapshots WHERE movie_id = :movie_id ORDER BY taken_at"
)


def load_signals(conn: Connection, movie_id: str) -> MovieSignals:
    """The reception signals of one movie, aggregated per day by PostgreSQL (current reviews only)."""
    params = {"movie_id": movie_id}
    days, aspects = [], []
    rating_counts = [0] * len(_STARS)
    for row in conn.execute(DAYS_SQL, params):
        day, count, rated, rating_sum = row[:4]
        per_star = row[4:14]
        days.append(ReviewDay(day, count, rated, per_star[0], per_star[-1], int(rating_sum)))
        rating_counts = [total + n for total, n in zip(rating_counts, per_star, strict=True)]
        for i, aspect in enumerate(SCORE_FIELDS):
            n, total, squares = row[14 + 3 * i : 17 + 3 * i]
            if n:
                aspects.append(AspectDay(day, aspect, n, int(total), int(squares)))
    snapshots = tuple(
        RatingSnapshot(row[0], None if row[1] is None else float(row[1]), row[2])
        for row in conn.execute(SNAPSHOTS_SQL, params)
    )
    return MovieSignals(movie_id, tuple(days), tuple(aspects), snapshots, tuple(rating_counts))


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored, with its id and whether this detection created it."""

    event_id: int
    event: Event
    new: bool


def save_events(
    conn: Connection, movie_id: str, events: Sequence[Event], detected_at: datetime, gap_days: int
) -> list[StoredEvent]:
    """Store what the detectors found for one movie; nothing stored is ever deleted.

    A detected event whose kind and subject match a stored event of the movie with an overlapping
    window (or one at most ``gap_days`` away) *is* that event: its window, figures and
    ``last_detected_at`` are updated and it is not new (so it is not announced again). Otherwise it
    is inserted as new, ``pending`` delivery.
    """
    stored = list(
        conn.execute(
            select(
                reception_events.c.event_id,
                reception_events.c.kind,
                reception_events.c.subject,
                reception_events.c.window_start,
                reception_events.c.window_end,
            )
            .where(reception_events.c.movie_id == movie_id)
            .order_by(reception_events.c.window_start, reception_events.c.event_id)
        )
    )
    gap = timedelta(days=gap_days)
    matched: set[int] = set()
    result = []
    for event in events:
        values = {
            "kind": event.kind,
            "subject": event.subject,
            "window_start": event.window_start,
            "window_end": event.window_end,
            "strength": event.strength,
            "strong": event.strong,
            "summary": event.summary,
            "evidence": event.evidence,
            "last_detected_at": detected_at,
        }
        same = next(
            (
                row.event_id
                for row in stored
                if row.event_id not in matched
                and (row.kind, row.subject) == (event.kind, event.subject)
                and row.window_start <= event.window_end + gap
                and event.window_start <= row.window_end + gap
            ),
            None,
        )
        if same is not None:
            matched.add(same)
            conn.execute(update(reception_events).where(reception_events.c.event_id == same).values(values))
            result.append(StoredEvent(same, event, new=False))
        else:
            event_id = conn.execute(
                insert(reception_events)
                .values(movie_id=movie_id, first_detected_at=detected_at, **values)
                .returning(reception_events.c.event_id)
            ).scalar_one()
            result.append(StoredEvent(event_id, event, new=True))
    return result


def movie_events(conn: Connection, movie_id: str, limit: int = 20) -> list[Row]:
    """The movie's stored events, newest window first."""
    query = (
        select(reception_events)
        .where(reception_events.c.movie_id == movie_id)
        .order_by(reception_events.c.window_start.desc(), reception_events.c.event_id.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


@dataclass(frozen=True)
class DueEvent:
    """A stored event waiting to be announced, with what the announcement shows."""

    event_id: int
    movie_id: str
    movie: str
    kind: str
    summary: str
    strong: bool
    window_end: date
    attempts: int


def claim_due_event(conn: Connection, now: datetime) -> DueEvent | None:
    """The oldest pending event whose next attempt is due, locked for this transaction
    (``FOR UPDATE SKIP LOCKED``: a concurrent deliverer skips it rather than posting it twice)."""
    label = "coalesce(m.title, m.movie_id) || coalesce(' (' || m.year::text || ')', '')"
    row = conn.execute(
        text(
            f"""
            SELECT e.event_id, e.movie_id, {label}, e.kind, e.summary, e.strong, e.window_end,
                   e.notify_attempts
            FROM reception_events e JOIN movies m ON m.movie_id = e.movie_id
            WHERE e.notify_state = 'pending' AND (e.notify_next_at IS NULL OR e.notify_next_at <= :now)
            ORDER BY e.event_id
            LIMIT 1
            FOR UPDATE OF e SKIP LOCKED
            """
        ),
        {"now": now},
    ).first()
    return None if row is None else DueEvent(*row)


def record_delivery(
    conn: Connection,
    event_id: int,
    state: str,
    at: datetime,
    *,
    attempted: bool = True,
    error: str | None = None,
    next_at: datetime | None = None,
) -> None:
    """Record a delivery outcome: ``sent``, ``pending`` again (retry at ``next_at``), ``failed``
    (given up) or ``stale`` (not announced: old news)."""
    values: dict[str, object] = {"notify_state": state, "notify_error": error, "notify_next_at": next_at}
    if attempted:
        values["notify_attempts"] = reception_events.c.notify_attempts + 1
    if state == "sent":
        values["notified_at"] = at
    conn.execute(update(reception_events).where(reception_events.c.event_id == event_id).values(values))


@dataclass(frozen=True)
class Quote:
    """A sentence that says something clear about one aspect of a movie, and where it comes from."""

    aspect: str
    polarity: str
    rank: int
    review_id: str
    sentence: str
    strength: float
    helpfulness: float


def replace_quotes(
    conn: Connection,
    movie_id: str,
    chosen: Mapping[tuple[str, str], Sequence[Candidate]],
    computed_at: datetime,
) -> int:
    """Store the movie's chosen quotes (by aspect and polarity, best first) in place of the
    previous ones (call in one transaction); returns how many."""
    conn.execute(delete(aspect_quotes).where(aspect_quotes.c.movie_id == movie_id))
    rows = [
        {
            "movie_id": movie_id,
            "aspect": aspect,
            "polarity": polarity,
            "rank": rank,
            "review_id": c.source.review_id,
            "sentence": c.sentence,
            "strength": round(c.strength, 3),
            "helpfulness": round(c.source.helpfulness, 3),
            "computed_at": computed_at,
        }
        for (aspect, polarity), kept in chosen.items()
        for rank, c in enumerate(kept, 1)
    ]
    if rows:
        conn.execute(insert(aspect_quotes), rows)
    return len(rows)


def movie_quotes(conn: Connection, movie_id: str) -> list[Quote]:
    """The movie's stored quotes by aspect, polarity and rank."""
    query = (
        select(
            aspect_quotes.c.aspect,
            aspect_quotes.c.polarity,
            aspect_quotes.c.rank,
            aspect_quotes.c.review_id,
            aspect_quotes.c.sentence,
            aspect_quotes.c.strength,
            aspect_quotes.c.helpfulness,
        )
        .where(aspect_quotes.c.movie_id == movie_id)
        .order_by(aspect_quotes.c.aspect, aspect_quotes.c.polarity.desc(), aspect_quotes.c.rank)
    )
    return [Quote(*row) for row in conn.execute(query)]


def movie_label(conn: Connection, movie_id: str) -> str:
    """``Title (year)`` of a movie, or its id before its metadata is scraped."""
    row = conn.execute(select(movies.c.title, movies.c.year).where(movies.c.movie_id == movie_id)).first()
    if row is None or row.title is None:
        return movie_id
    return f"{row.title} ({row.year})" if row.year else row.title


def stored_summaries(conn: Connection, movie_id: str) -> dict[str, Row]:
    """The movie's per-aspect summaries by aspect."""
    query = select(aspect_summaries).where(aspect_summaries.c.movie_id == movie_id)
    return {row.aspect: row for row in conn.execute(query)}


def replace_summaries(
    conn: Connection,
    movie_id: str,
    summaries: dict[str, str],
    reviews_hash: str,
    model: str,
    prompt_version: str,
    *,
    reviews_used: int,
    at: datetime,
) -> None:
    """Store the movie's summaries in place of the previous ones (call in one transaction)."""
    conn.execute(delete(aspect_summaries).where(aspect_summaries.c.movie_id == movie_id))
    if summaries:
        conn.execute(
            insert(aspect_summaries),
            [
                {
                    "movie_id": movie_id,
                    "aspect": aspect,
                    "summary": summary,
                    "reviews_hash": reviews_hash,
                    "reviews_used": reviews_used,
                    "model": model,
                    "prompt_version": prompt_version,
                    "created_at": at,
                }
                for aspect, summary in summaries.items()
            ],
        )


def quote_sources(conn: Connection, movie_id: str) -> list[QuoteSource]:
    """The movie's current reviews as the quote selection reads them, each with its stored aspect
    scores (None where the review has no stored score yet)."""
    stored = [review_sentiments.c[aspect] for aspect in ASPECTS]
    query = (
        select(
            reviews.c.review_id,
            reviews.c.title,
            reviews.c.text,
            reviews.c.rating,
            reviews.c.helpful_up,
            reviews.c.helpful_down,
            reviews.c.spoiler,
            reviews.c.content_hash,
            review_sentiments.c.review_id.is_not(None),
            *stored,
        )
        .outerjoin(review_sentiments, review_sentiments.c.review_id == reviews.c.review_id)
        .where(reviews.c.movie_id == movie_id, reviews.c.removed_at.is_(None))
        .order_by(reviews.c.review_id)
    )
    sources = []
    for row in conn.execute(query):
        values: tuple[Any, ...] = tuple(row)
        review, has_scores, scores = values[:8], values[8], values[9:]
        sources.append(
            QuoteSource(*review, scores=dict(zip(ASPECTS, scores, strict=True)) if has_scores else None)
        )
    return sources
