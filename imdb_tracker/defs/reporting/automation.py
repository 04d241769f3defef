"""The reporting refresh job and its schedule."""

import dagster as dg

from imdb_tracker.defs.reporting.assets import reporting_views

reporting_views_job = dg.define_asset_job(
    "reporting_views_job", selection=[reporting_views], description="Refresh the dashboards' aggregates."
)

reporting_views_every_15_minutes = dg.ScheduleDefinition(
    name="reporting_views_every_15_minutes",
    job=reporting_views_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Keeps dashboards at most 15 minutes behind the pipeline.",
)
