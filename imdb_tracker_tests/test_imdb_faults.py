"""The IMDb client under hostile conditions: WAF challenges, 429/5xx, timeouts, stale hashes, truncation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from imdb_tracker.imdb import ImdbBrowser
from imdb_tracker.imdb.errors import BrowserHung, RateLimited, ScrapeTimeout, ServerError
from imdb_tracker.imdb.models import Review
from imdb_tracker.imdb.session import MAX_REQUEST_FALLBACKS
from imdb_tracker_dev.replica import Fault, Replica
from imdb_tracker_tests.fakes import replica_browser

MOVIE = "tt0029583"  # 429 reviews: page 1, the "25 more" click, then 8 requests of 50


def _all(scrape) -> list[Review]:
    return [review for page in scrape for review in page]


def test_waf_challenge_is_passed_and_renewed_mid_scrape(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    replica.waf = True
    expected = replica.expected_reviews(MOVIE)
    with replica_browser(replica) as browser:
        assert browser.fetch_metadata(MOVIE).review_count == 429
        assert (replica.requests["challenge"], replica.requests["verify"]) == (1, 1)
        scrape = browser.scrape_reviews(MOVIE)
        pages = iter(scrape)
        got = next(pages) + next(pages) + next(pages)  # page 1, the click's page, one GraphQL page
        replica.expire_waf_tokens()  # the next GraphQL call meets a 202 challenge
        got += [review for page in pages for review in page]
    assert got == expected and scrape.complete
    # reviews page: first load, then (token expired) the challenged load and the reload after it
    assert replica.requests["verify"] == 2 and replica.requests["reviews"] == 3


def _count_tabs(browser: ImdbBrowser, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every tab the browser's session opens (a page load; a request-API read opens none)."""
    session = browser._session
    opened: list[str] = []
    new_page = session.new_page

    def counting_new_page() -> Page:
        opened.append("tab")
        return new_page()

    monkeypatch.setattr(session, "new_page", counting_new_page)
    return opened


