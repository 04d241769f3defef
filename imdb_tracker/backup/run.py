"""One database backup run: dump locally, apply retention locally, upload to S3, apply retention in S3."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imdb_tracker.backup.dump import LocalBackup, dump_database
from imdb_tracker.backup.errors import BackupError
from imdb_tracker.backup.local_store import prune_local_backups
from imdb_tracker.backup.retention import RetentionPolicy
from imdb_tracker.backup.s3_store import S3_ERRORS, describe_s3_error, prune_s3_backups, upload_backup


@dataclass(frozen=True)
class S3Location:
    """Where backups go in S3: a boto3 client, a bucket and a key prefix."""

    client: Any
    bucket: str
    prefix: str


@dataclass
class BackupReport:
    """What a backup run did."""

    backup: LocalBackup
    pruned_local: list[Path]
    s3_key: str | None = None
    pruned_s3: list[str] = field(default_factory=list)


class S3Unavailable(BackupError):
    """The local backup is complete, but storing it in S3 (or pruning S3) failed."""

    def __init__(self, report: BackupReport, step: str, cause: str) -> None:
        local_path = report.backup.path
        super().__init__(
            f"S3 {step} failed ({cause}); nothing is lost: the local backup is complete at {local_path}"
        )
        self.local_path = local_path
        self.report = report


def run_database_backup(
    url: str,
    backup_dir: Path,
    policy: RetentionPolicy,
    *,
    pg_bin_dir: Path | None = None,
    s3: S3Location | None = None,
    now: datetime | None = None,
) -> BackupReport:
    """Back up the database at ``url``; S3 is skipped when ``s3`` is None.

    The local backup and local retention always complete first. If S3 then fails, S3Unavailable
    is raised naming the local file; its ``report`` holds what was done.
    """
    backup = dump_database(url, backup_dir, now or datetime.now(UTC), pg_bin_dir)
    report = BackupReport(backup=backup, pruned_local=prune_local_backups(backup_dir, policy))
    if s3 is None:
        return report
    step = "upload"
    try:
        report.s3_key = upload_backup(s3.client, s3.bucket, s3.prefix, backup.path, backup.sha256)
        step = "retention"
        report.pruned_s3 = prune_s3_backups(s3.client, s3.bucket, s3.prefix, policy)
    except S3_ERRORS as exc:
        raise S3Unavailable(report, step, describe_s3_error(exc)) from exc
    return report
