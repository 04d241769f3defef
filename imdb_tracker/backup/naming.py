"""Backup names carry their UTC timestamp: ``tracker-20250411T120000Z.dump``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

DUMP_SUFFIX = ".dump"
CHECKSUM_SUFFIX = ".sha256"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^tracker-(\d{8}T\d{6}Z)\.dump$")


def backup_name(taken_at: datetime) -> str:
    """File name of a backup taken at ``taken_at`` (converted to UTC, whole seconds)."""
    return f"tracker-{as_utc(taken_at).strftime(_STAMP_FORMAT)}{DUMP_SUFFIX}"


def parse_backup_name(name: str) -> datetime | None:
    """The UTC time in a backup file name (a bare name, or the last part of a path/key); None if not one."""
    match = _NAME.match(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC, whole seconds; a naive datetime is taken to be UTC already."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)
