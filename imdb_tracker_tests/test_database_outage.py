"""The tracker database goes away in the middle of a review scrape: the run reports it, what was
committed stays, nothing is marked removed, and the retried step finishes the job."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from dagster import DagsterInstance, materialize
from sqlalchemy import create_engine, func, select, text

from imdb_tracker.db import migrate
from imdb_tracker.db.movies import register_movie
from imdb_tracker.db.schema import reviews
from imdb_tracker.db.server import ensure_database, start_embedded_server
from imdb_tracker.defs.movies.assets import movie_reviews
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker_dev.replica.server import Fault, start_replica
from imdb_tracker_tests.fakes import TEST_RATE
from imdb_tracker_tests.pipeline_support import pipeline_resources

MOVIE = "tt0029583"  # 429 reviews: 9 GraphQL pages after the first


def test_database_outage_mid_scrape_loses_nothing_and_recovers(database_urls, tmp_path: Path) -> None:
    # A tracker database of its own (a second embedded server) that the test can stop and restart;
    # the Dagster instance stays on the session server.
    (tmp_path / "outage").mkdir()
    server = start_embedded_server(tmp_path / "outage" / "pgdata")
    ensure_database(server.get_uri("postgres", driver="psycopg2"), "tracker")
    url = server.get_uri("tracker", driver="psycopg2")
    migrate.upgrade(url)
    engine = create_engine(url, pool_pre_ping=True)
    with engine.begin() as conn:
        register_movie(conn, MOVIE)
    replica = start_replica(faults=[Fault(route="graphql", every=1, status=None, delay_s=0.4)])
    observed: dict[str, int] = {}

    def pull_the_plug() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(reviews)).scalar_one()
            if stored >= 100:
                engine.dispose()
                server.stop()
                observed["stored_when_stopped"] = stored
                time.sleep(1)
                start_embedded_server(tmp_path / "outage" / "pgdata")  # back, same socket
                with engine.connect() as conn:
                    observed["stored_after_restart"] = conn.execute(
                        select(func.count()).select_from(reviews)
                    ).scalar_one()
                    observed["removed_after_restart"] = conn.execute(
                        text("SELECT count(*) FROM reviews WHERE removed_at IS NOT NULL")
                    ).scalar_one()
                return
            time.sleep(0.1)

    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(MOVIES_PARTITION, [MOVIE])
    plug = threading.Thread(target=pull_the_plug)
    try:
        plug.start()
        result = materialize(
            [movie_reviews],
            partition_key=MOVIE,
            instance=instance,
            resources=pipeline_resources(
                database_url=url, imdb_base_url=replica.base_url, imdb_requests_per_second=TEST_RATE
            ),
            raise_on_error=False,
        )
        plug.join()
        # The first attempt failed on the lost connection and said so; the retry completed.
        failures = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert failures, "the outage should have failed the first attempt"
        assert "connection" in failures[0].event_specific_data.error.to_string().lower()
        assert result.success
        # What was committed before the outage survived it, and nothing was hidden as removed.
        assert observed["stored_after_restart"] >= observed["stored_when_stopped"] >= 100
        assert observed["removed_after_restart"] == 0
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(reviews)).scalar_one() == 429
            assert (
                conn.execute(text("SELECT count(*) FROM reviews WHERE removed_at IS NOT NULL")).scalar_one()
                == 0
            )
    finally:
        instance.delete_dynamic_partition(MOVIES_PARTITION, MOVIE)
        instance.dispose()
        replica.stop()
        engine.dispose()
        start_embedded_server(tmp_path / "outage" / "pgdata").stop()
