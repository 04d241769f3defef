"""Two writers of one movie at once: a daemon-style run (``dagster asset materialize``, the code path
of a run worker) that scrapes slowly, and ``imdb-tracker run`` started while it is half-way.

Without one writer per movie, the later, faster scrape commits every page and decides removals while
the older one still commits pages with its older ``last_seen_at``: reviews that are on IMDb count as
missed. With the per-movie lock the second writer waits for the first, and nothing is missed,
removed or lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance
from sqlalchemy import Engine, func, select

from imdb_tracker.db.schema import reviews
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker.tracking import sync_reviews
from imdb_tracker_dev.replica import Fault, start_replica
from imdb_tracker_tests.cli_support import run_cli
from imdb_tracker_tests.fakes import replica_browser

MOVIE, REVIEWS = "tt0029583", 429
MATERIALIZE = [
    str(Path(sys.executable).with_name("dagster")),
    "asset",
    "materialize",
    "-m",
    "imdb_tracker.definitions",
]


def reviews_seen_since(engine: Engine, since: datetime) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(reviews).where(reviews.c.last_seen_at >= since)
        ).scalar_one()


@pytest.mark.slow
def test_an_overlapping_run_and_daemon_scrape_mark_nothing_removed(
    clean_db: Engine, no_tracked_movies, tmp_path: Path
) -> None:
    slow = start_replica(faults=[Fault(route="graphql", every=1, status=None, delay_s=2.0)])
    fast = start_replica()  # the same reviews, answered at once
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(MOVIES_PARTITION, [MOVIE])
    daemon_run = None
    try:
        with replica_browser(fast) as browser:
            assert sync_reviews(browser, clean_db, MOVIE).stored == REVIEWS  # stored before, as in production
        launched = datetime.now(UTC)
        daemon_run = subprocess.Popen(
            [*MATERIALIZE, "--select", "movie_reviews", "--partition", MOVIE],
            env={**os.environ, "IMDB_BASE_URL": slow.base_url, "IMDB_REQUESTS_PER_SECOND": "50"},
            stdout=(tmp_path / "daemon_run.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while reviews_seen_since(clean_db, launched) < 25:  # its first page is committed
            assert daemon_run.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        manual = run_cli(
            "run",
            MOVIE,
            env={
                "IMDB_BASE_URL": fast.base_url,
                "IMDB_REQUESTS_PER_SECOND": "50",
                "SENTIMENT_BACKEND": "offline",
            },
            timeout=300,
        )
        assert daemon_run.wait(timeout=120) == 0, (tmp_path / "daemon_run.log").read_text()[-3000:]
        assert manual.returncode == 0 and f"{MOVIE}: done" in manual.stdout, manual.stderr
    finally:
        if daemon_run is not None and daemon_run.poll() is None:
            daemon_run.kill()
        slow.stop()
        fast.stop()
        instance.delete_dynamic_partition(MOVIES_PARTITION, MOVIE)

    with clean_db.connect() as conn:
        current, missed, removed = conn.execute(
            select(
                func.count().filter(reviews.c.removed_at.is_(None)),
                func.count().filter(reviews.c.missed_scrapes > 0),
                func.count().filter(reviews.c.removed_at.is_not(None)),
            ).where(reviews.c.movie_id == MOVIE)
        ).one()
    assert (current, missed, removed) == (REVIEWS, 0, 0)
    # The manual run's review scrape waited for the daemon-style one to finish.
    latest = instance.get_latest_materialization_event(AssetKey("movie_reviews"))
    assert latest is not None and latest.asset_materialization is not None
    metadata = latest.asset_materialization.metadata
    instance.dispose()
    assert metadata["complete"].value is True and metadata["removed"].value == 0
    assert metadata["writer_lock_wait_s"].value > 1.0
