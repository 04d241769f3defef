"""Errors of the backup package; every message is one line a user can act on."""

from __future__ import annotations


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
