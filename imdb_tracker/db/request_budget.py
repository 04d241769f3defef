"""One request budget towards IMDb shared by every process on the tracker database.

Each process (Dagster runs, sensors, ``imdb-tracker`` commands) takes its turn with one atomic
upsert on ``imdb_request_budget``: the host's ``next_slot_at`` moves forward by one request
interval from ``max(next_slot_at, now)``, and the caller sleeps until the slot it took. The row lock
of the upsert serializes the takers and the database clock is the only clock, so requests to a host
start at least ``1 / requests_per_second`` apart whatever the number of processes.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, text

_TAKE_SLOT = text(
    """
    INSERT INTO imdb_request_budget AS budget (host, next_slot_at)
    VALUES (:host, clock_timestamp() + make_interval(secs => :interval))
    ON CONFLICT (host) DO UPDATE
    SET next_slot_at = greatest(budget.next_slot_at, clock_timestamp()) + make_interval(secs => :interval)
    RETURNING extract(epoch FROM budget.next_slot_at - make_interval(secs => :interval) - clock_timestamp())
    """
)


def take_request_slot(conn: Connection, host: str, interval_s: float) -> float:
    """Reserve the next request slot of ``host`` (slots are ``interval_s`` apart); returns the
    seconds to wait until it (0 when it is now)."""
    wait = conn.execute(_TAKE_SLOT, {"host": host, "interval": interval_s}).scalar_one()
    return max(0.0, float(wait))


class SharedRequestBudget:
    """:class:`~imdb_tracker.imdb.ratelimit.RequestBudget` in PostgreSQL: ``requests_per_second``
    per host for every process using the database at ``engine`` together."""

    def __init__(self, engine: Engine, requests_per_second: float) -> None:
        if requests_per_second <= 0:
            raise ValueError(f"request rate must be positive, got {requests_per_second}")
        self.engine = engine
        self.interval_s = 1.0 / requests_per_second

    def acquire(self, host: str) -> None:
        """Wait for this process's turn to send one request to ``host``."""
        with self.engine.begin() as conn:
            wait = take_request_slot(conn, host, self.interval_s)
        if wait:
            time.sleep(wait)
