"""50 consecutive ``imdb-tracker scrape`` runs against the replica behind its WAF challenge.

Each run is a new process with a new Chromium, so each meets the challenge: a 202 page whose script
earns the ``aws-waf-token`` cookie and reloads. The replica sends the reloaded page's body 0.3 s
after its headers (a large page in transit), which is when a client that reads the page as soon as
the reload answers finds no ``__NEXT_DATA__``. Prints how many runs succeeded, how many met the
challenge, and the error of each failed run.

    .venv/bin/python benchmarks/waf.py [--runs 50] [--body-delay 0.3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from imdb_tracker.db.server import DatabaseConfig, stop_embedded_server

MOVIE, REVIEWS = "tt0029583", 429


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    """Run the scrapes one after the other and print the count."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--body-delay", type=float, default=0.3, help="seconds between headers and body")
    args = parser.parse_args()
    port = _free_port()
    options = ["--port", str(port), "--waf", "--document-body-delay", str(args.body_delay)]
    replica = subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker_dev.replica", *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="imdb-waf-") as home:
        env = {**os.environ, "IMDB_TRACKER_HOME": home, "IMDB_REQUESTS_PER_SECOND": "50"}
        succeeded, failures, seconds = 0, [], []
        try:
            assert replica.stdout is not None
            replica.stdout.readline()
            for number in range(1, args.runs + 1):
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "imdb_tracker", "scrape", MOVIE, "--base-url", base_url],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=home,
                    timeout=300,
                )
                seconds.append(time.perf_counter() - started)
                shown = json.loads(done.stdout) if done.returncode == 0 else {}
                if shown.get("review_count") == REVIEWS and shown.get("reviews_scraped") == REVIEWS:
                    succeeded += 1
                else:
                    failures.append(f"run {number}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            with urllib.request.urlopen(f"{base_url}/_replica/stats") as response:
                stats = json.loads(response.read())["requests"]
        finally:
            replica.terminate()
            replica.wait(timeout=10)
            stop_embedded_server(DatabaseConfig(home=str(Path(home))))
    print(
        f"\n{succeeded}/{args.runs} consecutive `imdb-tracker scrape {MOVIE}` runs succeeded behind the WAF "
        f"challenge (body of the reloaded page {args.body_delay:g} s after its headers)"
    )
    print(
        f"challenges passed: {stats.get('verify', 0)}; title page loads: {stats.get('title', 0)}; "
        f"median run {sorted(seconds)[len(seconds) // 2]:.1f} s"
    )
    for failure in failures:
        print(failure)


if __name__ == "__main__":
    main()
