"""`make demo`: the two sample movies through the real pipeline, offline, on the embedded database.

OFFLINE SAMPLE MODE: the real Chromium scraper reads a local replica of IMDb
(:mod:`imdb_tracker_dev.replica`) that serves the 2,456 real reviews saved on 2025-04-11 in
``../shared/sample/``; sentiments come from the offline analyser. It ends with the reception events
detected on each movie and two quotes per aspect. The runs are materialized
through Dagster on the same instance `make up` shows. With IMDB_BASE_URL left at IMDb and a
network, `imdb-tracker movies add` + `make up` track the real site with the same code.
"""

from __future__ import annotations

import logging
import sys
import time

from dagster import DagsterInstance
from sqlalchemy import Engine, create_engine, select

from imdb_tracker.db.movies import describe_movies
from imdb_tracker.db.reception import movie_events, movie_label, movie_quotes
from imdb_tracker.db.schema import movie_snapshots
from imdb_tracker.db.sentiments import aspect_averages
from imdb_tracker.defs.resources import build_resources
from imdb_tracker.instance import prepare
from imdb_tracker.on_demand import PIPELINE_ASSETS, failure_reason, materialize_movies, refresh_dashboards
from imdb_tracker.reception.events import KIND_LABELS, window_text
from imdb_tracker.registry import MovieRegistry
from imdb_tracker.sentiment.models import ASPECTS
from imdb_tracker.settings import get_settings
from imdb_tracker.superset_client.service import WatchlistSync
from imdb_tracker_dev.replica.server import start_replica

SAMPLE_MOVIES = ("tt0029583", "tt6208148")


def say(message: str) -> None:
    """Progress for the person running the demo."""
    print(message, flush=True)


def summary_table(engine: Engine, movie_ids: tuple[str, ...]) -> str:
    """Movie, rating, reviews and aspect averages as a fixed-width table."""
    header = (
        "movie",
        "title",
        "rating",
        "reviews",
        "story",
        "acting",
        "visual",
        "music",
        "themes",
        "overall",
    )
    rows: list[tuple[str, ...]] = [header]
    with engine.connect() as conn:
        for movie in describe_movies(conn, list(movie_ids)):
            rating = conn.execute(
                select(movie_snapshots.c.rating)
                .where(movie_snapshots.c.movie_id == movie.movie_id)
                .order_by(movie_snapshots.c.taken_at.desc())
                .limit(1)
            ).scalar()
            averages = aspect_averages(conn, movie.movie_id)
            rows.append(
                (
                    movie.movie_id,
                    f"{movie.title} ({movie.year})"[:40],
                    "-" if rating is None else f"{rating}",
                    str(movie.reviews_stored),
                    *("-" if value is None else f"{value:+.2f}" for value in averages.values()),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    )


def reception_report(engine: Engine, movie_ids: tuple[str, ...]) -> str:
    """Per movie: the reception events detected, then two quotes per aspect (the best praise and
    the best criticism, or the two best of one side when the other has none)."""
    lines = []
    with engine.connect() as conn:
        for movie_id in movie_ids:
            lines += ["", f"{movie_label(conn, movie_id)} [{movie_id}]"]
            events = movie_events(conn, movie_id)
            lines.append(f"  reception events: {len(events) or 'none'}")
            for e in reversed(events):
                severity = "strong" if e.strong else "candidate"
                lines.append(f"  - {KIND_LABELS[e.kind]} ({severity}, strength {e.strength:g}), "
                             f"{window_text(e.window_start, e.window_end)}: {e.summary}")  # fmt: skip
            quotes = movie_quotes(conn, movie_id)
            lines.append("  what people say:")
            for aspect in ASPECTS:
                sides = [
                    [q for q in quotes if (q.aspect, q.polarity) == (aspect, p)]
                    for p in ("positive", "negative")
                ]
                shown = [side[0] for side in sides if side]
                shown += [q for side in sides for q in side[1:]][: 2 - len(shown)]
                for q in shown:
                    sign = "+" if q.polarity == "positive" else "-"
                    sentence = q.sentence if len(q.sentence) <= 150 else q.sentence[:147] + "..."
                    lines.append(f'    {aspect:<14} {sign} "{sentence}" ({q.review_id})')
                if not shown:
                    lines.append(f"    {aspect:<14} (no clear sentence)")
    return "\n".join(lines)


def main() -> int:
    logging.getLogger("dagster").setLevel(logging.WARNING)
    settings = get_settings()
    started = time.monotonic()
    say(f"Embedded PostgreSQL and Dagster home under {settings.resolved_home} ...")
    urls = prepare(settings)
    engine = create_engine(urls.tracker)
    replica = start_replica()
    say(
        "\n*** OFFLINE SAMPLE MODE ***\n"
        f"Scraping a local IMDb replica at {replica.base_url} (real Chromium, IMDb's page structure)\n"
        "serving the 2,456 real reviews of the sample saved on 2025-04-11; sentiments: offline analyser.\n"
    )
    instance = DagsterInstance.get()
    registry = MovieRegistry(instance, engine, WatchlistSync(settings))
    registry.add([(movie_id, None) for movie_id in SAMPLE_MOVIES])
    demo_settings = settings.model_copy(
        update={
            "imdb_base_url": replica.base_url,
            "imdb_requests_per_second": 20.0,
            "sentiment_backend": "offline",
        }
    )
    resources = build_resources(demo_settings)
    say(f"Materializing {', '.join(a.key.to_user_string() for a in PIPELINE_ASSETS)} through Dagster ...")
    try:
        runs = materialize_movies(
            instance, list(SAMPLE_MOVIES), resources, tags={"imdb-tracker/mode": "offline-sample"}
        )
        for movie_id, result in runs:
            if not result.success:
                say(f"error: the run for {movie_id} failed: {failure_reason(result)}")
                return 1
            say(f"  {movie_id}: done (run {result.run_id[:8]})")
        refresh_dashboards(instance, resources)
    finally:
        replica.stop()
    say("\n" + summary_table(engine, SAMPLE_MOVIES))
    say("\nReception (imdb_tracker.reception): events detected and what people say, per movie")
    say(reception_report(engine, SAMPLE_MOVIES))
    say(
        f"\nDone in {time.monotonic() - started:.0f} s. Aspect scores run from -2 (very negative) to +2.\n"
        "See the runs, assets and checks:  make up   (then open http://127.0.0.1:3000)\n"
        "Dashboards:                       make superset   (then open http://127.0.0.1:8088)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
