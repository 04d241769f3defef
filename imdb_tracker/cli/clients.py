"""``imdb-tracker clients add|sync|list|remove``: who sees which movies in Superset."""

from __future__ import annotations

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, access_errors, fail, pass_runtime
from imdb_tracker.superset_client.service import add_client, list_clients, remove_client, sync_clients


@click.group("clients")
def clients_group() -> None:
    """Manage clients: Superset users that see only the tracked movies on their watchlist."""


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
    """Create client NAME (or reset its password): Superset user, role and row-level-security rule.

    NAME must not belong to a Superset user imdb-tracker did not create (exit 2, nothing changes).
    """
    with access_errors():
        access = add_client(runtime.settings, runtime.engine, runtime.tracked_ids(), name, password)
    movies = ", ".join(access.movie_ids) or "no movies yet (imdb-tracker movies add ID --client NAME)"
    click.echo(f"client {access.client}: {movies}")


@clients_group.command("sync")
@click.argument("names", nargs=-1)
@pass_runtime
def clients_sync(runtime: Runtime, names: tuple[str, ...]) -> None:
    """Repair the Superset access of NAMES (default: every client) from their watchlists.

    Every change through the CLI already does this; the ``client_access_drift_sensor`` does it in
    the background. Prints what it repaired.
    """
    with access_errors():
        repaired = sync_clients(runtime.settings, runtime.engine, runtime.tracked_ids(), names)
    for drift in repaired:
        click.echo(f"repaired {drift}")
    if not repaired:
        click.echo("Superset access matches every watchlist", err=True)


@clients_group.command("list")
@pass_runtime
def clients_list(runtime: Runtime) -> None:
    """List the clients: the movies they see, movies hidden because untracked, their Superset user."""
    with access_errors():
        rows = list_clients(runtime.settings, runtime.engine, runtime.tracked_ids())
    for row in rows:
        if row.user is None:
            user = "no superset user"
        elif row.user.is_client:
            user = "superset user" if row.user.active else "superset user (inactive)"
        else:
            user = "name taken by a non-client superset user"
        hidden = f" (untracked: {','.join(row.untracked)})" if row.untracked else ""
        click.echo(f"{row.name}\t{','.join(row.visible) or '-'}{hidden}\t{user}")
    if not rows:
        click.echo("no clients", err=True)


@clients_group.command("remove")
@click.argument("name")
@pass_runtime
def clients_remove(runtime: Runtime, name: str) -> None:
    """Delete client NAME: its Superset user, role and rule, and its watchlist."""
    with access_errors():
        removed = remove_client(runtime.settings, runtime.engine, name)
    if not removed:
        fail(f"no client named {name!r}", EXIT_BAD_INPUT)
    click.echo(f"removed client {name}")
