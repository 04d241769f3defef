"""Find and run pg_dump / pg_restore with credentials in the environment, never on the command line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from imdb_tracker.backup.errors import BackupError, PgToolError
from imdb_tracker.settings import mask_url_password

# URL query parameters that libpq also reads from the environment.
_QUERY_TO_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
# Inherited variables that could point a tool at another server than the URL says.
_CONNECTION_ENV = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE"}
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def sqlalchemy_url(url: str) -> str:
    """Any ``postgres[ql][+driver]://`` URL in the psycopg2 form the tracker's engines use.

    Raises ValueError for something that is not a PostgreSQL URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {mask_url_password(url)!r}") from exc
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {mask_url_password(url)!r}")
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def libpq_env(url: str) -> dict[str, str]:
    """``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/``PGDATABASE``/… for the database at ``url``."""
    parsed = make_url(sqlalchemy_url(url))
    env: dict[str, str] = {}
    host = parsed.query.get("host") or parsed.host
    fields = {
        "PGHOST": host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for name, value in fields.items():
        if value not in (None, ""):
            env[name] = str(value)
    for key, env_name in _QUERY_TO_ENV.items():
        if key in parsed.query:
            env[env_name] = str(parsed.query[key])
    return env


def tool_major_version(tool: Path) -> int:
    """Major version of a PostgreSQL client program (``pg_dump (PostgreSQL) 18.1`` → 18)."""
    completed = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False)
    match = _VERSION.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        raise PgToolError(
            f"cannot tell the version of {tool}: {completed.stdout or completed.stderr}".strip()
        )
    return int(match.group(1))


def server_major_version(url: str) -> int:
    """Major version of the PostgreSQL server behind ``url``."""
    with connection_to(url) as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


@contextmanager
def connection_to(url: str) -> Iterator[Connection]:
    """A connection to ``url``; a failure to connect raises BackupError with a one-line reason."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise BackupError(f"cannot connect to {mask_url_password(url)}: {reason}") from exc
        with conn:
            yield conn
    finally:
        engine.dispose()


def find_pg_tool(name: str, url: str, bin_dir: Path | None) -> Path:
    """The ``name`` program (pg_dump, pg_restore) to use against the server at ``url``.

    ``bin_dir`` (the embedded server's own binaries) wins; otherwise the one on PATH, which must be
    at least the server's major version, since an older pg_dump refuses a newer server.
    """
    if bin_dir is not None:
        tool = bin_dir / name
        if not tool.is_file():
            raise PgToolError(f"{tool} does not exist")
        return tool
    found = shutil.which(name)
    if found is None:
        raise PgToolError(
            f"{name} is not on PATH: install the PostgreSQL client programs (postgresql-client)"
        )
    tool = Path(found)
    tool_version, server_version = tool_major_version(tool), server_major_version(url)
    if tool_version < server_version:
        raise PgToolError(
            f"{tool} is PostgreSQL {tool_version} but the server is PostgreSQL {server_version}: "
            f"put a {name} of version {server_version} or newer first on PATH "
            f"(postgresql-client-{server_version})"
        )
    return tool


def run_pg_tool(tool: Path, args: list[str], url: str) -> None:
    """Run ``tool args`` connected to ``url`` through libpq environment variables.

    Raises PgToolError with the program's first error line when it fails.
    """
    inherited = {k: v for k, v in os.environ.items() if k not in _CONNECTION_ENV}
    env = {**inherited, **libpq_env(url)}
    completed = subprocess.run([str(tool), *args], env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line] or lines
        reason = errors[0] if errors else f"exit status {completed.returncode}"
        raise PgToolError(f"{tool.name} failed: {reason}")
