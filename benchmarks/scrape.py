"""Review scraping: this client vs. a naive "click All, read the DOM" browser baseline.

Runs the IMDb replica in a subprocess (so its memory and CPU are not counted) with synthetic movies
of 10,000 and 20,000 reviews, then measures for each scraper: requests served per review, wall
time, reviews/s, peak Python memory (tracemalloc; the replica is another process) and the peak
resident memory of the browser processes (Playwright driver + Chromium, summed RSS, an indicator
only: shared pages are counted more than once).

    .venv/bin/python benchmarks/scrape.py [--rate 1000] [--no-baseline] [--baseline-memory]

The baseline takes minutes (it reads 10,000 cards element by element, as the Selenium tool did);
its Python memory is only traced with --baseline-memory (a second, equally long run).

Targets: <= 1 request per 25 reviews, >= 5x faster than the baseline, Python memory flat 10k vs 20k.
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
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from imdb_tracker.imdb import ImdbBrowser
from imdb_tracker.imdb.session import launch_chromium

MOVIES = {"tt9000010": 10_000, "tt9000020": 20_000}
BASELINE_MOVIE = "tt9000010"


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def replica_process():
    """The replica with the synthetic movies, in a child process; yields its base URL."""
    port = _free_port()
    args = [sys.executable, "-m", "imdb_tracker_dev.replica", "--port", str(port)]
    for movie_id, count in MOVIES.items():
        args += ["--synthetic", f"{movie_id}:{count}"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        process.stdout.readline()  # "IMDb replica serving ... at http://..."
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _admin(base_url: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/_replica/{path}") as response:
        return json.loads(response.read())


def _descendants(root: int, excluded: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child != excluded:
                found.append(child)
                todo.append(child)
    return found


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
def browser_rss_sampler(excluded_pid: int):
    """Samples the summed RSS of this process's children (minus the replica) every 0.2 s; yields peak()."""
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], _rss_mb(_descendants(os.getpid(), excluded_pid)))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        thread.join()


def measure(
    name: str, base_url: str, replica_pid: int, run: Callable[[], int], *, trace_memory: bool = True
) -> Result:
    """Run one scraper timed (counting replica requests, sampling browser RSS), then again under tracemalloc.

    tracemalloc slows Python down severalfold, so it stays out of the timed run.
    """
    _admin(base_url, "reset")
    with browser_rss_sampler(replica_pid) as browser_peak:
        started = time.perf_counter()
        reviews = run()
        seconds = time.perf_counter() - started
    requests = _admin(base_url, "stats")["total"]
    python_peak = float("nan")
    if trace_memory:
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


def scrape_naively(base_url: str, movie_id: str) -> int:
    """The original tool's way: load the page, click "All", wait, then read every card from the DOM."""
    reviews = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="en-US")
        page.goto(f"{base_url}/title/{movie_id}/reviews/?sort=submission_date&dir=desc")
        total = int(re.sub(r"\D", "", page.inner_text('div[data-testid="tturv-total-reviews"]')))
        page.click('div[data-testid="tturv-pagination"] button:has-text("All")')
        page.wait_for_function(
            f"document.querySelectorAll('article.user-review-item').length >= {total}", timeout=600_000
        )
        for card in page.query_selector_all("article.user-review-item"):
            rating = card.query_selector(".ipc-rating-star--rating")
            reviews.append(
                {
                    "review_id": card.query_selector("a.ipc-title-link-wrapper")
                    .get_attribute("href")
                    .split("/")[2],
                    "title": card.query_selector("h3.ipc-title__text").inner_text(),
                    "text": card.query_selector("div.ipc-html-content-inner-div").inner_text(),
                    "rating": rating.inner_text() if rating else None,
                    "author": card.query_selector('a[data-testid="author-link"]').inner_text(),
                    "date": card.query_selector("li.review-date").inner_text(),
                    "upvotes": card.query_selector(".ipc-voting__label__count--up").inner_text(),  # "1.2K"
                    "downvotes": card.query_selector(".ipc-voting__label__count--down").inner_text(),
                }
            )
        browser.close()
    assert len({r["review_id"] for r in reviews}) == total
    return len(reviews)


def report(results: list[Result], rate: float) -> None:
    """Print the figures side by side and check the targets."""
    rows = [
        ("reviews", lambda r: f"{r.reviews:,}"),
        ("requests served", lambda r: f"{r.requests:,}"),
        ("requests per review", lambda r: f"{r.requests_per_review:.4f} (1/{1 / r.requests_per_review:.0f})"),
        ("wall time (s)", lambda r: f"{r.seconds:.1f}"),
        ("reviews/s", lambda r: f"{r.reviews / r.seconds:,.0f}"),
        (
            "peak Python memory (MB)",
            lambda r: "n/a" if math.isnan(r.python_peak_mb) else f"{r.python_peak_mb:.2f}",
        ),
        ("peak browser RSS (MB)", lambda r: f"{r.browser_peak_mb:.0f}"),
    ]
    print(f"\nreview scraping against the replica (client rate limit {rate:g} req/s)")
    print(f"{'':26}" + "".join(f"{r.name:>22}" for r in results))
    for label, cell in rows:
        print(f"{label:26}" + "".join(f"{cell(r):>22}" for r in results))
    by_name = {r.name: r for r in results}
    ours10, ours20 = by_name["client 10k"], by_name["client 20k"]
    print("\ntargets")
    print(
        f"  <= 1 request per 25 reviews: client 10k 1/{1 / ours10.requests_per_review:.0f} "
        f"-> {'PASS' if ours10.requests_per_review <= 1 / 25 else 'FAIL'}"
    )
    if "baseline 10k" in by_name:
        speedup = by_name["baseline 10k"].seconds / ours10.seconds
        print(f"  >= 5x faster than baseline: {speedup:.1f}x -> {'PASS' if speedup >= 5 else 'FAIL'}")
    ratio = ours20.python_peak_mb / ours10.python_peak_mb
    print(f"  Python memory flat 10k vs 20k: x{ratio:.2f} -> {'PASS' if ratio <= 1.25 else 'FAIL'}")
    print(
        f"  (at the default 2 req/s the client would need ~{ours10.requests / 2:.0f} s for 10k reviews, "
        "all of it waiting on the rate limit)"
    )


def main() -> None:
    """Run both scrapers and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="client requests per second (default 1000)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow naive baseline")
    parser.add_argument(
        "--baseline-memory", action="store_true", help="also run the baseline under tracemalloc (~2x longer)"
    )
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
                    "baseline 10k", base_url, replica_pid, lambda: scrape_naively(base_url, BASELINE_MOVIE)
                )
            )
    report(results, args.rate)


if __name__ == "__main__":
    main()
