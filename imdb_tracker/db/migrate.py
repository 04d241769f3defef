"""Schema migrations with Alembic, driven from Python (``imdb-tracker db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, text

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class MigrationError(ValueError):
    """A migration target Alembic cannot reach (e.g. an unknown revision); nothing was changed."""


_MIGRATION_LOCK_KEY = 0x1DB7  # pg_advisory_xact_lock key: one migrating process at a time


def alembic_config(url: str) -> Config:
    """An Alembic config for the tracker database at ``url`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    _run(url, command.upgrade, revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base`` = empty)."""
    _run(url, command.downgrade, revision)


def known_revisions() -> list[str]:
    """The revision ids, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _run(url: str, action, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config = alembic_config(url)
            config.attributes["connection"] = conn
            action(config, revision)
    except CommandError as exc:
        known = ", ".join(["base", *known_revisions(), "head"])
        raise MigrationError(f"cannot migrate to {revision!r}: {exc} (revisions: {known})") from None
    finally:
        engine.dispose()
