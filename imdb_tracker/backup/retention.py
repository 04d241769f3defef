"""Which backups to keep: the newest of each of the last N hours and of the last M days (UTC).

Like restic's ``--keep-hourly``/``--keep-daily``, "last N hours" counts only hours that have a
backup, so a pause in backups never lets old backups expire. The newest backup is always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from imdb_tracker.backup.naming import as_utc


def timestamps_to_keep(timestamps: Iterable[datetime], keep_hourly: int, keep_daily: int) -> set[datetime]:
    """The timestamps (UTC) that the policy keeps."""
    if keep_hourly < 0 or keep_daily < 0:
        raise ValueError(f"retention counts must be >= 0, got hourly={keep_hourly} daily={keep_daily}")
    newest_first = sorted({as_utc(t) for t in timestamps}, reverse=True)
    if not newest_first:
        return set()
    hourly = _newest_per_bucket(newest_first, lambda t: (t.date(), t.hour), keep_hourly)
    daily = _newest_per_bucket(newest_first, lambda t: t.date(), keep_daily)
    return {newest_first[0], *hourly, *daily}


def timestamps_to_prune(timestamps: Iterable[datetime], keep_hourly: int, keep_daily: int) -> list[datetime]:
    """The timestamps (UTC) that the policy deletes, oldest first."""
    everything = {as_utc(t) for t in timestamps}
    return sorted(everything - timestamps_to_keep(everything, keep_hourly, keep_daily))


def _newest_per_bucket(
    newest_first: list[datetime], bucket_of: Callable[[datetime], Hashable], limit: int
) -> list[datetime]:
    kept: list[datetime] = []
    seen: set[Hashable] = set()
    for moment in newest_first:
        bucket = bucket_of(moment)
        if bucket in seen:
            continue
        if len(seen) == limit:
            break
        seen.add(bucket)
        kept.append(moment)
    return kept


@dataclass(frozen=True)
class RetentionPolicy:
    """How many hourly and daily backups to keep (``BACKUP_KEEP_HOURLY``, ``BACKUP_KEEP_DAILY``)."""

    keep_hourly: int
    keep_daily: int
