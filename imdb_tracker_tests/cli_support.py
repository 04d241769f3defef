"""Running the ``imdb-tracker`` command and other processes from tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    drop_env: Iterable[str] = (),
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``imdb-tracker ARGS`` in a subprocess with this process's environment (so the session's
    home), minus ``drop_env``, plus ``env``."""
    dropped = set(drop_env)
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    return subprocess.run(
        [sys.executable, "-m", "imdb_tracker", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environment, **(env or {})},
        timeout=timeout,
    )


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """End a process started with ``start_new_session=True`` and everything it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
