"""sha256 of backup files and their ``sha256sum``-compatible sidecars."""

from __future__ import annotations

import hashlib
from pathlib import Path

from imdb_tracker.backup.errors import ChecksumMismatch
from imdb_tracker.backup.fsutil import write_atomically
from imdb_tracker.backup.naming import CHECKSUM_SUFFIX

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(dump: Path) -> Path:
    """``tracker-….dump`` → ``tracker-….dump.sha256``."""
    return dump.with_name(dump.name + CHECKSUM_SUFFIX)


def write_sidecar(dump: Path, sha256: str) -> Path:
    """Write the sidecar of ``dump`` atomically, in the format ``sha256sum -c`` checks."""
    return write_atomically(sidecar_path(dump), f"{sha256}  {dump.name}\n".encode())


def read_sidecar(dump: Path) -> str:
    """The sha256 recorded next to ``dump``; ChecksumMismatch if there is none or it is malformed."""
    sidecar = sidecar_path(dump)
    try:
        recorded = sidecar.read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError) as exc:
        raise ChecksumMismatch(f"no readable checksum file {sidecar} for {dump}") from exc
    if len(recorded) != 64 or any(c not in "0123456789abcdef" for c in recorded):
        raise ChecksumMismatch(f"malformed checksum in {sidecar}")
    return recorded


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise ChecksumMismatch unless ``path`` hashes to ``expected_sha256``."""
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ChecksumMismatch(
            f"{path} has sha256 {actual}, expected {expected_sha256}: the backup is corrupt"
        )
