"""Queries on the ``clients`` and ``client_movies`` tables: who may see which movies.

A client's *watchlist* is its ``client_movies`` rows; what it may see on the dashboards is the part
of that list that is still tracked (:func:`client_watchlists`). Names are checked by
:func:`validate_client_name` before anything is written (migration 0005 adds the same rule as a
CHECK constraint).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert

from imdb_tracker.db.schema import client_movies, clients

CLIENT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.@-]{0,56}$"
"""Lowercase (Superset logs users in case-insensitively), at most 57 characters (Superset role
names hold 64, and the client's role is ``client_<name>``)."""
_CLIENT_NAME = re.compile(CLIENT_NAME_PATTERN)


class InvalidClientName(ValueError):
    """A client name that cannot be used; the message is one line."""


class UnknownClient(ValueError):
    """No client of that name in the tracker database."""


def validate_client_name(name: str) -> str:
    """``name`` if usable as a client (Superset username and role suffix), else :class:`InvalidClientName`."""
    if not _CLIENT_NAME.match(name):
        raise InvalidClientName(
            f"invalid client name {name!r}: use 1-57 lowercase letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def client_exists(conn: Connection, name: str) -> bool:
    """True when client ``name`` is in the database."""
    return conn.execute(select(clients.c.client_id).where(clients.c.name == name)).first() is not None


def require_client(conn: Connection, name: str) -> int:
    """The id of client ``name``; :class:`UnknownClient` (which names the fix) when absent."""
    found = conn.execute(select(clients.c.client_id).where(clients.c.name == name)).scalar()
    if found is None:
        raise UnknownClient(
            f"no client named {name!r}: create it first with `imdb-tracker clients add {name}`"
        )
    return found


def create_client(conn: Connection, name: str) -> bool:
    """Insert client ``name`` (validated) if absent; True when it is new."""
    validate_client_name(name)
    inserted = conn.execute(insert(clients).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
    return inserted.rowcount == 1


def delete_client(conn: Connection, name: str) -> bool:
    """Delete client ``name`` and its watchlist; True when it existed."""
    return conn.execute(delete(clients).where(clients.c.name == name)).rowcount > 0


def link_client(conn: Connection, client_name: str, movie_id: str) -> bool:
    """Put ``movie_id`` on the watchlist of an existing client; True when it was not on it."""
    client_id = require_client(conn, client_name)
    inserted = conn.execute(
        insert(client_movies)
        .values(client_id=client_id, movie_id=movie_id)
        .on_conflict_do_nothing(index_elements=["client_id", "movie_id"])
    )
    return inserted.rowcount == 1


def unlink_client(conn: Connection, client_name: str, movie_id: str) -> bool:
    """Take ``movie_id`` off the watchlist of an existing client; True when it was on it."""
    client_id = require_client(conn, client_name)
    removed = conn.execute(
        delete(client_movies).where(
            client_movies.c.client_id == client_id, client_movies.c.movie_id == movie_id
        )
    )
    return removed.rowcount > 0


def client_movie_ids(conn: Connection, client_name: str) -> list[str]:
    """The movie ids on a client's watchlist (tracked or not), sorted."""
    query = (
        select(client_movies.c.movie_id)
        .join(clients, clients.c.client_id == client_movies.c.client_id)
        .where(clients.c.name == client_name)
        .order_by(client_movies.c.movie_id)
    )
    return list(conn.execute(query).scalars())


def client_names(conn: Connection) -> list[str]:
    """Every client of the database, sorted."""
    return list(conn.execute(select(clients.c.name).order_by(clients.c.name)).scalars())


def client_watchlists(conn: Connection, tracked: Collection[str]) -> dict[str, tuple[str, ...]]:
    """What each client may see: ``{client: sorted watchlist ids that are tracked}``, every client
    included (an empty tuple when none of its movies is tracked)."""
    tracked_ids = set(tracked)
    result: dict[str, list[str]] = {name: [] for name in client_names(conn)}
    query = (
        select(clients.c.name, client_movies.c.movie_id)
        .join(clients, clients.c.client_id == client_movies.c.client_id)
        .order_by(clients.c.name, client_movies.c.movie_id)
    )
    for name, movie_id in conn.execute(query):
        if movie_id in tracked_ids:
            result[name].append(movie_id)
    return {name: tuple(ids) for name, ids in result.items()}
