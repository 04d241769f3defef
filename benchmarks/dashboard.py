"""Latency of the dashboards' SQL on 1,000 movies and 1,000,000 reviews (target: p95 ≤ 200 ms).

    python benchmarks/dashboard.py              # load the synthetic database once, time every query
    python benchmarks/dashboard.py --reload     # rebuild the synthetic database first
    python benchmarks/dashboard.py capture      # refresh dashboard_queries.json from a running Superset

The queries are Superset's own: ``capture`` opens both dashboards in Chromium, records every
``/api/v1/chart/data`` request the browser sends, and asks Superset for the SQL of each
(``result_type=query``), once with the movie filter and once without. They are kept in
``benchmarks/dashboard_queries.json`` with the filtered movie's label as ``__MOVIE__``.

The synthetic data lives in database ``imdb_tracker_bench`` on the embedded server of
``$IMDB_TRACKER_HOME``, is read as the read-only role (as Superset does), and is generated in SQL
(``generate_series``): reviews spread over years with a burst after each release, sentiments,
30 IMDb snapshots per movie, and per movie, aspect and side the configured number of quotes from
its most helpful reviews, with LLM-style summaries for a third of the movies. The reception events
are the real ones: every movie's signals go through the detectors and are stored as the
``reception_signals`` asset stores them. The materialized views are then refreshed as the
``reporting_views`` asset does. Each query runs ``--repeat`` times after one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, make_url, text

from imdb_tracker.db import migrate
from imdb_tracker.db.reception import load_signals, save_events
from imdb_tracker.db.reporting import READONLY_ROLE, ensure_readonly_role, refresh_reporting
from imdb_tracker.db.server import ensure_database, resolve_database_urls
from imdb_tracker.imdb.session import launch_chromium
from imdb_tracker.reception.detectors import Thresholds, detect_events
from imdb_tracker.reception.summaries import SUMMARY_PROMPT_VERSION
from imdb_tracker.settings import Settings, get_settings

QUERIES_FILE = Path(__file__).with_name("dashboard_queries.json")
BENCH_DATABASE = "imdb_tracker_bench"
MOVIES = 1_000
REVIEWS = 1_000_000
QUOTES_PER_SIDE = Settings.model_fields["reception_quotes_per_side"].default
MOVIE_TOKEN = "__MOVIE__"
DASHBOARDS = {"movie-reception": "Movie reception", "portfolio": "Portfolio"}

# Deterministic pseudo-random number in [0, 1) from an integer expression.
_RAND = "((({x})::bigint * 2654435761 + {salt}) % 1000003) / 1000003.0"

SYNTHETIC_SQL = [
    f"""INSERT INTO movies (movie_id, title, year, poster_url, last_metadata_at, last_reviews_at)
        SELECT 'tt' || lpad((1000000 + g)::text, 7, '0'), 'Synthetic movie ' || g, 1950 + g % 76,
               'https://m.media-amazon.com/images/M/synthetic-' || g || '.jpg',
               now() - (g % 48) * interval '1 hour', now() - (g % 48) * interval '1 hour'
        FROM generate_series(1, {MOVIES}) g""",
    """INSERT INTO movie_snapshots (movie_id, taken_at, rating, votes, review_count)
        SELECT m.movie_id, now() - d * interval '1 day',
               round((3 + 6 * ((hashtext(m.movie_id) & 1023) / 1023.0) - d * 0.01)::numeric, 1),
               1000 + (hashtext(m.movie_id) & 65535) * 5 - d * 10, 1000 - d
        FROM movies m, generate_series(0, 29) d""",
    f"""INSERT INTO reviews (review_id, movie_id, author, rating, title, text, submitted_at,
                            helpful_up, helpful_down, content_hash)
        SELECT 'rw' || (10000000 + g), 'tt' || lpad((1000000 + 1 + g % {MOVIES})::text, 7, '0'),
               'user' || (g % 200000),
               CASE WHEN g % 20 = 0 THEN NULL ELSE 1 + floor(10 * {_RAND.format(x="g", salt=7)})::int END,
               'Review title ' || g, 'Synthetic review text number ' || g,
               date '2015-01-01' + (g % {MOVIES}) * 3
                   + floor(power({_RAND.format(x="g", salt=13)}, 4) * 1500)::int,
               g % 97, g % 13, md5(g::text)
        FROM generate_series(1, {REVIEWS}) g""",
    """INSERT INTO review_sentiments (review_id, movie_id, storytelling, acting, cinematography,
                                     music_sound, themes, overall, backend, model, prompt_version,
                                     content_hash)
        SELECT r.review_id, r.movie_id,
               CASE WHEN n % 3 = 0 THEN NULL ELSE n % 5 - 2 END,
               CASE WHEN n % 4 = 0 THEN NULL ELSE (n / 5) % 5 - 2 END,
               CASE WHEN n % 5 = 0 THEN NULL ELSE (n / 25) % 5 - 2 END,
               CASE WHEN n % 2 = 0 THEN NULL ELSE (n / 125) % 5 - 2 END,
               CASE WHEN n % 6 = 0 THEN NULL ELSE (n / 625) % 5 - 2 END,
               coalesce(round((r.rating - 5.5) / 2.25)::int, n % 5 - 2),
               'synthetic', 'synthetic', 'v1', r.content_hash
        FROM (SELECT reviews.*, abs(hashtext(review_id)) AS n FROM reviews) r""",
]

# What people say about each aspect: for every movie, aspect and side the quote selection's number
# of quotes per side, each from a helpful review of that movie whose score on the aspect has that
# sign (as the real selection prefers helpful reviews and one quote per review and side).
QUOTES_SQL = f"""
    INSERT INTO aspect_quotes (movie_id, aspect, polarity, rank, review_id, sentence, strength,
                               helpfulness)
    SELECT movie_id, aspect, polarity, rank, review_id,
           CASE polarity
               WHEN 'positive' THEN 'The ' || replace(aspect, '_', ' and ')
                   || ' is what stayed with me: confident, precise and never showy (review ' || g || ').'
               ELSE 'Honestly the ' || replace(aspect, '_', ' and ')
                   || ' let the whole thing down, flat and forgettable from start to finish (review '
                   || g || ').'
           END,
           round((1 + 3 * {_RAND.format(x="g", salt=17)})::numeric, 3),
           round((helpful_up + 1)::numeric / (helpful_up + helpful_down + 2), 3)
    FROM (
        SELECT r.movie_id, a.aspect, a.polarity, r.review_id, r.helpful_up, r.helpful_down,
               substr(r.review_id, 3)::bigint AS g,
               row_number() OVER (PARTITION BY r.movie_id, a.aspect, a.polarity
                                  ORDER BY r.helpful_up DESC, r.review_id) AS rank
        FROM reviews r
        JOIN review_sentiments s ON s.review_id = r.review_id
        CROSS JOIN LATERAL (
            VALUES ('storytelling', s.storytelling), ('acting', s.acting),
                   ('cinematography', s.cinematography), ('music_sound', s.music_sound),
                   ('themes', s.themes)
        ) AS v (aspect, score)
        CROSS JOIN LATERAL (
            SELECT v.aspect, CASE WHEN v.score > 0 THEN 'positive' ELSE 'negative' END AS polarity
        ) a
        WHERE r.helpful_up >= 85 AND v.score <> 0
    ) ranked
    WHERE rank <= {QUOTES_PER_SIDE}
