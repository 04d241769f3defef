"""Helpers shared by the CLI commands: one-line errors with exit codes, and the prepared runtime."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine

from imdb_tracker.db.server import CONNECT_ARGS, DatabaseUrls
from imdb_tracker.settings import Settings, get_settings, invalid_settings_message

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def access_errors() -> Iterator[None]:
    """One-line errors for client and dashboard-access changes: a bad or unknown client name, a name
    taken by a Superset user, or a missing setting exit 2; Superset refusing or unreachable exits 1."""
    from imdb_tracker.superset_client.api import SupersetError
    from imdb_tracker.superset_client.service import SupersetConfigError

    try:
        yield
    except (SupersetConfigError, ValueError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except SupersetError as exc:
        fail(str(exc))


@dataclass
class Runtime:
    """What a command needs, created on first use: settings, database, Dagster instance."""

    settings: Settings

    @cached_property
    def urls(self) -> DatabaseUrls:
        """Database URLs, after starting the embedded server and migrating the schema if needed."""
        from imdb_tracker.instance import prepare

        return prepare(self.settings)

    @cached_property
    def engine(self) -> Engine:
        """Engine on the tracker database."""
        return create_engine(self.urls.tracker, pool_pre_ping=True, connect_args=CONNECT_ARGS)

    @cached_property
    def instance(self):  # -> dagster.DagsterInstance
        """The Dagster instance of this home."""
        from dagster import DagsterInstance

        _ = self.urls  # prepares DAGSTER_HOME
        return DagsterInstance.get()

    def tracked_ids(self) -> list[str]:
        """Ids of the tracked movies (the Dagster ``movies`` partitions)."""
        from imdb_tracker.defs.partitions import tracked_movies

        return tracked_movies(self.instance)


pass_runtime = click.make_pass_decorator(Runtime)


def make_runtime() -> Runtime:
    """A runtime on the process settings; an invalid setting exits 2 with a one-line error."""
    try:
        return Runtime(get_settings())
    except ValidationError as exc:
        fail(invalid_settings_message(exc), EXIT_BAD_INPUT)


def check_output_path(path: Path, option: str) -> None:
    """Exit 2 unless a file can be written at ``path`` (checked before any work starts)."""
    folder = path.parent
    if path.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"directory {folder} does not exist"
    elif not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        problem = "permission denied"
    else:
        return
    fail(f"cannot write {option} {path}: {problem}", EXIT_BAD_INPUT)