def test_title_pages_are_read_without_rendering_and_loaded_in_a_tab_only_when_challenged(
    fresh_imdb_replica: Replica, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The title page is read through the request API (no tab) and gives exactly what a tab's DOM
    gives; a WAF challenge sends one read to a tab, whose cookie lets the next reads skip the tab."""
    replica = fresh_imdb_replica
    movies = ["tt0029583", "tt6208148"]
    with replica_browser(replica) as browser:
        tabs = _count_tabs(browser, monkeypatch)
        read = [browser.fetch_metadata(movie) for movie in movies]
        assert tabs == [] and replica.requests["title"] == 2
        browser._session._request_fallbacks = MAX_REQUEST_FALLBACKS  # force page loads in tabs
        loaded = [browser.fetch_metadata(movie) for movie in movies]
        assert tabs == ["tab", "tab"] and replica.requests["title"] == 4
    assert read == loaded and read[0].title == "Snow White and the Seven Dwarfs"

    replica.waf = True
    with replica_browser(replica) as browser:
        tabs = _count_tabs(browser, monkeypatch)
        first = browser.fetch_metadata(movies[0])  # challenged: read again in a tab, which earns the cookie
        assert tabs == ["tab"] and (replica.requests["challenge"], replica.requests["verify"]) == (1, 1)
        again = [browser.fetch_metadata(movie) for movie in movies]  # the cookie lets the request API through
        assert tabs == ["tab"] and replica.requests["verify"] == 1
    assert [first, *again] == [read[0], *read]
    # without WAF: 2 reads + 2 loads; with it: the challenged read, the tab's challenged load and
    # reload, then two reads
    assert replica.requests["title"] == 4 + 3 + 2


def test_a_session_whose_reads_stay_challenged_loads_every_later_page_in_a_tab(
    fresh_imdb_replica: Replica, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When IMDb challenges the request API again right after a tab earned the cookie, the session
    stops trying it: the politeness budget is not spent twice on every page."""
    replica = fresh_imdb_replica
    replica.waf = True
    loads = MAX_REQUEST_FALLBACKS + 2
    with replica_browser(replica) as browser:
        tabs = _count_tabs(browser, monkeypatch)
        for _ in range(loads):
            replica.expire_waf_tokens()  # every request meets a challenge
            assert browser.fetch_metadata(MOVIE).review_count == 429
        assert len(tabs) == loads
    # each load: a challenged page load and its reload; the first MAX_REQUEST_FALLBACKS also a
    # challenged request-API read before it
    assert replica.requests["title"] == 2 * loads + MAX_REQUEST_FALLBACKS


def test_rate_limits_server_errors_and_failing_page_loads_still_yield_everything(
    fresh_imdb_replica: Replica,
) -> None:
    replica = fresh_imdb_replica
    replica.faults = [
        Fault(route="graphql", every=3, status=429, retry_after=0.1),
        Fault(route="graphql", every=4, status=503),
        Fault(route="reviews", every=1, status=503, times=1),
        Fault(route="title", every=1, status=502, times=2),
    ]
    expected = replica.expected_reviews(MOVIE)
    with replica_browser(replica) as browser:
        assert browser.fetch_metadata(MOVIE).title == "Snow White and the Seven Dwarfs"
        scrape = browser.scrape_reviews(MOVIE)
        assert _all(scrape) == expected and scrape.complete
    assert replica.requests["title"] == 3 and replica.requests["reviews"] == 2
    assert replica.requests["graphql"] > 9  # 9 without faults; the failed ones were retried
    assert all(fault.struck > 0 for fault in replica.faults)


def test_slow_answers_time_out_and_are_retried(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    replica.faults = [Fault(route="graphql", every=5, status=None, delay_s=1.6)]
    with replica_browser(replica, timeout_s=1.0) as browser:
        scrape = browser.scrape_reviews(MOVIE)
        assert _all(scrape) == replica.expected_reviews(MOVIE) and scrape.complete
    assert replica.faults[0].struck >= 2


def test_the_request_timeout_bounds_imdb_not_the_browsers_start(fresh_imdb_replica: Replica) -> None:
    """``IMDB_TIMEOUT_S`` bounds IMDb's answers, not Chromium's start (a clean-clone CI run once
    failed to launch it within a 1 s request timeout): with a 50 ms timeout the browser starts, and
    a title page that answers in 1.6 s times out (on a busy machine the 50 ms can run out before
    the request reaches the replica, so whether the replica saw it is not asserted)."""
    replica = fresh_imdb_replica
    replica.faults = [Fault(route="title", every=1, status=None, delay_s=1.6)]
    with replica_browser(replica, timeout_s=0.05, max_retries=0) as browser, pytest.raises(ScrapeTimeout):
        browser.fetch_metadata(MOVIE)


def test_stale_persisted_query_hash_is_relearnt(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    hashes = [replica.query_hash]
    got: list[Review] = []
    with replica_browser(replica) as browser:
        scrape = browser.scrape_reviews(MOVIE)
        for number, page in enumerate(scrape):
            got += page
            if number in (0, 3):  # stale before the first click, and again mid-way
                hashes.append(replica.rotate_hash())
    assert got == replica.expected_reviews(MOVIE) and scrape.complete
    assert replica.requests["reviews"] == 3  # first load + one reload per rotation
    used = {entry["hash"] for entry in replica.graphql_log}
    assert used == set(hashes)


def test_reviews_posted_during_a_scrape_do_not_duplicate(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    original = replica.expected_reviews(MOVIE)
    with replica_browser(replica) as browser:
        scrape = browser.scrape_reviews(MOVIE)
        got: list[Review] = []
        for page in scrape:
            got += page
            if len(got) == 25:
                replica.add_review(MOVIE, text="Posted while the scrape ran.")  # shifts every offset by one
    assert got == original and scrape.scraped == 429 and scrape.complete


def test_truncated_scrape_fails_after_clean_pages(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    replica.fail_after_pages = 3  # the click's page + 2 of ours, then 500 forever
    with replica_browser(replica, max_retries=2) as browser:
        scrape = browser.scrape_reviews(MOVIE)
        got: list[Review] = []
        with pytest.raises(ServerError, match="HTTP 500"):
            for page in scrape:
                got += page
    assert got == replica.expected_reviews(MOVIE)[:150]
    assert (scrape.scraped, scrape.complete, scrape.announced_count) == (150, False, 429)


def test_persistent_rate_limiting_gives_up(fresh_imdb_replica: Replica) -> None:
    replica = fresh_imdb_replica
    replica.faults = [Fault(route="graphql", every=1, status=429)]
    with replica_browser(replica, max_retries=2) as browser:
        scrape = browser.scrape_reviews(MOVIE)
        with pytest.raises(RateLimited, match="gave up after 3 attempt"):
            list(scrape)
        assert scrape.scraped == 25 and not scrape.complete
        assert replica.requests["graphql"] == 1 + 3  # the page's own click + our 3 attempts
        replica.faults = [Fault(route="graphql", every=1, status=429, retry_after=3600)]
        replica.reset_counters()
        with pytest.raises(RateLimited, match="gave up after 1 attempt"):
            list(browser.scrape_reviews(MOVIE))  # a Retry-After beyond the cap is not waited out
        assert replica.requests["graphql"] == 2


def test_the_page_after_a_waf_challenge_is_read_once_its_document_is_complete(
    fresh_imdb_replica: Replica,
) -> None:
    """The reload after a challenge answers before its (slow) document replaces the challenge page;
    reading the page then finds no ``__NEXT_DATA__``. Each load here meets a fresh challenge."""
    replica = fresh_imdb_replica
    replica.waf = True
    replica.document_body_delay_s = 0.3
    loads = 25
    with replica_browser(replica) as browser:
        for _ in range(loads):
            replica.expire_waf_tokens()
            meta = browser.fetch_metadata(MOVIE)
            # review_count and popularity exist only in __NEXT_DATA__ (not in the JSON-LD fallback)
            assert (meta.review_count, meta.popularity) == (429, 2163)
    assert replica.requests["verify"] == loads


def test_a_browser_call_that_never_returns_is_cut_at_its_bound(imdb_replica: Replica) -> None:
    with replica_browser(imdb_replica) as browser:
        session = browser._session
        page = session.new_page()
        with (
            pytest.raises(
                BrowserHung, match="did not finish evaluating a promise that never settles within 2 s"
            ),
            session.bounded("evaluating a promise that never settles", 2),
        ):
            page.evaluate("() => new Promise(() => {})")
        with pytest.raises(BrowserHung):  # the browser is gone: every later call says so at once
            browser.fetch_metadata(MOVIE)
    with replica_browser(imdb_replica) as browser:  # closing it did not hang; a new one works
        assert browser.fetch_metadata(MOVIE).review_count == 429
