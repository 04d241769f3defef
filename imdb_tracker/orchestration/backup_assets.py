"""Backups in Dagster: the hourly ``database_backup`` and the per-movie Parquet ``movie_backup``.

The work is done by :mod:`imdb_tracker.backup`; this module only hands it the resources
(``database``: :class:`TrackerDatabase`, ``s3``: dagster-aws ``S3Resource``, ``backup_storage``:
:class:`BackupStorage`) and turns its report into materialization metadata.
"""

import os
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    DefaultScheduleStatus,
    EnvVar,
    Failure,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from dagster_aws.s3 import S3Resource

from imdb_tracker.backup.errors import BackupError, S3Unavailable
from imdb_tracker.backup.parquet_export import export_movie_to_s3
from imdb_tracker.backup.retention import RetentionPolicy
from imdb_tracker.backup.run import BackupReport, S3Location, run_database_backup
from imdb_tracker.backup.s3_store import S3_ERRORS, describe_s3_error
from imdb_tracker.orchestration.assets import movie_reviews, review_sentiments
from imdb_tracker.orchestration.partitions import movies_partitions
from imdb_tracker.orchestration.resources import TrackerDatabase
from imdb_tracker.settings import Settings, get_settings

GROUP = "backups"


class BackupStorage(ConfigurableResource):
    """Where backups go and how many are kept; ``None`` fields come from the settings."""

    backup_dir: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None

    def directory(self) -> Path:
        """The local backup folder."""
        return (
            Path(self.backup_dir).expanduser().resolve()
            if self.backup_dir
            else get_settings().resolved_backup_dir
        )

    def policy(self) -> RetentionPolicy:
        """The retention policy applied locally and in S3."""
        settings = get_settings()
        return RetentionPolicy(
            keep_hourly=settings.backup_keep_hourly if self.keep_hourly is None else self.keep_hourly,
            keep_daily=settings.backup_keep_daily if self.keep_daily is None else self.keep_daily,
        )

    def bucket(self) -> str | None:
        """The S3 bucket, or None when S3 is not configured."""
        return self.s3_bucket or get_settings().s3_bucket

    def prefix(self) -> str:
        """The key prefix inside the bucket."""
        return get_settings().s3_prefix if self.s3_prefix is None else self.s3_prefix


def s3_resource_from_settings(settings: Settings) -> S3Resource:
    """An ``S3Resource`` for the configured store (AWS, MinIO, any S3-compatible endpoint).

    The secret key is passed as ``EnvVar`` when it is in the environment, so the UI shows only its name.
    """
    if "AWS_SECRET_ACCESS_KEY" in os.environ:
        secret: str | EnvVar | None = EnvVar("AWS_SECRET_ACCESS_KEY")
    else:
        secret = settings.aws_secret_access_key.get_secret_value() if settings.aws_secret_access_key else None
    return S3Resource(
        region_name=settings.aws_region,
        endpoint_url=settings.s3_endpoint_url or None,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=secret,
    )


def backup_resources(settings: Settings) -> dict[str, object]:
    """The resources the backup assets need besides ``database``."""
    return {"s3": s3_resource_from_settings(settings), "backup_storage": BackupStorage()}


def _report_metadata(report: BackupReport) -> dict[str, object]:
    backup = report.backup
    return {
        "local_path": MetadataValue.path(str(backup.path)),
        "taken_at": backup.taken_at.isoformat(),
        "size_bytes": backup.size_bytes,
        "duration_s": round(backup.duration_s, 3),
        "sha256": backup.sha256,
        "s3_key": report.s3_key or "(not uploaded)",
        "pruned_local": [path.name for path in report.pruned_local],
        "pruned_s3_keys": report.pruned_s3,
    }


@asset(
    group_name=GROUP,
    kinds={"postgres", "s3"},
    description="pg_dump of the tracker database to the local backup folder and S3, with retention.",
)
def database_backup(
    context: AssetExecutionContext, database: TrackerDatabase, s3: S3Resource, backup_storage: BackupStorage
) -> MaterializeResult:
    """Dump, checksum, upload and prune; fails naming the local file when only S3 went wrong."""
    urls = database.urls()
    bucket = backup_storage.bucket()
    location = S3Location(s3.get_client(), bucket, backup_storage.prefix()) if bucket else None
    if location is None:
        context.log.warning("S3_BUCKET is not set: the backup stays in the local folder only")
    try:
        report = run_database_backup(
            urls.tracker,
            backup_storage.directory(),
            backup_storage.policy(),
            pg_bin_dir=urls.pg_bin_dir,
            s3=location,
        )
    except S3Unavailable as exc:
        raise Failure(description=str(exc), metadata=_report_metadata(exc.report)) from exc
    except BackupError as exc:
        raise Failure(description=f"backup failed: {exc}") from exc
    context.log.info(f"backup {report.backup.path} ({report.backup.size_bytes} bytes) → {report.s3_key}")
    return MaterializeResult(metadata=_report_metadata(report))


@asset(
    group_name=GROUP,
    partitions_def=movies_partitions,
    deps=[movie_reviews, review_sentiments],
    kinds={"parquet", "s3"},
    description="One movie's reviews and sentiments as Parquet in S3, readable without the database.",
)
def movie_backup(
    context: AssetExecutionContext, database: TrackerDatabase, s3: S3Resource, backup_storage: BackupStorage
) -> MaterializeResult:
    """``{prefix}/movies/{movie_id}/reviews.parquet`` and ``sentiments.parquet``."""
    movie_id = context.partition_key
    bucket = backup_storage.bucket()
    if not bucket:
        raise Failure(description="S3_BUCKET is not set: movie backups are written to S3 only")
    try:
        files = export_movie_to_s3(
            database.engine(), s3.get_client(), bucket, backup_storage.prefix(), movie_id
        )
    except S3_ERRORS as exc:
        raise Failure(description=f"S3 upload of {movie_id} failed: {describe_s3_error(exc)}") from exc
    metadata: dict[str, object] = {"bucket": bucket}
    for exported in files:
        name = exported.key.rsplit("/", 1)[-1].removesuffix(".parquet")
        metadata[f"{name}_key"] = exported.key
        metadata[f"{name}_rows"] = exported.rows
        metadata[f"{name}_bytes"] = exported.size_bytes
    return MaterializeResult(metadata=metadata)


database_backup_job = define_asset_job(
    "database_backup_job", selection=[database_backup], description="Back up the tracker database."
)

hourly_database_backup_schedule = ScheduleDefinition(
    name="hourly_database_backup",
    job=database_backup_job,
    cron_schedule="5 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Database backup every hour (local folder + S3, retention applied).",
)
