"""Which movies are tracked: the Dagster ``movies`` dynamic partitions, plus their database rows.

The partitions are the source of truth (the CLI, the Dagster UI and the schedules all read and
write them); the ``movies`` table only holds what was scraped, and keeps it after a removal.

A client sees the tracked movies of its watchlist. Every change here that alters what a client
sees also updates its Superset row-level-security rule, in the same command: the database change
commits only after Superset accepted the rules and the partitions changed, and when any step
fails the database, Superset and the partitions are all left as they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from dagster import DagsterInstance
from sqlalchemy import Connection, Engine

from imdb_tracker.db import clients as client_queries
from imdb_tracker.db import movies as movie_queries
from imdb_tracker.defs.partitions import MOVIES_PARTITION, tracked_movies
from imdb_tracker.superset_client.service import WatchlistSync


@dataclass
class TrackingChange:
    """What a change works on: its open transaction and the tracked ids it leaves behind."""

    conn: Connection
    tracked: set[str] = field(default_factory=set)


@dataclass
class MovieRegistry:
    """Add, remove and list tracked movies on one Dagster instance and tracker database, keeping
    the clients' Superset access in step."""

    instance: DagsterInstance
    engine: Engine
    access: WatchlistSync

    def tracked_ids(self) -> list[str]:
        """Ids of the tracked movies (the partition keys), sorted."""
        return tracked_movies(self.instance)

    def add(self, movies: Sequence[tuple[str, str | None]], *, client: str | None = None) -> list[bool]:
        """Track ``(movie_id, title)`` pairs (and put them on ``client``'s watchlist), all or none;
        for each, True when it was not tracked before."""
        if client is not None:
            client_queries.validate_client_name(client)
        with self._change() as change:
            if client is not None:
                client_queries.require_client(change.conn, client)
            new = []
            for movie_id, title in movies:
                movie_queries.register_movie(change.conn, movie_id, title)
                if client is not None:
                    client_queries.link_client(change.conn, client, movie_id)
                new.append(movie_id not in change.tracked)
                change.tracked.add(movie_id)
        return new

    def remove(
        self, movie_ids: Sequence[str], *, purge: bool = False, client: str | None = None
    ) -> list[bool]:
        """Stop tracking ``movie_ids`` (with ``client``: only take them off its watchlist), all or
        none. Stored data is kept unless ``purge``. For each, True when something changed."""
        if client is not None:
            client_queries.validate_client_name(client)
        with self._change() as change:
            if client is not None:
                client_queries.require_client(change.conn, client)
                return [client_queries.unlink_client(change.conn, client, m) for m in movie_ids]
            changed = []
            for movie_id in movie_ids:
                changed.append(movie_id in change.tracked or purge)
                change.tracked.discard(movie_id)
                if purge:
                    movie_queries.purge_movie(change.conn, movie_id)
        return changed

    def describe(self, client: str | None = None) -> list[movie_queries.MovieRow]:
        """The tracked movies (or a client's whole watchlist) with what is stored about them."""
        with self.engine.connect() as conn:
            if client is None:
                ids = self.tracked_ids()
            else:
                client_queries.validate_client_name(client)
                client_queries.require_client(conn, client)
                ids = client_queries.client_movie_ids(conn, client)
            return movie_queries.describe_movies(conn, ids)

    @contextmanager
    def _change(self) -> Iterator[TrackingChange]:
        """One transaction around a change; then Superset rules, then partitions, then the commit."""
        before_ids = set(self.tracked_ids())
        added: list[str] = []
        deleted: list[str] = []
        try:
            with self.access.transaction(self.engine) as conn:
                before = client_queries.client_watchlists(conn, before_ids)
                change = TrackingChange(conn, set(before_ids))
                yield change
                after = client_queries.client_watchlists(conn, change.tracked)
                self.access.publish({c: ids for c, ids in after.items() if before.get(c) != ids})
                for movie_id in sorted(change.tracked - before_ids):
                    self.instance.add_dynamic_partitions(MOVIES_PARTITION, [movie_id])
                    added.append(movie_id)
                for movie_id in sorted(before_ids - change.tracked):
                    self.instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
                    deleted.append(movie_id)
        except BaseException:
            for movie_id in added:
                self.instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
            if deleted:
                self.instance.add_dynamic_partitions(MOVIES_PARTITION, deleted)
            raise
