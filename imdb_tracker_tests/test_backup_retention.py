"""The retention policy and backup names, as pure functions over timestamps."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from imdb_tracker.backup.catalog import BackupRef, newest_at_or_before
from imdb_tracker.backup.errors import NoBackupFound
from imdb_tracker.backup.naming import backup_name, parse_backup_name
from imdb_tracker.backup.retention import timestamps_to_keep, timestamps_to_prune

pytestmark = pytest.mark.fast


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 4, day, hour, minute, tzinfo=UTC)


def every_15_minutes(start: datetime, end: datetime) -> list[datetime]:
    moments, moment = [], start
    while moment <= end:
        moments.append(moment)
        moment += timedelta(minutes=15)
    return moments


def test_keeps_newest_of_last_hours_and_days_exactly():
    backups = every_15_minutes(utc(9, 0), utc(11, 11, 45))
    kept = timestamps_to_keep(backups, keep_hourly=3, keep_daily=2)
    assert kept == {utc(11, 11, 45), utc(11, 10, 45), utc(11, 9, 45), utc(10, 23, 45)}
    pruned = timestamps_to_prune(backups, keep_hourly=3, keep_daily=2)
    assert len(pruned) == len(backups) - 4
    assert pruned == sorted(set(backups) - kept)


def test_daily_reaches_back_further_than_hourly():
    backups = [utc(day, hour) for day in (1, 2, 3) for hour in (6, 18)]
    assert timestamps_to_keep(backups, keep_hourly=1, keep_daily=3) == {utc(3, 18), utc(2, 18), utc(1, 18)}


def test_hours_without_backups_do_not_count():
    # Backups stopped for two days: the last 2 hourly backups are still kept, not expired by the clock.
    backups = [utc(1, 10), utc(1, 11), utc(1, 12), utc(3, 12, 30)]
    assert timestamps_to_keep(backups, keep_hourly=2, keep_daily=0) == {utc(3, 12, 30), utc(1, 12)}


def test_newest_is_always_kept_and_empty_input_is_fine():
    backups = [utc(1, 1), utc(1, 2)]
    assert timestamps_to_keep(backups, 0, 0) == {utc(1, 2)}
    assert timestamps_to_prune(backups, 0, 0) == [utc(1, 1)]
    assert timestamps_to_keep([], 3, 3) == set()


def test_days_are_utc_days():
    # 23:30 at UTC-2 on the 10th is 01:30 UTC on the 11th: same UTC day as the 11th's noon backup.
    late_local = datetime(2025, 4, 10, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    backups = [utc(10, 12), late_local, utc(11, 12)]
    assert timestamps_to_keep(backups, keep_hourly=0, keep_daily=2) == {utc(11, 12), utc(10, 12)}


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError, match="retention counts"):
        timestamps_to_keep([utc(1, 1)], -1, 2)


def test_backup_names_round_trip_and_reject_others():
    moment = datetime(2025, 4, 11, 12, 0, 5, 999, tzinfo=UTC)
    name = backup_name(moment)
    assert name == "tracker-20250411T120005Z.dump"
    assert parse_backup_name(name) == moment.replace(microsecond=0)
    assert parse_backup_name(f"imdb-tracker/db/{name}") == moment.replace(microsecond=0)
    for other in (f".{name}.partial", f"{name}.sha256", "tracker-2025.dump", "notes.txt"):
        assert parse_backup_name(other) is None


def test_newest_at_or_before():
    refs = [BackupRef(utc(1, h), f"b{h}", 1) for h in (1, 5, 9)]
    assert newest_at_or_before(refs, None, "here").location == "b9"
    assert newest_at_or_before(refs, utc(1, 5), "here").location == "b5"
    assert newest_at_or_before(refs, utc(1, 8, 59), "here").location == "b5"
    with pytest.raises(NoBackupFound, match=r"no backup at or before 2025-04-01T00:30:00\+00:00 in here"):
        newest_at_or_before(refs, utc(1, 0, 30), "here")
