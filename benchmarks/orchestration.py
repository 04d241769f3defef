"""Sensor and schedule tick times with 1,000 movie partitions (target: ≤ 5 s each).

Runs on a throw-away IMDB_TRACKER_HOME (embedded PostgreSQL, PostgreSQL-backed Dagster instance):
1,000 partitions, a metadata snapshot per movie, a third of them announcing more reviews than
stored. Each tick is evaluated the way the daemon does it (build_*_context on the real instance).

    .venv/bin/python benchmarks/orchestration.py [--movies 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="imdb-tracker-bench-")
    os.environ["IMDB_TRACKER_HOME"] = home

    from dagster import DagsterInstance, build_schedule_context, build_sensor_context
    from sqlalchemy import create_engine, insert

    from imdb_tracker.db.schema import movie_snapshots, movies
    from imdb_tracker.db.server import stop_embedded_server
    from imdb_tracker.defs.movies.automation import (
        movie_metadata_batch_hourly,
        movie_reviews_batch_daily,
        new_movies_sensor,
        new_reviews_sensor,
    )
    from imdb_tracker.defs.partitions import MOVIES_PARTITION
    from imdb_tracker.defs.resources import build_resources
    from imdb_tracker.instance import prepare
    from imdb_tracker.settings import get_settings

    settings = get_settings()
    urls = prepare(settings)
    engine = create_engine(urls.tracker)
    ids = [f"tt{9_100_000 + n:07d}" for n in range(args.movies)]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(movies), [{"movie_id": m, "title": f"Movie {m}"} for m in ids])
        conn.execute(
            insert(movie_snapshots),
            [
                {"movie_id": m, "taken_at": now, "review_count": 10 if i % 3 == 0 else 0}
                for i, m in enumerate(ids)
            ],
        )
    database = build_resources(settings)["database"]
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions(MOVIES_PARTITION, ids)
    tick = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

    batching = build_resources(settings)["batching"]

    def hourly():
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=tick, resources={"batching": batching}
        )
        return list(movie_metadata_batch_hourly(context))

    def daily():
        with build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            resources={"batching": batching, "database": database},
        ) as context:
            return list(movie_reviews_batch_daily(context))

    def reviews_sensor():
        with build_sensor_context(instance=instance, resources={"database": database}) as context:
            return new_reviews_sensor(context).run_requests

    def movies_sensor():
        return new_movies_sensor(build_sensor_context(instance=instance)).run_requests

    print(f"{args.movies} movie partitions, {args.repeat} ticks each (embedded PostgreSQL, {home})")
    print(f"{'tick':<28}{'run requests':>14}{'median s':>10}{'max s':>8}  target ≤ 5 s")
    for name, evaluate in (
        ("movie_metadata_batch_hourly", hourly),
        ("movie_reviews_batch_daily", daily),
        ("new_reviews_sensor", reviews_sensor),
        ("new_movies_sensor", movies_sensor),
    ):
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            requests = evaluate()
            times.append(time.perf_counter() - started)
        verdict = "ok" if max(times) <= 5 else "SLOW"
        print(f"{name:<28}{len(requests):>14}{statistics.median(times):>10.3f}{max(times):>8.3f}  {verdict}")
    instance.dispose()
    engine.dispose()
    stop_embedded_server(settings.database_config())


if __name__ == "__main__":
    main()
