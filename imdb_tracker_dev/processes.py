"""Ending the process trees that the tests and the benchmarks start (``imdb-tracker ui``, the Dagster
daemon, Superset): each is started in a session of its own (``start_new_session=True``), so its
process group holds everything it started."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """End ``process`` (started with ``start_new_session=True``) and everything it started: SIGTERM
    to its process group, SIGKILL if it has not ended within ``timeout`` seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
