"""Take a ``pg_dump --format=custom`` backup into a local folder, atomically, with its checksum."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from imdb_tracker.backup.checksum import sha256_file, write_sidecar
from imdb_tracker.backup.fsutil import commit_partial, partial_path
from imdb_tracker.backup.naming import as_utc, backup_name
from imdb_tracker.backup.pg_tools import find_pg_tool, run_pg_tool


@dataclass(frozen=True)
class LocalBackup:
    """A complete backup file on disk."""

    path: Path
    taken_at: datetime
    sha256: str
    size_bytes: int
    duration_s: float


def dump_database(url: str, backup_dir: Path, taken_at: datetime, pg_bin_dir: Path | None) -> LocalBackup:
    """Dump the database at ``url`` into ``backup_dir/tracker-<UTC time>.dump``.

    The dump is written to a hidden ``.partial`` file, fsynced and renamed, so the folder only ever
    holds complete backups; the sidecar checksum is in place before the dump appears. Names have
    whole seconds: a second backup within the same second is named one second later.
    """
    pg_dump = find_pg_tool("pg_dump", url, pg_bin_dir)
    backup_dir.mkdir(parents=True, exist_ok=True)
    taken_at = as_utc(taken_at)
    while (backup_dir / backup_name(taken_at)).exists():
        taken_at += timedelta(seconds=1)
    final = backup_dir / backup_name(taken_at)
    partial = partial_path(final)
    started = time.monotonic()
    try:
        run_pg_tool(pg_dump, ["--format=custom", f"--file={partial}"], url)
        sha256 = sha256_file(partial)
        write_sidecar(final, sha256)
        commit_partial(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return LocalBackup(
        path=final,
        taken_at=taken_at,
        sha256=sha256,
        size_bytes=final.stat().st_size,
        duration_s=time.monotonic() - started,
    )
