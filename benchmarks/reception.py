"""Reception signal computation for 1,000 movies / 1,000,000 reviews, beside the alternative.

    python benchmarks/reception.py            # load the synthetic database once, time both ways
    python benchmarks/reception.py --reload   # rebuild the synthetic database first

The database is the one ``benchmarks/dashboard.py`` generates (its generator is reused: 1,000
movies, 1,000,000 reviews with sentiments, 30 rating snapshots per movie, in database
``imdb_tracker_bench`` on the embedded server of ``$IMDB_TRACKER_HOME``).

For every movie, the way the ``reception_signals`` asset does it, timed separately:

* **chosen: aggregate in PostgreSQL** (:func:`imdb_tracker.db.reception.load_signals`): per-day
  counts, rating shares and aspect sums come back from ``GROUP BY`` queries on the
  ``(movie_id, submitted_at)`` index; Python receives one row per day (and aspect).
* **alternative: aggregate in Python**: fetch the movie's raw review rows (day, rating, six
  scores) and its snapshots, and build the same signals with numpy (``bincount`` per day).

Both feed the same detectors; the events they find are compared (they must be identical). Both
ways run on each movie in turn, alternating which goes first, after a warm-up on the first 50.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
from dashboard import bench_urls, load_synthetic  # the shared generator

from imdb_tracker.db.reception import SNAPSHOTS_SQL, load_signals
from imdb_tracker.reception.detectors import Thresholds, detect_events
from imdb_tracker.reception.events import Event
from imdb_tracker.reception.signals import AspectDay, MovieSignals, RatingSnapshot, ReviewDay
from imdb_tracker.sentiment.models import SCORE_FIELDS

RAW_REVIEWS_SQL = text(
    "SELECT r.submitted_at, r.rating, "
    + ", ".join(f"s.{name}" for name in SCORE_FIELDS)
    + """
    FROM reviews r LEFT JOIN review_sentiments s ON s.review_id = r.review_id
    WHERE r.movie_id = :movie_id AND r.removed_at IS NULL
    """
)
WARM_UP = 50
Builder = Callable[[Connection, str], MovieSignals]


def signals_in_python(conn: Connection, movie_id: str) -> MovieSignals:
    """The alternative: raw rows of the movie, aggregated per day with numpy."""
    rows = conn.execute(RAW_REVIEWS_SQL, {"movie_id": movie_id}).all()
    snapshots = tuple(
        RatingSnapshot(r[0], None if r[1] is None else float(r[1]), r[2])
        for r in conn.execute(SNAPSHOTS_SQL, {"movie_id": movie_id})
    )
    if not rows:
        return MovieSignals(movie_id, (), (), snapshots)
    ordinals = np.fromiter((r[0].toordinal() for r in rows), dtype=np.int64, count=len(rows))
    origin = int(ordinals.min())
    index = ordinals - origin
    ratings = np.array([r[1] if r[1] is not None else 0 for r in rows], dtype=np.int64)
    length = int(index.max()) + 1
    reviews = np.bincount(index, minlength=length)
    rated = np.bincount(index, weights=ratings > 0, minlength=length)
    one = np.bincount(index, weights=ratings == 1, minlength=length)
    ten = np.bincount(index, weights=ratings == 10, minlength=length)
    rating_sum = np.bincount(index, weights=ratings, minlength=length)
    present = np.nonzero(reviews)[0]
    days = tuple(
        ReviewDay(
            date.fromordinal(origin + int(i)),
            int(reviews[i]),
            int(rated[i]),
            int(one[i]),
            int(ten[i]),
            int(rating_sum[i]),
        )
        for i in present
    )
    aspects = []
    scores = np.array([[np.nan if v is None else v for v in r[2:]] for r in rows], dtype=float)
    for column, name in enumerate(SCORE_FIELDS):
        known = ~np.isnan(scores[:, column])
        values = scores[known, column]
        where = index[known]
        counts = np.bincount(where, minlength=length)
        totals = np.bincount(where, weights=values, minlength=length)
        squares = np.bincount(where, weights=values * values, minlength=length)
        aspects += [
            AspectDay(
                date.fromordinal(origin + int(i)), name, int(counts[i]), int(totals[i]), int(squares[i])
            )
            for i in np.nonzero(counts)[0]
        ]
    aspects.sort(key=lambda a: a.day)
    rating_counts = tuple(int(n) for n in np.bincount(ratings, minlength=11)[1:11])
    return MovieSignals(movie_id, days, tuple(aspects), snapshots, rating_counts)


@dataclass
class Timings:
    """Per-movie seconds of one way, and the events it found."""

    build: list[float] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    events: dict[str, list[Event]] = field(default_factory=dict)


def measure(conn: Connection, movie_ids: list[str], ways: dict[str, Builder]) -> dict[str, Timings]:
    """Every way on every movie, alternating which goes first (so neither only meets warm caches)."""
    thresholds = Thresholds.defaults()
    for movie_id in movie_ids[:WARM_UP]:
        for build in ways.values():
            detect_events(build(conn, movie_id), thresholds)
    timings = {name: Timings() for name in ways}
    order = list(ways)
    for i, movie_id in enumerate(movie_ids):
        for name in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter()
            signals = ways[name](conn, movie_id)
            built = time.perf_counter()
            timings[name].events[movie_id] = detect_events(signals, thresholds)
            timings[name].build.append(built - started)
            timings[name].detect.append(time.perf_counter() - built)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str]) -> None:
    """Parse the command line, load the database if needed, time both ways side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reload", action="store_true", help="rebuild the synthetic database")
    args = parser.parse_args(argv)
    owner_url, _ = bench_urls()
    load_synthetic(owner_url, args.reload)
    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            movie_ids = list(conn.execute(text("SELECT movie_id FROM movies ORDER BY movie_id")).scalars())
            reviews = conn.execute(text("SELECT count(*) FROM reviews")).scalar_one()
            timings = measure(conn, movie_ids, {"sql": load_signals, "python": signals_in_python})
    finally:
        engine.dispose()
    sql, python = timings["sql"], timings["python"]
    kinds: dict[str, int] = {}
    for events in sql.events.values():
        for event in events:
            kinds[event.kind] = kinds.get(event.kind, 0) + 1
    print(f"\n{len(movie_ids):,} movies, {reviews:,} reviews, one movie at a time (as the partitioned asset)")
    print(f"{'':30} {'SQL aggregates (chosen)':>24} {'raw rows + numpy':>18}")
    rows = [
        ("signals, all movies, s", sum(sql.build), sum(python.build)),
        ("detectors, all movies, s", sum(sql.detect), sum(python.detect)),
        ("total, all movies, s", sum(sql.build) + sum(sql.detect), sum(python.build) + sum(python.detect)),
    ]
    for label, chosen, alternative in rows:
        print(f"{label:30} {chosen:24.2f} {alternative:18.2f}")
    for label, share in (("signals per movie p50, ms", 0.5), ("signals per movie p95, ms", 0.95)):
        chosen, alternative = percentile(sql.build, share), percentile(python.build, share)
        print(f"{label:30} {chosen * 1000:24.1f} {alternative * 1000:18.1f}")
    detect_p50 = (statistics.median(sql.detect) * 1000, statistics.median(python.detect) * 1000)
    print(f"{'detectors per movie p50, ms':30} {detect_p50[0]:24.1f} {detect_p50[1]:18.1f}")
    found = ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items()))
    same = sql.events == python.events
    print(f"\nevents found: {sum(kinds.values()):,} ({found}); identical both ways: {same}")
    print(f"signals: raw rows + numpy / SQL aggregates = {sum(python.build) / sum(sql.build):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
