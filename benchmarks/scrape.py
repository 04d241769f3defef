"""Review scraping: this client vs. the strongest simple alternative, and the incremental path.

Runs the IMDb replica in a subprocess (so its memory and CPU are not counted) with synthetic movies
of 10,000 and 20,000 reviews, then measures

- **client**: this project's scraper (page 1 from ``__NEXT_DATA__``, then GraphQL pages of 50
  fetched inside the browser), at 10k and 20k reviews;
- **baseline**: the same browser flow a simple script would use (open the reviews page, click
  "All", wait until every card is in the DOM) reading the page with ONE ``evaluate()``;
- **incremental**: three new reviews on the 10,000-review movie, through
  :func:`imdb_tracker.tracking.sync_reviews` on a real (embedded, temporary) database.

Unthrottled figures are measured (requests served by the replica, wall time, reviews/s, peak
Python memory via tracemalloc, peak RSS of the browser processes). Figures at the production
request budget (2 requests/s per host) are COMPUTED from the request count (requests / rate, or
the measured time when that is longer), not waited for.

    .venv/bin/python benchmarks/scrape.py [--rate 1000] [--budget 2] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from imdb_tracker.db.migrate import upgrade
from imdb_tracker.db.server import DatabaseConfig, resolve_database_urls, stop_embedded_server
from imdb_tracker.imdb import ImdbBrowser
from imdb_tracker.imdb.session import launch_chromium
from imdb_tracker.imdb.watchdog import descendants
from imdb_tracker.tracking import sync_reviews

MOVIES = {"tt9000010": 10_000, "tt9000020": 20_000}
BASELINE_MOVIE = INCREMENTAL_MOVIE = "tt9000010"
NEW_REVIEWS = 3

_READ_CARDS_JS = """() => Array.from(document.querySelectorAll('article.user-review-item'), card => {
  const text = selector => {
    const node = card.querySelector(selector);
    return node ? node.innerText : null;
  };
  return {
    review_id: card.dataset.reviewId,
    title: text('h3.ipc-title__text'),
    text: text('div.ipc-html-content-inner-div'),
    rating: text('.ipc-rating-star--rating'),
    author: text('a[data-testid="author-link"]'),
    date: text('li.review-date'),
    upvotes: text('.ipc-voting__label__count--up'),
    downvotes: text('.ipc-voting__label__count--down'),
  };
})"""


@dataclass
class Result:
    """Figures of one scraper run."""

    name: str
    reviews: int
    requests: int
    seconds: float
    python_peak_mb: float
    browser_peak_mb: float

    @property
    def requests_per_review(self) -> float:
        return self.requests / self.reviews

    def seconds_at(self, rate: float) -> float:
        """Wall time at ``rate`` requests/s, computed: every request waits for its slot."""
        return max(self.seconds, self.requests / rate)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def replica_process() -> Iterator[tuple[str, int]]:
    """The replica with the synthetic movies, in a child process; yields its base URL and pid."""
    port = _free_port()
    args = [sys.executable, "-m", "imdb_tracker_dev.replica", "--port", str(port)]
    for movie_id, count in MOVIES.items():
        args += ["--synthetic", f"{movie_id}:{count}"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "IMDb replica serving ... at http://..."
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _admin(base_url: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/_replica/{path}") as response:
        return json.loads(response.read())


def _rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


@contextmanager
def browser_rss_sampler(excluded_pid: int) -> Iterator[Callable[[], float]]:
    """Samples the summed RSS of this process's children (minus the replica) every 0.2 s; yields peak()."""
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            pids = [pid for pid in descendants(os.getpid()) if pid != excluded_pid]
            peak[0] = max(peak[0], _rss_mb(pids))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        thread.join()


def measure(name: str, base_url: str, replica_pid: int, run: Callable[[], int]) -> Result:
    """Run one scraper timed (counting replica requests, sampling browser RSS), then again under
    tracemalloc (which slows Python down severalfold, so it stays out of the timed run)."""
    _admin(base_url, "reset")
    with browser_rss_sampler(replica_pid) as browser_peak:
        started = time.perf_counter()
        reviews = run()
        seconds = time.perf_counter() - started
    requests = _admin(base_url, "stats")["total"]
    tracemalloc.start()
    run()
    python_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return Result(name, reviews, requests, seconds, python_peak, browser_peak())


def scrape_with_client(base_url: str, movie_id: str, rate: float) -> int:
    """This project's client: page 1 from __NEXT_DATA__, then GraphQL pages of 50 inside the browser."""
    count = 0
    with ImdbBrowser(base_url, requests_per_second=rate) as browser:
        scrape = browser.scrape_reviews(movie_id)
        for page in scrape:
            count += len(page)
        assert scrape.complete and count == MOVIES[movie_id], (count, scrape.complete)
    return count


