"""``imdb-tracker settings`` and ``imdb-tracker db``: configuration and schema management."""

from __future__ import annotations

import json

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, fail, pass_runtime
from imdb_tracker.db import migrate
from imdb_tracker.db.server import resolve_database_urls, stop_embedded_server
from imdb_tracker.settings import mask_url_password


@click.group("settings")
def settings_group() -> None:
    """Show the configuration."""


@settings_group.command("show")
@pass_runtime
def settings_show(runtime: Runtime) -> None:
    """Print every setting as JSON, secrets masked."""
    click.echo(json.dumps(runtime.settings.masked(), indent=2, sort_keys=True))


@click.group("db")
def db_group() -> None:
    """Manage the tracker database (embedded PostgreSQL unless DATABASE_URL or DB_HOST is set)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_runtime
def db_upgrade(runtime: Runtime, revision: str) -> None:
    """Migrate the schema up to REVISION."""
    urls = resolve_database_urls(runtime.settings.database_config())
    try:
        migrate.upgrade(urls.tracker, revision)
    except migrate.MigrationError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    click.echo(f"database at revision {migrate.current_revision(urls.tracker)}")


@db_group.command("downgrade")
@click.argument("revision")
@pass_runtime
def db_downgrade(runtime: Runtime, revision: str) -> None:
    """Migrate the schema down to REVISION (``base`` drops every table)."""
    urls = resolve_database_urls(runtime.settings.database_config())
    try:
        migrate.downgrade(urls.tracker, revision)
    except migrate.MigrationError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    click.echo(f"database at revision {migrate.current_revision(urls.tracker)}")


@db_group.command("status")
@pass_runtime
def db_status(runtime: Runtime) -> None:
    """Print where the databases are and the schema revision."""
    urls = resolve_database_urls(runtime.settings.database_config())
    kind = "embedded" if runtime.settings.uses_embedded_database else "configured"
    click.echo(f"tracker database ({kind}): {mask_url_password(urls.tracker)}")
    click.echo(f"dagster database: {mask_url_password(urls.dagster)}")
    click.echo(f"schema revision: {migrate.current_revision(urls.tracker)}")


@db_group.command("stop")
@pass_runtime
def db_stop(runtime: Runtime) -> None:
    """Stop the embedded PostgreSQL server of this home."""
    stopped = stop_embedded_server(runtime.settings.database_config())
    click.echo("embedded server stopped" if stopped else "embedded server was not running")
