"""When one machine stops being enough: wall time and peak memory of one movie's full run.

Runs ``imdb-tracker run MOVIE`` (metadata, every review, offline sentiments: the three
materializations a new movie gets) in a subprocess against the IMDb replica (its own subprocess,
not counted), on a fresh home with the embedded PostgreSQL (the server is not counted either), at
the production rate limit (IMDB_REQUESTS_PER_SECOND, default 2). It samples the summed resident
memory of the run's process tree (Python + Playwright driver + Chromium; shared pages are counted
once per process, so this overstates a little) every 0.1 s. Side by side: the same movie's
metadata-only run (what the hourly schedule does for every movie).

    .venv/bin/python benchmarks/scale_out.py [--rate 2] [--synthetic 10000]

From the figures: runs per hour one scrape slot sustains (3600 / wall time), and how many slots
fit the memory of a machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
SAMPLE_MOVIES = {"tt0029583": "429 reviews", "tt6208148": "2,027 reviews"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of ``process`` and its descendants, except PostgreSQL (started, not owned)."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            if "postgres" not in proc.name():
                total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak tree RSS of ``imdb-tracker ARGS``; fails loudly if it fails."""
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(watched))
        time.sleep(0.1)
    took = time.monotonic() - start
    _out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"imdb-tracker {' '.join(args)} failed: {err.decode()[-2000:]}")
    return took, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="2", help="IMDB_REQUESTS_PER_SECOND (production default 2)")
    parser.add_argument("--synthetic", type=int, default=10_000, help="reviews of a replica-only movie")
    options = parser.parse_args()
    movies = dict(SAMPLE_MOVIES)
    synthetic = "tt9000010"
    movies[synthetic] = f"{options.synthetic:,} reviews (synthetic)"
    port = free_port()
    replica = subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker_dev.replica", "--port", str(port),
         "--synthetic", f"{synthetic}:{options.synthetic}"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert replica.stdout is not None
    print(replica.stdout.readline().decode().strip())
    home = Path(tempfile.mkdtemp(prefix="scale-out-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_HOST", "OPENAI_API_KEY")},
        "IMDB_TRACKER_HOME": str(home),
        "IMDB_BASE_URL": f"http://127.0.0.1:{port}",
        "IMDB_REQUESTS_PER_SECOND": options.rate,
        "SENTIMENT_BACKEND": "offline",
    }
    try:
        subprocess.run([sys.executable, "-m", "imdb_tracker", "movies", "add", *movies], env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(f"rate limit {options.rate} requests/s; peak RSS = Python + Playwright + Chromium")
        print(f"{'movie':<12} {'reviews':<28} {'full run':>10} {'peak RSS':>10} {'runs/h/slot':>12}")
        for movie_id, label in movies.items():
            took, peak = measure(["run", movie_id], env)
            print(f"{movie_id:<12} {label:<28} {took:9.1f}s {peak / 2**20:8.0f}MB {3600 / took:12.0f}")
        took, peak = measure(["scrape", next(iter(SAMPLE_MOVIES)), "--metadata-only"], env)
        print(f"{'metadata only (scrape, no run)':<41} {took:9.1f}s {peak / 2**20:8.0f}MB")
    finally:
        subprocess.run([sys.executable, "-m", "imdb_tracker", "db", "stop"], env=env, capture_output=True)
        replica.terminate()
        replica.wait(timeout=30)


if __name__ == "__main__":
    main()
