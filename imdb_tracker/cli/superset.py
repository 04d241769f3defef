"""``imdb-tracker superset provision``: the dashboards kept as code, applied to a running Superset."""

from __future__ import annotations

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, fail, pass_runtime
from imdb_tracker.db.reporting import ReadonlyRoleError
from imdb_tracker.superset_client.api import SupersetError
from imdb_tracker.superset_client.bundle import BundleError
from imdb_tracker.superset_client.service import SupersetConfigError, provision


@click.group("superset")
def superset_group() -> None:
    """Provision the Superset dashboards (superset/bundle) on SUPERSET_URL."""


@superset_group.command("provision")
@click.option(
    "--database-uri",
    help="The tracker database as Superset reaches it, when its host differs from ours "
    "(credentials are replaced by the read-only role's).",
)
@pass_runtime
def superset_provision(runtime: Runtime, database_uri: str | None) -> None:
    """Create the read-only role, import the bundle (overwriting) and re-apply every client's access.

    Running it again changes nothing.
    """
    try:
        report = provision(runtime.settings, runtime.engine, runtime.tracked_ids(), database_uri)
    except SupersetConfigError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except (SupersetError, BundleError, ReadonlyRoleError) as exc:
        fail(str(exc))
    base = runtime.settings.superset_url.rstrip("/")
    for title, dashboard_id in sorted(report.dashboards.items()):
        click.echo(f"dashboard {title}: {base}/superset/dashboard/{dashboard_id}/")
    for drift in report.repaired:
        click.echo(f"repaired {drift}")
    click.echo(
        f"imported {report.datasets} datasets and {report.charts} charts; "
        f"access checked for {report.clients} client(s)"
    )
