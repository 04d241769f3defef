"""Backups in the local folder: listing and retention."""

from __future__ import annotations

from pathlib import Path

from imdb_tracker.backup.catalog import BackupRef
from imdb_tracker.backup.checksum import sidecar_path
from imdb_tracker.backup.fsutil import fsync_dir
from imdb_tracker.backup.naming import DUMP_SUFFIX, parse_backup_name
from imdb_tracker.backup.retention import RetentionPolicy, timestamps_to_prune


def list_local_backups(backup_dir: Path) -> list[BackupRef]:
    """Complete backups in ``backup_dir``, oldest first (a missing folder has none)."""
    if not backup_dir.is_dir():
        return []
    found = []
    for path in backup_dir.glob(f"*{DUMP_SUFFIX}"):
        taken_at = parse_backup_name(path.name)
        if taken_at is not None and path.is_file():
            found.append(BackupRef(taken_at, str(path), path.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at)


def prune_local_backups(backup_dir: Path, policy: RetentionPolicy) -> list[Path]:
    """Delete the backups (with their checksum files) that ``policy`` does not keep; returns those dumps."""
    backups = list_local_backups(backup_dir)
    doomed = set(timestamps_to_prune((b.taken_at for b in backups), policy.keep_hourly, policy.keep_daily))
    deleted = []
    for backup in backups:
        if backup.taken_at in doomed:
            dump = Path(backup.location)
            sidecar_path(dump).unlink(missing_ok=True)
            dump.unlink(missing_ok=True)
            deleted.append(dump)
    if deleted:
        fsync_dir(backup_dir)
    return deleted