"""
# LLM summaries of the quotes for every third movie (the others run without an OpenAI key).
SUMMARIES_SQL = f"""
    INSERT INTO aspect_summaries (movie_id, aspect, summary, reviews_hash, reviews_used, model,
                                  prompt_version)
    SELECT q.movie_id, q.aspect,
           'Most reviewers praise the ' || replace(q.aspect, '_', ' and ')
               || ' as assured and memorable; a vocal minority finds it flat and forgettable, '
               || 'and several say it is the reason they would not watch the film again.',
           md5(q.movie_id || q.aspect), count(*) * 40, 'synthetic', '{SUMMARY_PROMPT_VERSION}'
    FROM aspect_quotes q
    WHERE hashtext(q.movie_id) % 3 = 0
    GROUP BY q.movie_id, q.aspect
"""


def store_reception(conn: Connection) -> int:
    """Reception events of every movie, found and stored as the ``reception_signals`` asset does
    (signals aggregated in PostgreSQL, the detectors at their default thresholds), then the
    synthetic quotes and summaries; returns the number of events."""
    thresholds = Thresholds.defaults()
    detected_at = datetime.now(UTC)
    events = 0
    for movie_id in conn.execute(text("SELECT movie_id FROM movies ORDER BY movie_id")).scalars().all():
        found = detect_events(load_signals(conn, movie_id), thresholds)
        events += len(save_events(conn, movie_id, found, detected_at, thresholds.merge_gap_days))
    conn.execute(text(QUOTES_SQL))
    conn.execute(text(SUMMARIES_SQL))
    return events


def bench_urls() -> tuple[str, str]:
    """``(owner URL, read-only URL)`` of the benchmark database on the embedded server."""
    tracker = resolve_database_urls(get_settings().database_config()).tracker
    owner = make_url(tracker).set(database=BENCH_DATABASE)
    ensure_database(
        make_url(tracker).set(database="postgres").render_as_string(hide_password=False), BENCH_DATABASE
    )
    reader = owner.set(username=READONLY_ROLE, password=None)
    return owner.render_as_string(hide_password=False), reader.render_as_string(hide_password=False)


def load_synthetic(owner_url: str, reload: bool) -> None:
    """Create the schema and the synthetic rows unless they are there already."""
    migrate.upgrade(owner_url)
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            have = conn.execute(text("SELECT count(*) FROM reviews")).scalar_one()
            if have == REVIEWS and not reload:
                print(f"synthetic data already loaded ({have:,} reviews)")
                return
            conn.execute(text("TRUNCATE movies, clients RESTART IDENTITY CASCADE"))
            started = time.perf_counter()
            for statement in SYNTHETIC_SQL:
                conn.execute(text(statement))
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            events = store_reception(conn)
            reception = time.perf_counter() - started
            started = time.perf_counter()
            refresh_reporting(conn)
            refreshed = time.perf_counter() - started
            ensure_readonly_role(conn, READONLY_ROLE, None)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"loaded {MOVIES:,} movies and {REVIEWS:,} reviews in {loaded:.1f} s; "
              f"{events:,} reception events, quotes and summaries in {reception:.1f} s; "
              f"refresh_reporting took {refreshed:.1f} s")  # fmt: skip
    finally:
        engine.dispose()


def time_queries(reader: Engine, queries: list[dict], movie: str, repeat: int) -> None:
    """Print p50/p95 of every query, with and without the movie filter, side by side."""
    rows: dict[tuple[str, str], dict[bool, tuple[float, float]]] = {}
    with reader.connect() as conn:
        for query in queries:
            sql = query["sql"].replace(MOVIE_TOKEN, movie.replace("'", "''"))
            conn.exec_driver_sql(sql).fetchall()  # warm-up
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                conn.exec_driver_sql(sql).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            key = (DASHBOARDS[query["dashboard"]], query["chart"])
            rows.setdefault(key, {})[query["filtered"]] = (statistics.median(samples), p95)
    print(f"\n{'dashboard':<16} {'chart':<44} {'no filter p50/p95 ms':>22} {'movie filter p50/p95 ms':>25}")
    worst: dict[tuple[str, bool], tuple[float, str]] = {}
    for (dashboard, chart), by_filter in rows.items():
        cells = []
        for filtered in (False, True):
            p50, p95 = by_filter.get(filtered, (float("nan"), float("nan")))
            if p95 == p95 and p95 > worst.get((dashboard, filtered), (-1.0, ""))[0]:
                worst[(dashboard, filtered)] = (p95, chart)
            cells.append(f"{p50:8.1f} / {p95:8.1f}")
        print(f"{dashboard:<16} {chart[:44]:<44} {cells[0]:>22} {cells[1]:>25}")
    print(f"\n{len(queries)} queries, {len(rows)} charts and filters, {repeat} runs per query (p95 ≤ 200 ms)")
    for (dashboard, filtered), (p95, chart) in sorted(worst.items()):
        print(f"worst p95 {dashboard}, {'movie filter' if filtered else 'no filter'}: {p95:.1f} ms ({chart})")


def run(args: argparse.Namespace) -> None:
    """Load (if needed) and time every captured query."""
    queries = json.loads(QUERIES_FILE.read_text())
    owner_url, reader_url = bench_urls()
    load_synthetic(owner_url, args.reload)
    reader = create_engine(reader_url)
    try:
        with reader.connect() as conn:
            movie = conn.execute(text("SELECT min(movie) FROM v_movie_summary")).scalar_one()
        before = os.getloadavg()
        time_queries(reader, queries, movie, args.repeat)
        after = os.getloadavg()
        print(
            f"filtered movie: {movie}; load average (1/5/15 min) before "
            f"{' / '.join(f'{x:.2f}' for x in before)}, after {' / '.join(f'{x:.2f}' for x in after)} "
            f"on {os.cpu_count()} cores"
        )
    finally:
        reader.dispose()


def _strip_movie_filter(body: dict) -> dict:
    stripped = json.loads(json.dumps(body))
    for query in stripped["queries"]:
        query["filters"] = [f for f in query.get("filters", []) if f.get("col") != "movie"]
    return stripped


def _add_movie_filter(body: dict, movie: str) -> dict:
    filtered = _strip_movie_filter(body)
    for query in filtered["queries"]:
        query["filters"].append({"col": "movie", "op": "IN", "val": [movie]})
    return filtered


def capture(args: argparse.Namespace) -> None:
    """Record the chart-data requests of both dashboards and store Superset's SQL for them."""
    from playwright.sync_api import sync_playwright

    from imdb_tracker.superset_client.service import admin_api

    settings = get_settings()
    api = admin_api(settings)
    charts = {c["id"]: c["slice_name"] for c in api.list("chart", columns=["id", "slice_name"])}
    slugs = {d["id"]: d["slug"] for d in api.list("dashboard", columns=["id", "slug"])}
    requests_seen: list[dict] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1600, "height": 2600})
        page.goto(f"{api.base_url}/login/")
        page.fill("#username", settings.superset_admin_user)
        page.fill("#password", settings.superset_admin_password.get_secret_value())
        page.keyboard.press("Enter")
        page.wait_for_url(lambda u: "/login" not in u)
        page.on(
            "request",
            lambda r: (
                requests_seen.append(r.post_data_json)
                if "/api/v1/chart/data" in r.url and r.method == "POST"
                else None
            ),
        )
        for slug in DASHBOARDS:
            page.goto(f"{api.base_url}/superset/dashboard/{slug}/")
            page.wait_for_load_state("networkidle")
            time.sleep(2)
        browser.close()
    movie = next(
        f["val"][0] for body in requests_seen for q in body["queries"] for f in q.get("filters", [])
        if f.get("col") == "movie"
    )  # fmt: skip
    captured = []
    for body in requests_seen:
        form = body.get("form_data", {})
        slug = slugs[form["dashboardId"]]
        chart = charts.get(form.get("slice_id"), f"{form.get('viz_type')} (filter values)")
        for filtered, variant in ((False, _strip_movie_filter(body)), (True, _add_movie_filter(body, movie))):
            variant["result_type"] = "query"
            for result in api.post("/api/v1/chart/data", variant)["result"]:
                sql = result["query"].replace(f"'{movie}'", f"'{MOVIE_TOKEN}'")
                captured.append({"dashboard": slug, "chart": chart, "filtered": filtered, "sql": sql})
    unique = {(q["dashboard"], q["chart"], q["filtered"], q["sql"]): q for q in captured}
    QUERIES_FILE.write_text(json.dumps(list(unique.values()), indent=1) + "\n")
    print(f"captured {len(unique)} queries from {len(requests_seen)} chart-data requests into {QUERIES_FILE}")


def main(argv: list[str]) -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run", "capture"])
    parser.add_argument("--reload", action="store_true", help="rebuild the synthetic database")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    args = parser.parse_args(argv)
    (capture if args.command == "capture" else run)(args)


if __name__ == "__main__":
    main(sys.argv[1:])
