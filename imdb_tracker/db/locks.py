"""The per-movie writer locks: one process at a time scrapes and stores a movie's reviews, and one
its metadata.

A PostgreSQL session-level advisory lock keyed on the movie id, held on a connection of its own for
as long as the writer works. Every writer of reviews takes it (Dagster runs launched by the daemon
or the UI, ``imdb-tracker run``), so an older scrape can never commit pages between a newer
scrape's pages and its removal step. Metadata writers (single-movie runs and the hourly batches of
many movies) take the movie's metadata lock, a second key space, so a
batch and a single-movie run never write one movie at once while a long review scrape does not
hold up the movie's metadata. A process that dies releases its locks with its connection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

REVIEWS_LOCK_SPACE = 0x1DB8
"""First key of the two-key advisory locks on movies' reviews (the second is ``hashtext(movie_id)``)."""
METADATA_LOCK_SPACE = 0x1DB9
"""First key of the advisory locks on movies' metadata."""
LOCK_SPACES = {"reviews": REVIEWS_LOCK_SPACE, "metadata": METADATA_LOCK_SPACE}
DEFAULT_WAIT_S = 900.0
POLL_S = 0.5


class MovieBusy(Exception):
    """Another writer held the movie's lock for longer than the caller would wait."""

    def __init__(self, movie_id: str, waited_s: float, what: str = "reviews") -> None:
        super().__init__(
            f"another run has been writing the {what} of {movie_id} for over {waited_s:g} s; try again later"
        )
        self.movie_id = movie_id


@contextmanager
def movie_writer_lock(
    engine: Engine, movie_id: str, wait_s: float = DEFAULT_WAIT_S, what: str = "reviews"
) -> Iterator[float]:
    """Hold the writer lock of ``movie_id``'s ``what`` (``reviews`` or ``metadata``) for the block,
    waiting up to ``wait_s`` for it (then :class:`MovieBusy`); the block receives the seconds it waited."""
    keys = {"space": LOCK_SPACES[what], "movie": movie_id}
    with engine.connect() as conn:
        started = time.monotonic()
        deadline = started + wait_s
        while True:
            taken = conn.execute(
                text("SELECT pg_try_advisory_lock(:space, hashtext(:movie))"), keys
            ).scalar_one()
            conn.commit()
            if taken:
                break
            if time.monotonic() >= deadline:
                raise MovieBusy(movie_id, wait_s, what)
            time.sleep(POLL_S)
        try:
            yield time.monotonic() - started
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:movie))"), keys)
                conn.commit()
            except DBAPIError:
                conn.invalidate()  # closing the session releases the lock (the database may be gone)
