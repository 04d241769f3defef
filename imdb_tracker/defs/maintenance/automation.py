"""The run-history pruning job and its hourly schedule.

Every tracked movie makes about 25 runs a day (hourly metadata, reviews, sentiments), so 1,000
movies add ~25,000 run records and their event logs daily. Dagster keeps runs forever; this job
deletes the finished ones older than ``RUN_HISTORY_KEEP_DAYS`` (keeping each asset partition's
latest materialization), in bounded batches. Schedule and sensor ticks are purged by the daemon
(``retention`` in ``dagster.yaml``).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from imdb_tracker.defs.policies import max_runtime
from imdb_tracker.defs.resources import RunRetention
from imdb_tracker.instance import prune_run_history as prune_instance_runs


@dg.op(description="Delete finished runs older than the retention (and their event logs).")
def prune_run_history(context: dg.OpExecutionContext, run_retention: RunRetention) -> dg.Output[int]:
    cutoff = datetime.now(UTC) - timedelta(days=run_retention.keep_days)
    pruned = prune_instance_runs(context.instance, older_than=cutoff, limit=run_retention.runs_per_tick)
    context.log.info(
        f"deleted {pruned.deleted} runs created before {cutoff:%Y-%m-%d %H:%M} UTC; "
        f"kept {pruned.kept} that hold an asset's latest materialization"
    )
    return dg.Output(pruned.deleted, metadata={"deleted": pruned.deleted, "kept": pruned.kept})


@dg.job(tags=max_runtime(30), description="Prune Dagster's run history (see RUN_HISTORY_KEEP_DAYS).")
def prune_run_history_job() -> None:
    prune_run_history()


prune_run_history_hourly = dg.ScheduleDefinition(
    name="prune_run_history_hourly",
    job=prune_run_history_job,
    cron_schedule="50 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Deletes finished runs older than RUN_HISTORY_KEEP_DAYS, every hour.",
)
