"""Errors of the backup package; every message is one line a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imdb_tracker.backup.run import BackupReport


class BackupError(Exception):
    """Base class of backup and restore failures."""


class PgToolError(BackupError):
    """pg_dump / pg_restore missing, too old for the server, or failed."""


class ChecksumMismatch(BackupError):
    """A backup file does not match its recorded sha256."""


class NoBackupFound(BackupError):
    """No backup matches the request (location, point in time)."""


class TargetNotEmpty(BackupError):
    """The restore target already holds tables and ``force`` was not given."""


class S3OperationFailed(BackupError):
    """S3 answered but refused an operation."""


class S3Unavailable(BackupError):
    """The local backup is complete, but storing it in S3 (or pruning S3) failed."""

    def __init__(self, report: BackupReport, step: str, cause: str) -> None:
        local_path = report.backup.path
        super().__init__(
            f"S3 {step} failed ({cause}); nothing is lost: the local backup is complete at {local_path}"
        )
        self.local_path = local_path
        self.report = report
