"""Stream every user review of a title, newest first, page by page.

The first page comes from the ``/reviews/`` page's ``__NEXT_DATA__``. For the rest, the scraper
clicks "25 more" once to watch the page send its ``TitleReviewsRefine`` persisted GraphQL query,
then repeats that query itself (50 at a time) with ``fetch()`` inside the page so the WAF cookies
apply, following ``pageInfo.endCursor`` until ``hasNextPage`` is false.
"""

from __future__ import annotations

import gc
import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Generator, Iterator
from datetime import date

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import Request as PlaywrightRequest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from imdb_tracker.imdb.errors import LayoutChanged, ServerError, SignInRequired
from imdb_tracker.imdb.graphql import OPERATION, PAGE_SIZE, PersistedQuery, is_stale_hash_error
from imdb_tracker.imdb.models import Review
from imdb_tracker.imdb.parsing import (
    GRAPHQL_ROOT,
    ReviewPage,
    graphql_error_messages,
    parse_reviews_graphql,
    parse_reviews_page,
)
from imdb_tracker.imdb.session import BrowserSession

MORE_BUTTON = "div[data-testid=tturv-pagination] button"
_MORE_TEXT = re.compile(r"\bmore\b", re.IGNORECASE)
CLICK_ATTEMPTS = 3
MAX_RELEARNS = 2
MAX_PAGES_WITHOUT_NEWS = 3
"""Review pages in a row that bring no review not yet seen, after which the scrape stops with an
error instead of following a cursor chain that goes nowhere."""


class SeenIds:
    """Review ids met so far in one scrape.

    ``rw<digits>`` ids are kept as 8-byte integers in a sorted array, so 20,000 ids cost ~160 kB
    instead of the ~1.5 MB of a set of strings; other ids go to a plain set.
    """

    def __init__(self) -> None:
        self._numbers = array("Q")
        self._others: set[str] = set()

    def add(self, review_id: str) -> bool:
        """Remember ``review_id``; True when it had not been seen before."""
        digits = review_id[2:]
        if review_id.startswith("rw") and digits.isascii() and digits.isdigit() and len(digits) < 19:
            number = int(digits)
            index = bisect_left(self._numbers, number)
            if index < len(self._numbers) and self._numbers[index] == number:
                return False
            self._numbers.insert(index, number)
            return True
        if review_id in self._others:
            return False
        self._others.add(review_id)
        return True


def _reviews_query(request: PlaywrightRequest) -> PersistedQuery | None:
    if request.resource_type not in ("fetch", "xhr"):
        return None
    return PersistedQuery.from_request(request.method, request.url, request.headers, request.post_data)


