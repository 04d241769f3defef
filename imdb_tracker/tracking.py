"""Scrape one movie and store it: the per-movie work every writer does (plain Python, no Dagster).

The Dagster assets call these functions for one movie (one partition) with a started browser and
the tracker database; a run that handles many movies with one browser calls them once per movie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from imdb_tracker.db.locks import DEFAULT_WAIT_S, movie_writer_lock
from imdb_tracker.db.movies import poster_source, register_movie, save_poster
from imdb_tracker.db.quality import within_count_tolerance
from imdb_tracker.db.reviews import (
    UpsertCounts,
    record_complete_scrape,
    save_metadata,
    set_last_reviews_at,
    stored_review_count,
    upsert_reviews,
)
from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.errors import ImdbError
from imdb_tracker.imdb.models import MovieMetadata
from imdb_tracker.imdb.posters import Poster, PosterRejected, sized_poster_url


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class MetadataRefresh:
    """What :func:`refresh_metadata` stored for one movie."""

    metadata: MovieMetadata
    poster_stored: bool
    poster_note: str
    """The poster stored (size, type, source), ``unchanged``, or why none was stored."""


def refresh_metadata(browser: ImdbBrowser, engine: Engine, movie_id: str) -> MetadataRefresh:
    """Scrape the title page of ``movie_id`` and store it (``movies`` row + a ``movie_snapshots``
    row), with its poster when the page names one not stored yet."""
    meta = browser.fetch_metadata(movie_id)
    with engine.connect() as conn:
        stored_from = poster_source(conn, movie_id)
    poster, note = new_poster(browser, meta, stored_from)
    with engine.begin() as conn:
        save_metadata(conn, meta, now_utc())
        if poster is not None:
            save_poster(conn, movie_id, poster)
    return MetadataRefresh(meta, poster is not None, note)


def new_poster(
    browser: ImdbBrowser, meta: MovieMetadata, stored_from: str | None
) -> tuple[Poster | None, str]:
    """The poster to store when the title page names one not stored yet, and a word on what
    happened. A poster that cannot be fetched never fails the metadata: the old one stays."""
    if meta.poster_url is None:
        return None, "the title page names no poster"
    if stored_from is not None and stored_from in {meta.poster_url, sized_poster_url(meta.poster_url)}:
        return None, "unchanged"
    try:
        poster = browser.fetch_poster(meta.poster_url)
    except (ImdbError, PosterRejected) as exc:
        return None, str(exc)
    return poster, f"{len(poster.image):,} bytes ({poster.content_type}) from {poster.source_url}"


@dataclass
class ReviewSync:
    """What :func:`sync_reviews` did for one movie."""

    movie_id: str
    incremental: bool
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    scraped: int = 0
    announced: int | None = None
    complete: bool = False
    """The scrape followed IMDb's cursor chain to its end (nothing cut by a limit or an early stop)."""
    removal_evidence: bool = False
    """Complete, and returned about as many reviews as IMDb announces: counts towards removals."""
    removed: int = 0
    stored: int = 0
    lock_wait_s: float = 0.0
    """How long another writer of the movie kept this one waiting."""


def sync_reviews(
    browser: ImdbBrowser,
    engine: Engine,
    movie_id: str,
    *,
    incremental: bool = False,
    max_reviews: int | None = None,
    lock_wait_s: float = DEFAULT_WAIT_S,
    on_page: Callable[[ReviewSync], None] | None = None,
) -> ReviewSync:
    """Scrape the reviews of ``movie_id`` newest first and store them page by page, holding the
    movie's writer lock (:func:`~imdb_tracker.db.locks.movie_writer_lock`) throughout.

    ``incremental`` stops at the first page that is wholly stored and unchanged (new reviews are on
    the first pages); otherwise every page is read. Only a complete scrape that returned about as
    many reviews as IMDb announces counts as evidence for removals, and a review is marked removed
    after :data:`~imdb_tracker.db.reviews.REMOVAL_EVIDENCE` such scrapes in a row missed it. A
    failed, partial or incremental scrape never hides anything. ``on_page`` is called after each
    stored page.
    """
    with engine.begin() as conn:
        register_movie(conn, movie_id)
    sync = ReviewSync(movie_id, incremental)
    with movie_writer_lock(engine, movie_id, lock_wait_s) as waited:
        sync.lock_wait_s = waited
        started_at = now_utc()
        scrape = browser.scrape_reviews(movie_id, max_reviews=max_reviews)
        try:
            for page in scrape:
                with engine.begin() as conn:
                    counts = upsert_reviews(conn, page, seen_at=started_at)
                sync.counts += counts
                sync.scraped, sync.announced = scrape.scraped, scrape.announced_count
                if on_page is not None:
                    on_page(sync)
                if incremental and counts.new == counts.updated == 0:
                    break
        finally:
            scrape.close()
        sync.scraped, sync.announced, sync.complete = scrape.scraped, scrape.announced_count, scrape.complete
        sync.removal_evidence = sync.complete and within_count_tolerance(sync.scraped, sync.announced)
        with engine.begin() as conn:
            if sync.removal_evidence:
                sync.removed = record_complete_scrape(conn, movie_id, started_at, now_utc())
            set_last_reviews_at(conn, movie_id, now_utc())
            sync.stored = stored_review_count(conn, movie_id)
    return sync
