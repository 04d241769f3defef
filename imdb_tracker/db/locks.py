"""The per-movie writer lock: one process at a time scrapes and stores a movie's reviews.

A PostgreSQL session-level advisory lock keyed on the movie id, held on a connection of its own for
as long as the writer works. Every writer of reviews takes it (Dagster runs launched by the daemon
or the UI, ``imdb-tracker run``), so an older scrape can never commit pages between a newer
scrape's pages and its removal step. A process that dies releases it with its connection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

REVIEWS_LOCK_SPACE = 0x1DB8
"""First key of the two-key advisory locks on movies (the second is ``hashtext(movie_id)``)."""
DEFAULT_WAIT_S = 900.0
POLL_S = 0.5


class MovieBusy(Exception):
    """Another writer held the movie's lock for longer than the caller would wait."""

    def __init__(self, movie_id: str, waited_s: float) -> None:
        super().__init__(
            f"another run has been writing the reviews of {movie_id} for over {waited_s:g} s; try again later"
        )
        self.movie_id = movie_id


@contextmanager
def movie_writer_lock(engine: Engine, movie_id: str, wait_s: float = DEFAULT_WAIT_S) -> Iterator[float]:
    """Hold the writer lock of ``movie_id`` for the block, waiting up to ``wait_s`` for it
    (then :class:`MovieBusy`); the block receives the seconds it waited."""
    keys = {"space": REVIEWS_LOCK_SPACE, "movie": movie_id}
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
                raise MovieBusy(movie_id, wait_s)
            time.sleep(POLL_S)
        try:
            yield time.monotonic() - started
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:movie))"), keys)
                conn.commit()
            except DBAPIError:
                conn.invalidate()  # closing the session releases the lock (the database may be gone)
