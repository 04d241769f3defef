"""Every client's Superset access, made to match its watchlist."""

import dagster as dg

from imdb_tracker.db.clients import client_watchlists
from imdb_tracker.defs.partitions import tracked_movies
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.resources import SupersetServer, TrackerDatabase
from imdb_tracker.superset_client.reconcile import invalid_clients, reconcile


def current_watchlists(instance: dg.DagsterInstance, database: TrackerDatabase) -> dict[str, tuple[str, ...]]:
    """``{client: tracked movie ids on its watchlist}`` for every client of the database."""
    with database.engine().connect() as conn:
        return client_watchlists(conn, tracked_movies(instance))


@dg.asset(group_name="clients", owners=OWNERS, kinds={"superset"}, retry_policy=IO_RETRY)
def client_access(
    context: dg.AssetExecutionContext, database: TrackerDatabase, superset: SupersetServer
) -> dg.MaterializeResult:
    """Each client's Superset role, row-level-security rule, dataset permissions and dashboard
    roles, made to match the tracked movies of its watchlist; what a removed client left behind is
    removed. Reports every repair (a rule edited by hand, a movie deleted in the Dagster UI …).

    The CLI already updates a client's rule in the same command; this repairs what changed
    around it. Users imdb-tracker did not create are never touched.
    """
    watchlists = current_watchlists(context.instance, database)
    repaired = reconcile(superset.api(), watchlists)
    for drift in repaired:
        context.log.warning(f"repaired {drift}")
    skipped = invalid_clients(watchlists)
    if skipped:
        context.log.warning(f"clients with names Superset cannot use, left without access: {skipped}")
    lines = ["| client | repaired |", "|---|---|", *(f"| {d.client} | {d.problem} |" for d in repaired)]
    return dg.MaterializeResult(
        metadata={
            "clients": len(watchlists),
            "repaired": len(repaired),
            "repairs": dg.MetadataValue.md("\n".join(lines) if repaired else "nothing to repair"),
            "skipped_invalid_names": skipped,
        }
    )
