"""The client-access job and the sensor that requests it when Superset drifts from the watchlists."""

import hashlib
import json
import time

import dagster as dg

from imdb_tracker.defs.clients.assets import client_access, current_watchlists
from imdb_tracker.defs.resources import SupersetServer, TrackerDatabase
from imdb_tracker.superset_client.api import SupersetError
from imdb_tracker.superset_client.reconcile import find_drift

REPEAT_AFTER_SECONDS = 600
"""Drift still there this long after a repair was requested is requested again."""

client_access_job = dg.define_asset_job(
    "client_access_job",
    selection=[client_access],
    description="Make every client's Superset access match its watchlist and report the repairs.",
)


@dg.sensor(
    job=client_access_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Compares every client's Superset rule with its watchlist each minute (a movie deleted "
    "in the Dagster UI, a rule edited by hand) and requests a repair run when they differ.",
)
def client_access_drift_sensor(
    context: dg.SensorEvaluationContext, database: TrackerDatabase, superset: SupersetServer
) -> dg.SensorResult | dg.SkipReason:
    """Read-only check; the cursor remembers the drift last requested, so one drift is one run
    (again after ten minutes if it is still there)."""
    if not superset.configured:
        return dg.SkipReason("SUPERSET_ADMIN_PASSWORD is not set: no Superset to keep in step")
    watchlists = current_watchlists(context.instance, database)
    try:
        drift = find_drift(superset.api(), watchlists)
    except SupersetError as exc:
        return dg.SkipReason(f"Superset not checked: {exc}")
    if not drift:
        return dg.SensorResult(skip_reason="every client's access matches its watchlist", cursor="{}")
    fingerprint = hashlib.sha256("\n".join(map(str, drift)).encode()).hexdigest()[:16]
    last = json.loads(context.cursor) if context.cursor else {}
    now = time.time()
    if last.get("drift") == fingerprint and now - last.get("at", 0) < REPEAT_AFTER_SECONDS:
        return dg.SkipReason(f"repair already requested for: {'; '.join(map(str, drift))}")
    context.log.info(f"drift: {'; '.join(map(str, drift))}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(tags={"imdb-tracker/drift": fingerprint})],
        cursor=json.dumps({"drift": fingerprint, "at": now}),
    )
