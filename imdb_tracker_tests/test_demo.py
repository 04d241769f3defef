"""`make demo` end to end in a fresh home: the two sample movies through the real pipeline, ending
with the reception events (the 2025 release burst; nothing for 1937) and two quotes per aspect."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from imdb_tracker.sentiment.models import ASPECTS
from imdb_tracker_tests.cli_support import run_cli

REPO = Path(__file__).resolve().parent.parent


def test_the_demo_ends_with_the_events_and_two_quotes_per_aspect(tmp_path: Path) -> None:
    env = {**os.environ, "IMDB_TRACKER_HOME": str(tmp_path / "home")}
    env.pop("DAGSTER_HOME", None)
    try:
        demo = subprocess.run(
            [sys.executable, "scripts/demo.py"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        run_cli("db", "stop", env={"IMDB_TRACKER_HOME": env["IMDB_TRACKER_HOME"]})
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    report = demo.stdout.split("events detected and what people say, per movie", 1)[1]
    old, new = report.split("Snow White (2025) [tt6208148]")
    assert "Snow White and the Seven Dwarfs (1937) [tt0029583]\n  reception events: none" in old
    assert "reception events: 3" in new
    candidate = re.search(
        r"- review-bombing candidate \(\w+, strength [\d.]+\), 2025-03-20 to (\S+): (.*)", new
    )
    assert candidate and "1★ share" in candidate.group(2) and "peak 265 on 2025-03-26" in candidate.group(2)
    assert re.search(r"- review volume burst \(strong, strength [\d.]+\), 2025-03-20 to ", new)
    for movie in (old, new):
        for aspect in ASPECTS:
            quoted = re.findall(rf"^    {aspect} +[+-] \"(.+)\" \(rw\d+\)$", movie, re.MULTILINE)
            assert len(quoted) == 2, (aspect, movie)