class ReviewScrape:
    """An iterable of review pages (``list[Review]``) for one title; iterate it once.

    Reviews are never accumulated: each page is yielded and forgotten. While iterating,
    ``announced_count`` (what IMDb says the total is; set after the first page), ``scraped`` (reviews
    yielded so far), ``complete`` (True only once the cursor chain ended with ``hasNextPage``
    false and nothing was cut by ``max_reviews``) and ``newest_first`` (False once a review came
    after an older one: IMDb did not honour the order asked for) describe the progress.

    Playwright keeps a Python object for every request a tab makes until the tab closes, so the
    scrape moves to a fresh tab (one reviews-page load) every ``pages_per_tab`` GraphQL pages to
    keep memory flat however many reviews a title has.
    """

    pages_per_tab = 40

    def __init__(
        self, session: BrowserSession, movie_id: str, reviews_url: str, max_reviews: int | None = None
    ) -> None:
        if max_reviews is not None and max_reviews < 0:
            raise ValueError(f"max_reviews must be >= 0, got {max_reviews}")
        self.movie_id = movie_id
        self.reviews_url = reviews_url
        self.max_reviews = max_reviews
        self.announced_count: int | None = None
        self.scraped = 0
        self.complete = False
        self.newest_first = True
        self._last_date: date | None = None
        self._session = session
        self._seen = SeenIds()
        self._query: PersistedQuery | None = None
        self._pages: Generator[list[Review]] = self._run()

    def __iter__(self) -> Iterator[list[Review]]:
        return self._pages

    def close(self) -> None:
        """Stop early and release the browser tab."""
        self._pages.close()

    @property
    def _room(self) -> int | None:
        return None if self.max_reviews is None else self.max_reviews - self.scraped

    def _run(self) -> Generator[list[Review]]:
        if self._room == 0:
            return
        page = self._session.new_page()
        try:
            current = self._open_reviews_page(page)
            self.announced_count = current.total
            yield from self._accept(current)
            pages_on_tab = 0
            followed: set[str | None] = set()
            pages_without_news = 0
            while current.has_next_page and self._room != 0:
                followed.add(current.end_cursor)
                if pages_on_tab == self.pages_per_tab:
                    self._session.close_page(page)
                    gc.collect()  # Playwright's request objects form reference cycles
                    page = self._session.new_page()
                    self._open_reviews_page(page)
                    pages_on_tab = 0
                pages_on_tab += 1
                following = self._next_page(page, current.end_cursor)
                if self.announced_count is None:
                    self.announced_count = following.total
                scraped_before = self.scraped
                yield from self._accept(following)
                if following.has_next_page and following.end_cursor in followed:
                    raise ServerError(
                        f"IMDb's review pages lead back to a page already read at {self.reviews_url}"
                    )
                pages_without_news = 0 if self.scraped > scraped_before else pages_without_news + 1
                if pages_without_news == MAX_PAGES_WITHOUT_NEWS and following.has_next_page:
                    raise ServerError(
                        f"IMDb returned {MAX_PAGES_WITHOUT_NEWS} review pages in a row without a new "
                        f"review at {self.reviews_url}"
                    )
                current = following
        finally:
            self._session.close_page(page)

    def _accept(self, review_page: ReviewPage) -> Iterator[list[Review]]:
        for review in review_page.reviews:
            if self._last_date is not None and review.submitted_at > self._last_date:
                self.newest_first = False
            self._last_date = review.submitted_at
        fresh = [review for review in review_page.reviews if self._seen.add(review.review_id)]
        room = self._room
        batch = fresh if room is None else fresh[:room]
        self.scraped += len(batch)
        if not review_page.has_next_page and len(batch) == len(fresh):
            self.complete = True
        if batch:
            yield batch

    def _open_reviews_page(self, page: Page) -> ReviewPage:
        document = self._session.open_document(page, self.reviews_url, movie_id=self.movie_id)
        if document.sign_in_card:
            raise SignInRequired(self.reviews_url)
        if document.next_data is None:
            raise LayoutChanged("script#__NEXT_DATA__", self.reviews_url)
        return parse_reviews_page(document.next_data, self.movie_id, self.reviews_url)

    def _learn_query(self, page: Page) -> tuple[PersistedQuery, ReviewPage | None]:
        """Click "25 more" and capture the page's own GraphQL request (and its answer, if usable)."""
        with self._session.bounded(f"clicking '25 more' at {self.reviews_url}"):
            button = page.locator(MORE_BUTTON, has_text=_MORE_TEXT).first
            try:
                button.wait_for(state="visible", timeout=self._session.timeout_ms)
            except PlaywrightTimeoutError:
                raise LayoutChanged(f"{MORE_BUTTON} '25 more'", self.reviews_url) from None
            request = None
            for _ in range(CLICK_ATTEMPTS):  # a click before the page's scripts are ready does nothing
                try:
                    with page.expect_request(
                        lambda r: _reviews_query(r) is not None,
                        timeout=min(self._session.timeout_ms, 10_000),
                    ) as captured:
                        button.click(timeout=self._session.timeout_ms)
                    request = captured.value
                    break
                except PlaywrightTimeoutError:
                    continue
            if request is None:
                raise LayoutChanged(f"{OPERATION} request of the '25 more' button", self.reviews_url)
            query = _reviews_query(request)
            assert query is not None
            return query, self._captured_page(request, query)

    def _captured_page(self, request: PlaywrightRequest, query: PersistedQuery) -> ReviewPage | None:
        """The reviews the page itself received, when its request got a clean answer."""
        try:
            response = request.response()
            if response is None or not response.ok:
                return None
            payload = json.loads(response.text())
        except (PlaywrightError, ValueError):
            return None
        if graphql_error_messages(payload):
            return None
        return parse_reviews_graphql(payload, self.movie_id, query.endpoint)

    def _next_page(self, page: Page, after: str | None) -> ReviewPage:
        first = PAGE_SIZE if self._room is None else max(1, min(PAGE_SIZE, self._room))
        if self._query is None:
            self._query, captured = self._learn_query(page)
            if captured is not None and self._query.after == after:
                return captured
        for relearned in range(MAX_RELEARNS + 1):
            request = self._query.page_request(after, first)
            text = self._session.fetch_text(page, request, refresh_url=self.reviews_url)
            try:
                payload = json.loads(text)
            except ValueError:
                raise LayoutChanged(f"{GRAPHQL_ROOT} (answer is not JSON)", self._query.endpoint) from None
            errors = graphql_error_messages(payload)
            if is_stale_hash_error(errors) and relearned < MAX_RELEARNS:
                self._open_reviews_page(page)
                self._query, _ = self._learn_query(page)
                continue
            try:
                return parse_reviews_graphql(payload, self.movie_id, self._query.endpoint)
            except LayoutChanged:
                if errors:  # IMDb's own message, not a layout change (and retried)
                    raise ServerError(f"IMDb GraphQL {OPERATION} failed: {errors[0]}") from None
                raise
        raise AssertionError("unreachable")
