"""Scrape one movie and store it: the per-movie work every writer does (plain Python, no Dagster).

The Dagster assets call these functions for one movie (one partition) with a started browser and
the tracker database; the scheduled batches do the same for many movies with one browser
(:func:`refresh_metadata_batch` hourly, :func:`sync_reviews_batch` daily), each movie on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from imdb_tracker.db.locks import DEFAULT_WAIT_S, MovieBusy, movie_writer_lock
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
from imdb_tracker.imdb.errors import (
    BrowserHung,
    ImdbError,
    InvalidUrl,
    LayoutChanged,
    MovieNotFound,
    SignInRequired,
    TitleMoved,
)
from imdb_tracker.imdb.models import MovieMetadata
from imdb_tracker.imdb.posters import Poster, PosterRejected, sized_poster_url

T = TypeVar("T")


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


PERMANENT_ERRORS = (MovieNotFound, TitleMoved, LayoutChanged, SignInRequired, InvalidUrl)
"""Scraping errors that no retry will fix."""


def refresh_metadata(
    browser: ImdbBrowser, engine: Engine, movie_id: str, *, lock_wait_s: float = DEFAULT_WAIT_S
) -> MetadataRefresh:
    """Scrape the title page of ``movie_id`` and store it (``movies`` row + a ``movie_snapshots``
    row), with its poster when the page names one not stored yet, holding the movie's metadata
    writer lock (waiting up to ``lock_wait_s`` for it, then :class:`~imdb_tracker.db.locks.MovieBusy`)."""
    with movie_writer_lock(engine, movie_id, lock_wait_s, what="metadata"):
        meta = browser.fetch_metadata(movie_id)
        with engine.connect() as conn:
            stored_from = poster_source(conn, movie_id)
        poster, note = new_poster(browser, meta, stored_from)
        with engine.begin() as conn:
            save_metadata(conn, meta, now_utc())
            if poster is not None:
                save_poster(conn, movie_id, poster)
    return MetadataRefresh(meta, poster is not None, note)


@dataclass(frozen=True)
class MovieOutcome(Generic[T]):
    """What became of one movie of a batch (:func:`run_movie_batch`)."""

    movie_id: str
    result: T | None
    """What the movie's work returned; None when the movie failed or was skipped."""
    error: str | None = None
    """Why it failed (None when it was done or skipped)."""
    permanent: bool = False
    """The error is one no retry will fix (missing title, changed layout, sign-in wall)."""
    busy: bool = False
    """Skipped: another writer was writing the movie at that moment."""
    seconds: float = 0.0


@dataclass
class BatchOutage(Exception):
    """The batch stopped after ``failures`` transient failures in a row: IMDb (or the browser) is
    down, not one movie. ``outcomes`` are the movies done before; the rest were not attempted."""

    failures: int
    outcomes: list[MovieOutcome[Any]]

    def __str__(self) -> str:
        last = self.outcomes[-1].error if self.outcomes else ""
        return f"{self.failures} movies in a row failed; stopping the batch (last error: {last})"


BATCH_LOCK_WAIT_S = 5.0
"""How long a batch waits for a movie that another writer is writing, then skips it."""
MAX_FAILURES_IN_A_ROW = 5


def run_movie_batch(
    open_browser: Callable[[], AbstractContextManager[ImdbBrowser]],
    movie_ids: Sequence[str],
    work: Callable[[ImdbBrowser, str], T],
    *,
    max_failures_in_a_row: int = MAX_FAILURES_IN_A_ROW,
) -> Iterator[MovieOutcome[T]]:
    """Do ``work`` for many movies with one browser, yielding each movie's outcome as it is done, so
    that each is reported on its own.

    One movie's failure does not stop the others: it is yielded with its error. A browser that hung
    (and was stopped) is replaced before the next movie. A movie whose writer lock another writer
    holds is skipped (``busy``): that writer is writing it. ``max_failures_in_a_row`` transient
    failures in a row raise :class:`BatchOutage` (an outage would otherwise cost every movie its
    full retry time).
    """
    outcomes: list[MovieOutcome[Any]] = []
    failures_in_a_row = 0
    with ExitStack() as stack:
        browser: ImdbBrowser | None = None
        for movie_id in movie_ids:
            if browser is None:
                browser = stack.enter_context(open_browser())
            started = time.monotonic()
            try:
                outcome = MovieOutcome(movie_id, work(browser, movie_id), seconds=time.monotonic() - started)
            except MovieBusy:
                outcome = MovieOutcome[T](movie_id, None, busy=True, seconds=time.monotonic() - started)
            except ImdbError as exc:
                outcome = MovieOutcome[T](
                    movie_id,
                    None,
                    error=str(exc),
                    permanent=isinstance(exc, PERMANENT_ERRORS),
                    seconds=time.monotonic() - started,
                )
                if isinstance(exc, BrowserHung):
                    stack.close()  # the watchdog stopped it: the next movie gets a new browser
                    browser = None
            failures_in_a_row = failures_in_a_row + 1 if outcome.error and not outcome.permanent else 0
            outcomes.append(outcome)
            yield outcome
            if failures_in_a_row >= max_failures_in_a_row:
                raise BatchOutage(failures_in_a_row, outcomes)


def refresh_metadata_batch(
    open_browser: Callable[[], AbstractContextManager[ImdbBrowser]], engine: Engine, movie_ids: Sequence[str]
) -> Iterator[MovieOutcome[MetadataRefresh]]:
    """:func:`refresh_metadata` for many movies with one browser (see :func:`run_movie_batch`); a
    movie another writer holds for :data:`BATCH_LOCK_WAIT_S` is skipped."""
    return run_movie_batch(
        open_browser,
        movie_ids,
        lambda browser, movie_id: refresh_metadata(browser, engine, movie_id, lock_wait_s=BATCH_LOCK_WAIT_S),
    )


def sync_reviews_batch(
    open_browser: Callable[[], AbstractContextManager[ImdbBrowser]], engine: Engine, movie_ids: Sequence[str]
) -> Iterator[MovieOutcome[ReviewSync]]:
    """A full :func:`sync_reviews` of many movies with one browser (see :func:`run_movie_batch`); a
    movie another writer holds for :data:`BATCH_LOCK_WAIT_S` is skipped."""
    return run_movie_batch(
        open_browser,
        movie_ids,
        lambda browser, movie_id: sync_reviews(browser, engine, movie_id, lock_wait_s=BATCH_LOCK_WAIT_S),
    )


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
    newest_first: bool = True
    """IMDb served the reviews newest first, as asked (:class:`~imdb_tracker.imdb.reviews.ReviewScrape`)."""
    removal_evidence: bool = False
    """Complete, newest first, and returned about as many reviews as IMDb announces: counts towards
    removals."""
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
    the first pages), unless IMDb served the reviews out of date order (then new ones may be on any
    page); otherwise every page is read. Only a complete, newest-first scrape that returned about as
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
                if incremental and scrape.newest_first and counts.new == counts.updated == 0:
                    break
        finally:
            scrape.close()
        sync.scraped, sync.announced, sync.complete = scrape.scraped, scrape.announced_count, scrape.complete
        sync.newest_first = scrape.newest_first
        sync.removal_evidence = (
            sync.complete and sync.newest_first and within_count_tolerance(sync.scraped, sync.announced)
        )
        with engine.begin() as conn:
            if sync.removal_evidence:
                sync.removed = record_complete_scrape(conn, movie_id, started_at, now_utc())
            set_last_reviews_at(conn, movie_id, now_utc())
            sync.stored = stored_review_count(conn, movie_id)
    return sync
