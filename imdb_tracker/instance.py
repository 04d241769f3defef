"""Prepare local state for a command: the database server, the schema and the Dagster home."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from imdb_tracker.db.server import DatabaseUrls, resolve_database_urls
from imdb_tracker.settings import Settings

REPO_DAGSTER_YAML = Path(__file__).resolve().parent.parent / "dagster.yaml"
DAGSTER_PG_URL_ENV = "IMDB_TRACKER_DAGSTER_PG_URL"


def prepare_dagster_home(settings: Settings, urls: DatabaseUrls) -> Path:
    """Make ``$IMDB_TRACKER_HOME/dagster`` the ``DAGSTER_HOME``, backed by the Dagster database.

    Sets ``DAGSTER_HOME``, ``IMDB_TRACKER_HOME`` and the Dagster storage URL in this process's
    environment, so child processes (``dagster dev``, run workers) use the same instance.
    """
    dagster_home = settings.resolved_home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != REPO_DAGSTER_YAML.read_bytes():
        shutil.copyfile(REPO_DAGSTER_YAML, target)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["IMDB_TRACKER_HOME"] = str(settings.resolved_home)
    os.environ[DAGSTER_PG_URL_ENV] = urls.dagster  # psycopg2: dagster-postgres NOTIFY needs it
    return dagster_home


def prepare(settings: Settings, *, migrate: bool = True) -> DatabaseUrls:
    """Resolve (or start) the database, bring the schema to head and prepare the Dagster home."""
    urls = resolve_database_urls(settings)
    if migrate:
        from imdb_tracker.db.migrate import upgrade

        upgrade(urls.tracker)
    prepare_dagster_home(settings, urls)
    return urls


def dagster_instance(settings: Settings):  # -> dagster.DagsterInstance
    """The Dagster instance of this home (PostgreSQL storage, the repository's run queue)."""
    from dagster import DagsterInstance

    prepare(settings)
    return DagsterInstance.get()
