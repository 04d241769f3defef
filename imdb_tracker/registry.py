"""Which movies are tracked: the Dagster ``movies`` dynamic partitions, plus their database rows.

The partitions are the source of truth (the CLI, the Dagster UI and the schedules all read and
write them); the ``movies`` table only holds what was scraped, and keeps it after a removal.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance
from sqlalchemy import Engine

from imdb_tracker.db import movies as movie_queries
from imdb_tracker.defs.partitions import MOVIES_PARTITION, tracked_movies


@dataclass
class MovieRegistry:
    """Add, remove and list tracked movies on one Dagster instance and tracker database."""

    instance: DagsterInstance
    engine: Engine

    def tracked_ids(self) -> list[str]:
        """Ids of the tracked movies (the partition keys), sorted."""
        return tracked_movies(self.instance)

    def add(self, movie_id: str, *, client: str | None = None, title: str | None = None) -> bool:
        """Track ``movie_id`` (and tie it to ``client``); True when it was not tracked before."""
        with self.engine.begin() as conn:
            movie_queries.register_movie(conn, movie_id, title)
            if client:
                movie_queries.link_client(conn, client, movie_id)
        is_new = not self.instance.has_dynamic_partition(MOVIES_PARTITION, movie_id)
        if is_new:
            self.instance.add_dynamic_partitions(MOVIES_PARTITION, [movie_id])
        return is_new

    def remove(self, movie_id: str, *, purge: bool = False, client: str | None = None) -> bool:
        """Stop tracking (or, with ``client``, only drop it from that client's watchlist).

        Stored data is kept unless ``purge``. True when something changed.
        """
        if client:
            with self.engine.begin() as conn:
                before = movie_queries.client_movie_ids(conn, client)
                movie_queries.unlink_client(conn, client, movie_id)
            return movie_id in before
        was_tracked = self.instance.has_dynamic_partition(MOVIES_PARTITION, movie_id)
        if was_tracked:
            self.instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
        if purge:
            with self.engine.begin() as conn:
                movie_queries.purge_movie(conn, movie_id)
        return was_tracked or purge

    def describe(self, client: str | None = None) -> list[movie_queries.MovieRow]:
        """The tracked movies (or a client's watchlist) with what is stored about them."""
        with self.engine.connect() as conn:
            ids = movie_queries.client_movie_ids(conn, client) if client else self.tracked_ids()
            return movie_queries.describe_movies(conn, ids)