def scrape_with_one_read(base_url: str, movie_id: str) -> int:
    """The baseline: load the reviews page, click "All", wait for every card, read them all with one
    evaluate() (the same browser flow, without the client's GraphQL paging)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="en-US")
        page.goto(f"{base_url}/title/{movie_id}/reviews/?sort=submission_date&dir=desc")
        total = int(re.sub(r"\D", "", page.inner_text('div[data-testid="tturv-total-reviews"]')))
        page.click('div[data-testid="tturv-pagination"] button:has-text("All")')
        page.wait_for_function(
            f"document.querySelectorAll('article.user-review-item').length >= {total}", timeout=600_000
        )
        reviews = page.evaluate(_READ_CARDS_JS)
        browser.close()
    assert len({review["review_id"] for review in reviews}) == total
    return len(reviews)


@dataclass
class Incremental:
    """Requests of the incremental path for a few new reviews."""

    new: int
    graphql: int
    pages: int
    total: int
    seconds: float


def incremental_path(base_url: str, rate: float) -> Incremental:
    """Store the 10,000-review movie in a temporary embedded database, post three reviews on the
    replica, then count what the new-reviews path (an incremental sync) asks of it."""
    with tempfile.TemporaryDirectory(prefix="imdb-bench-") as home:
        config = DatabaseConfig(home=home)
        urls = resolve_database_urls(config)
        upgrade(urls.tracker)
        from sqlalchemy import create_engine

        engine = create_engine(urls.tracker)
        try:
            with ImdbBrowser(base_url, requests_per_second=rate) as browser:
                full = sync_reviews(browser, engine, INCREMENTAL_MOVIE)
                assert full.complete and full.stored == MOVIES[INCREMENTAL_MOVIE]
                _admin(base_url, f"add_reviews?movie={INCREMENTAL_MOVIE}&count={NEW_REVIEWS}")
                _admin(base_url, "reset")
                started = time.perf_counter()
                sync = sync_reviews(browser, engine, INCREMENTAL_MOVIE, incremental=True)
                seconds = time.perf_counter() - started
            stats = _admin(base_url, "stats")["requests"]
        finally:
            engine.dispose()
            stop_embedded_server(config)
    return Incremental(
        sync.counts.new,
        stats.get("graphql", 0),
        stats.get("reviews", 0) + stats.get("title", 0),
        sum(stats.values()),
        seconds,
    )


def report(results: list[Result], rate: float, budget: float, incremental: Incremental) -> None:
    """Print the figures side by side."""
    rows = [
        ("reviews", lambda r: f"{r.reviews:,}"),
        ("requests served", lambda r: f"{r.requests:,}"),
        ("requests per review", lambda r: f"{r.requests_per_review:.4f} (1/{1 / r.requests_per_review:.0f})"),
        ("wall time (s)", lambda r: f"{r.seconds:.1f}"),
        ("reviews/s", lambda r: f"{r.reviews / r.seconds:,.0f}"),
        (f"wall time at {budget:g} req/s (s)*", lambda r: f"{r.seconds_at(budget):,.0f}"),
        (f"reviews/s at {budget:g} req/s*", lambda r: f"{r.reviews / r.seconds_at(budget):,.0f}"),
        (
            "peak Python memory (MB)",
            lambda r: "n/a" if math.isnan(r.python_peak_mb) else f"{r.python_peak_mb:.2f}",
        ),
        ("peak browser RSS (MB)", lambda r: f"{r.browser_peak_mb:.0f}"),
    ]
    print(f"\nreview scraping against the replica (client rate limit {rate:g} req/s: unthrottled)")
    print(f"{'':30}" + "".join(f"{r.name:>22}" for r in results))
    for label, cell in rows:
        print(f"{label:30}" + "".join(f"{cell(r):>22}" for r in results))
    print(
        f"* computed from the request count at the production budget of {budget:g} requests/s per "
        "host (max of requests / budget and the measured time), not waited for"
    )
    by_name = {r.name: r for r in results}
    ours10, ours20 = by_name["client 10k"], by_name["client 20k"]
    if "baseline 10k" in by_name:
        base = by_name["baseline 10k"]
        print(
            f"\nclient vs baseline at 10k: {base.seconds / ours10.seconds:.1f}x faster unthrottled, "
            f"{base.seconds_at(budget) / ours10.seconds_at(budget):.2f}x at {budget:g} req/s "
            f"({ours10.requests} vs {base.requests} requests)"
        )
    ratio = ours20.python_peak_mb / ours10.python_peak_mb
    print(f"client Python memory 20k vs 10k: x{ratio:.2f}")
    print(
        f"\nincremental path: {incremental.new} new reviews on a {MOVIES[INCREMENTAL_MOVIE]:,}-review movie "
        f"cost {incremental.graphql} GraphQL request(s) and {incremental.pages} page load(s) "
        f"({incremental.total} requests in all, {incremental.seconds:.1f} s unthrottled; "
        f"{incremental.total / budget:.1f} s at {budget:g} req/s) -> "
        f"{'PASS' if incremental.graphql <= 2 else 'FAIL'} (target <= 2 GraphQL requests)"
    )


def main() -> None:
    """Run the scrapers and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="client requests per second (default 1000)"
    )
    parser.add_argument(
        "--budget", type=float, default=2.0, help="production requests per second to compute figures at"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    args = parser.parse_args()
    with replica_process() as (base_url, replica_pid):
        results = [
            measure(
                "client 10k",
                base_url,
                replica_pid,
                lambda: scrape_with_client(base_url, "tt9000010", args.rate),
            ),
            measure(
                "client 20k",
                base_url,
                replica_pid,
                lambda: scrape_with_client(base_url, "tt9000020", args.rate),
            ),
        ]
        if not args.no_baseline:
            results.append(
                measure(
                    "baseline 10k",
                    base_url,
                    replica_pid,
                    lambda: scrape_with_one_read(base_url, BASELINE_MOVIE),
                )
            )
        incremental = incremental_path(base_url, args.rate)
    report(results, args.rate, args.budget, incremental)


if __name__ == "__main__":
    main()
