"""One request budget per IMDb host for every process: five scrapes started at once (five
``imdb-tracker scrape`` processes, each with its own Chromium) stay within it together, as the
replica's request log shows; five processes with budgets of their own would not."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from imdb_tracker.db.request_budget import SharedRequestBudget
from imdb_tracker_dev.replica import Replica, start_replica

pytestmark = pytest.mark.usefixtures("database_urls")

RATE = 4.0
"""The budget of these tests, requests per second (production: 2)."""
MOVIES = [f"tt91000{n:02d}" for n in range(5)]
REVIEWS = 270  # per scrape: the title page, the reviews page, the page's "25 more", 5 GraphQL pages
STATIC_ROUTES = {"image", "challenge"}
DELIVERY_JITTER_S = 0.5
"""A request reaches the replica up to this long after its turn on a busy machine (the browser's
network stack, thread scheduling): the windows below allow for it."""


@pytest.fixture
def replica() -> Iterator[Replica]:
    server = start_replica()
    for movie_id in MOVIES:
        server.add_synthetic_movie(movie_id, REVIEWS)
    yield server
    server.stop()


def peak_count(times: list[float], window_s: float) -> int:
    """The most requests that arrived within any ``window_s`` seconds."""
    times = sorted(times)
    peak, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] > window_s:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def allowed(window_s: float) -> float:
    """The most requests the budget lets arrive within ``window_s`` seconds."""
    return (window_s + DELIVERY_JITTER_S) * RATE + 1


def budgeted_arrivals(replica: Replica) -> list[float]:
    return [entry.at for entry in replica.request_log if entry.route not in STATIC_ROUTES]


def test_the_shared_budget_spaces_requests_of_every_thread(engine: Engine) -> None:
    budget = SharedRequestBudget(engine, 20.0)
    granted: list[float] = []

    def take(n: int) -> None:
        for _ in range(n):
            budget.acquire("budget-test.invalid")
            granted.append(time.monotonic())

    threads = [threading.Thread(target=take, args=(5,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 20
    assert peak_count(granted, 0.5) <= 20 * 0.5 + 1  # 20/s: at most 11 in any half second
    assert max(granted) - min(granted) >= 19 / 20 - 0.02
    budget.acquire("other-host.invalid")  # another host has its own turn: no wait behind the first
    assert time.monotonic() - max(granted) < 0.5


def scrape_processes(replica: Replica, command: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start one process per movie at once (the session's home: one database); wait for all."""
    replica.reset_counters()
    procs = [
        subprocess.Popen([*command, movie_id], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for movie_id in MOVIES
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_five_concurrent_scrapes_stay_within_one_budget(replica: Replica) -> None:
    command = [sys.executable, "-m", "imdb_tracker", "scrape", "--base-url", replica.base_url]
    results = scrape_processes(replica, [*command, "--rate", str(RATE)])
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results]
    arrivals = budgeted_arrivals(replica)
    assert len(arrivals) == len(MOVIES) * 8
    peak_1s, peak_2s = peak_count(arrivals, 1.0), peak_count(arrivals, 2.0)
    busy = max(arrivals) - min(arrivals)
    print(
        f"\nshared budget {RATE:g}/s: {len(arrivals)} requests in {busy:.1f} s, "
        f"peak {peak_1s} in 1 s, {peak_2s} in 2 s"
    )
    # Turns are 1/RATE apart: any W seconds of arrivals hold at most (W + jitter) * RATE + 1 requests,
    # and the combined rate over the whole run is within the budget.
    assert peak_1s <= allowed(1.0) and peak_2s <= allowed(2.0)
    assert (len(arrivals) - 1) / busy <= RATE * 1.05


@pytest.mark.slow
def test_budgets_of_their_own_would_let_five_processes_exceed_it(replica: Replica) -> None:
    """The control: the same five scrapes, each with an in-process budget of RATE, go well past it."""
    script = (
        "import sys\n"
        "from imdb_tracker.imdb import ImdbBrowser\n"
        f"with ImdbBrowser(sys.argv[1], requests_per_second={RATE}) as browser:\n"
        "    browser.fetch_metadata(sys.argv[2])\n"
        "    list(browser.scrape_reviews(sys.argv[2]))\n"
    )
    results = scrape_processes(replica, [sys.executable, "-c", script, replica.base_url])
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results]
    arrivals = budgeted_arrivals(replica)
    print(
        f"\nper-process budgets of {RATE:g}/s: {len(arrivals)} requests, "
        f"peak {peak_count(arrivals, 1.0)} in 1 s, {peak_count(arrivals, 2.0)} in 2 s"
    )
    assert peak_count(arrivals, 1.0) > allowed(1.0) and peak_count(arrivals, 2.0) > allowed(2.0)
