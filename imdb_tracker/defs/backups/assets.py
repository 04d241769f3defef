"""Backups in Dagster: the hourly ``database_backup`` and the per-movie Parquet ``movie_backup``.

The work is done by :mod:`imdb_tracker.backup`; these assets only hand it the resources
(``database``, dagster-aws ``s3``, ``backup_storage``) and turn its report into metadata.
"""

from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from imdb_tracker.backup.errors import BackupError
from imdb_tracker.backup.parquet_export import export_movie_to_s3
from imdb_tracker.backup.run import BackupReport, S3Location, S3Unavailable, run_database_backup
from imdb_tracker.backup.s3_store import S3_ERRORS, describe_s3_error
from imdb_tracker.defs.movies.assets import movie_reviews, review_sentiments
from imdb_tracker.defs.partitions import movies_partitions
from imdb_tracker.defs.policies import OWNERS
from imdb_tracker.defs.resources import BackupStorage, TrackerDatabase

GROUP = "backups"


def _report_metadata(report: BackupReport) -> dict[str, Any]:
    backup = report.backup
    return {
        "local_path": dg.MetadataValue.path(str(backup.path)),
        "taken_at": backup.taken_at.isoformat(),
        "size_bytes": backup.size_bytes,
        "duration_s": round(backup.duration_s, 3),
        "sha256": backup.sha256,
        "s3_key": report.s3_key or "(not uploaded)",
        "pruned_local": [path.name for path in report.pruned_local],
        "pruned_s3_keys": report.pruned_s3,
    }


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"postgres", "s3"},
    description="pg_dump of the tracker database to the local backup folder and S3, with retention.",
)
def database_backup(
    context: dg.AssetExecutionContext,
    database: TrackerDatabase,
    s3: S3Resource,
    backup_storage: BackupStorage,
) -> dg.MaterializeResult:
    """Dump, checksum, upload and prune; fails naming the local file when only S3 went wrong."""
    urls = database.urls()
    bucket = backup_storage.s3_bucket
    location = S3Location(s3.get_client(), bucket, backup_storage.s3_prefix) if bucket else None
    if location is None:
        context.log.warning("S3_BUCKET is not set: the backup stays in the local folder only")
    try:
        report = run_database_backup(
            urls.tracker,
            backup_storage.path(),
            backup_storage.policy(),
            pg_bin_dir=urls.pg_bin_dir,
            s3=location,
        )
    except S3Unavailable as exc:
        raise dg.Failure(description=str(exc), metadata=_report_metadata(exc.report)) from exc
    except BackupError as exc:
        raise dg.Failure(description=f"backup failed: {exc}") from exc
    context.log.info(f"backup {report.backup.path} ({report.backup.size_bytes} bytes) → {report.s3_key}")
    return dg.MaterializeResult(metadata=_report_metadata(report))


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    partitions_def=movies_partitions,
    deps=[movie_reviews, review_sentiments],
    kinds={"parquet", "s3"},
    description="One movie's reviews and sentiments as Parquet in S3, readable without the database.",
)
def movie_backup(
    context: dg.AssetExecutionContext,
    database: TrackerDatabase,
    s3: S3Resource,
    backup_storage: BackupStorage,
) -> dg.MaterializeResult:
    """``{prefix}/movies/{movie_id}/reviews.parquet`` and ``sentiments.parquet``."""
    movie_id = context.partition_key
    bucket = backup_storage.s3_bucket
    if not bucket:
        raise dg.Failure(description="S3_BUCKET is not set: movie backups are written to S3 only")
    try:
        files = export_movie_to_s3(
            database.engine(), s3.get_client(), bucket, backup_storage.s3_prefix, movie_id
        )
    except S3_ERRORS as exc:
        raise dg.Failure(description=f"S3 upload of {movie_id} failed: {describe_s3_error(exc)}") from exc
    metadata: dict[str, Any] = {"bucket": bucket}
    for exported in files:
        name = exported.key.rsplit("/", 1)[-1].removesuffix(".parquet")
        metadata[f"{name}_key"] = exported.key
        metadata[f"{name}_rows"] = exported.rows
        metadata[f"{name}_bytes"] = exported.size_bytes
    return dg.MaterializeResult(metadata=metadata)
