"""Without a human: a movie added from the CLI is scraped and scored by the real Dagster daemon.

`imdb-tracker movies add` only adds the partition. The daemon (`dagster-daemon run` on the
repository's workspace and instance) then does the rest: `new_movies_sensor` requests its metadata,
`new_reviews_sensor` sees reviews announced but not stored and requests the scrape, and the
`sentiments_follow_reviews` automation sensor scores them.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from imdb_tracker.db.schema import movie_snapshots, review_sentiments, reviews
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica.server import start_replica
from imdb_tracker_tests.cli_support import run_cli

REPO = Path(__file__).resolve().parent.parent
MOVIE, REVIEWS = "tt0029583", 429


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.movie_id == MOVIE)
        ).scalar_one()


def test_an_added_movie_gets_metadata_reviews_and_sentiments_from_the_daemon(
    clean_db: Engine, no_tracked_movies, tmp_path: Path
) -> None:
    replica = start_replica()
    env = {
        **os.environ,
        "IMDB_BASE_URL": replica.base_url,
        "IMDB_REQUESTS_PER_SECOND": "50",
        "SENTIMENT_BACKEND": "offline",
    }
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        added = run_cli("movies", "add", MOVIE)
        assert added.returncode == 0, added.stderr
        milestones: dict[str, float] = {}
        started = time.monotonic()
        deadline = started + 360
        while time.monotonic() < deadline and daemon.poll() is None:
            for name, table in (
                ("metadata", movie_snapshots),
                ("reviews", reviews),
                ("sentiments", review_sentiments),
            ):
                target = 1 if name == "metadata" else REVIEWS
                if name not in milestones and count(clean_db, table) >= target:
                    milestones[name] = round(time.monotonic() - started)
            if len(milestones) == 3:
                break
            time.sleep(2)
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
        assert set(milestones) == {"metadata", "reviews", "sentiments"}, (
            milestones,
            (tmp_path / "daemon.log").read_text()[-3000:],
        )
        assert milestones["metadata"] <= milestones["reviews"] <= milestones["sentiments"]
        assert count(clean_db, reviews) == REVIEWS and count(clean_db, review_sentiments) == REVIEWS
    finally:
        stop_process_group(daemon)
        log.close()
        replica.stop()
        run_cli("movies", "remove", MOVIE)
