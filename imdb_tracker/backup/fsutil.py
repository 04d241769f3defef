"""Crash-safe file writes: temporary file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
from pathlib import Path


def partial_path(final: Path) -> Path:
    """Where a file is written before it is renamed into place (ignored by every listing)."""
    return final.with_name(f".{final.name}.partial")


def fsync_file(path: Path) -> None:
    """Flush a file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames, deletions) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_partial(partial: Path, final: Path) -> Path:
    """fsync ``partial`` and rename it to ``final`` atomically; returns ``final``."""
    fsync_file(partial)
    os.replace(partial, final)
    fsync_dir(final.parent)
    return final


def write_atomically(final: Path, content: bytes) -> Path:
    """Write ``content`` to ``final`` so readers see the old file or the whole new one, never a part."""
    partial = partial_path(final)
    partial.write_bytes(content)
    return commit_partial(partial, final)
