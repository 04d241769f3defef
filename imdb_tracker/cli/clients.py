"""``imdb-tracker clients add|sync|list|remove``: who sees which movies in Superset."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, fail, pass_runtime
from imdb_tracker.superset_client.access import ClientAccess
from imdb_tracker.superset_client.api import SupersetError
from imdb_tracker.superset_client.service import (
    SupersetConfigError,
    add_client,
    client_names_in_database,
    list_clients,
    remove_client,
    sync_client_access,
)

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except (SupersetConfigError, ValueError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except SupersetError as exc:
        fail(str(exc))


def _describe(access: ClientAccess) -> str:
    movies = ", ".join(access.movie_ids) or "no movies yet"
    return f"{access.client}: {movies}"


@click.group("clients")
def clients_group() -> None:
    """Manage clients: a Superset user that sees only the movies on its watchlist."""


@clients_group.command("add")
@click.argument("name")
@click.option(
    "--password",
    envvar="IMDB_TRACKER_CLIENT_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Superset password of the client (or env IMDB_TRACKER_CLIENT_PASSWORD; asked when absent).",
)
@pass_runtime
def clients_add(runtime: Runtime, name: str, password: str) -> None:
    """Create client NAME: Superset user, role and row-level-security rule on its watchlist."""
    access = _run(lambda: add_client(runtime.settings, runtime.engine, name, password))
    click.echo(f"client {_describe(access)}")


@clients_group.command("sync")
@click.argument("names", nargs=-1)
@pass_runtime
def clients_sync(runtime: Runtime, names: tuple[str, ...]) -> None:
    """Re-apply the row-level-security rules of NAMES (default: every client) from their watchlists."""
    targets = list(names) or client_names_in_database(runtime.engine)
    for name in targets:
        access = _run(lambda name=name: sync_client_access(runtime.settings, runtime.engine, name))
        click.echo(f"synced {_describe(access)}")
    if not targets:
        click.echo("no clients", err=True)


@clients_group.command("list")
@pass_runtime
def clients_list(runtime: Runtime) -> None:
    """List the clients, their watchlists and whether they have a Superset user."""
    rows = _run(lambda: list_clients(runtime.settings, runtime.engine))
    for row in rows:
        user = "superset user" if row.has_superset_user else "no superset user"
        click.echo(f"{row.name}\t{','.join(row.movie_ids) or '-'}\t{user}")
    if not rows:
        click.echo("no clients", err=True)


@clients_group.command("remove")
@click.argument("name")
@pass_runtime
def clients_remove(runtime: Runtime, name: str) -> None:
    """Delete client NAME: its Superset user, role and rule, and its watchlist."""
    removed = _run(lambda: remove_client(runtime.settings, runtime.engine, name))
    if not removed:
        fail(f"no client named {name!r}", EXIT_BAD_INPUT)
    click.echo(f"removed client {name}")
