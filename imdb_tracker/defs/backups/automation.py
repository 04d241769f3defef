"""The backup job and its hourly schedule."""

import dagster as dg

from imdb_tracker.defs.backups.assets import database_backup

database_backup_job = dg.define_asset_job(
    "database_backup_job", selection=[database_backup], description="Back up the tracker database."
)

database_backup_hourly = dg.ScheduleDefinition(
    name="database_backup_hourly",
    job=database_backup_job,
    cron_schedule="5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Database backup every hour (local folder + S3, retention applied).",
)
