"""Start-up time of the `imdb-tracker` CLI, beside the same CLI with the `openai` package imported
first (what every command paid before the LLM backend was imported on first use).

Each command runs in a fresh interpreter, as a user's shell runs it; the median of ``--repeat``
runs is reported, alternating the two variants so that load on the machine hits both alike.
Commands that need no database: ``--help``, ``settings show`` and ``sentiment score`` with the
offline analyser on one review.

    .venv/bin/python benchmarks/cli_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN_CLI = "import sys; from imdb_tracker.cli import main; sys.argv[0] = 'imdb-tracker'; sys.exit(main())"
VARIANTS = {"CLI as shipped": RUN_CLI, "openai imported first": "import openai; " + RUN_CLI}


def seconds(code: str, args: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh interpreter running ``code`` with ``args``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imdb-tracker-bench-") as home:
        reviews = Path(home) / "reviews.jsonl"
        reviews.write_text(json.dumps({"review_id": "r1", "title": None, "text": "Great acting."}) + "\n")
        env = {**os.environ, "IMDB_TRACKER_HOME": home, "OPENAI_API_KEY": "", "SENTIMENT_BACKEND": "offline"}
        commands = {
            "--help": ["--help"],
            "settings show": ["settings", "show"],
            "sentiment score (offline, 1 review)": ["sentiment", "score", "--input", str(reviews)],
        }
        print(f"{os.cpu_count()} cores, median of {args.repeat} runs, seconds")
        print(f"{'command':<38}" + "".join(f"{name:>24}" for name in VARIANTS))
        for label, command in commands.items():
            times: dict[str, list[float]] = {name: [] for name in VARIANTS}
            for _ in range(args.repeat):
                for name, code in VARIANTS.items():
                    times[name].append(seconds(code, command, env))
            print(f"{label:<38}" + "".join(f"{statistics.median(times[n]):>24.2f}" for n in VARIANTS))


if __name__ == "__main__":
    main()
