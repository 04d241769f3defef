"""Backups as found in a location (local folder or S3), and picking one for a point in time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from imdb_tracker.backup.errors import NoBackupFound
from imdb_tracker.backup.naming import as_utc


@dataclass(frozen=True)
class BackupRef:
    """One stored backup: its time, where it is (file path or S3 key) and its size."""

    taken_at: datetime
    location: str
    size_bytes: int


def newest_at_or_before(backups: Iterable[BackupRef], at: datetime | None, where: str) -> BackupRef:
    """The newest backup taken at or before ``at`` (any time when None); NoBackupFound if none."""
    limit = None if at is None else as_utc(at)
    candidates = [b for b in backups if limit is None or b.taken_at <= limit]
    if not candidates:
        when = "" if limit is None else f" at or before {limit.isoformat()}"
        raise NoBackupFound(f"no backup{when} in {where}")
    return max(candidates, key=lambda b: b.taken_at)
