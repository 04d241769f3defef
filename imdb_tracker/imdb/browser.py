"""The IMDb client: metadata, reviews and title search through one real Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from imdb_tracker.imdb.errors import ImdbError, LayoutChanged
from imdb_tracker.imdb.ids import parse_movie_id
from imdb_tracker.imdb.models import MovieMetadata, TitleSuggestion
from imdb_tracker.imdb.parsing import parse_title_json_ld, parse_title_next_data
from imdb_tracker.imdb.posters import Poster, checked_poster, sized_poster_url
from imdb_tracker.imdb.ratelimit import Backoff, RequestBudget, TokenBucket
from imdb_tracker.imdb.reviews import ReviewScrape
from imdb_tracker.imdb.search import parse_suggestions, suggestion_url
from imdb_tracker.imdb.session import BrowserSession
from imdb_tracker.imdb.urls import check_site_url

PROD_BASE_URL = "https://www.imdb.com"
PROD_SUGGESTION_URL = "https://v3.sg.media-imdb.com"
_PROD_HOSTS = {"www.imdb.com", "imdb.com"}


def default_suggestion_url(base_url: str) -> str:
    """IMDb's suggestion host for the real site; the base URL itself for anything else (a replica)."""
    return PROD_SUGGESTION_URL if urlsplit(base_url).hostname in _PROD_HOSTS else base_url.rstrip("/")


def imdb_host_matcher(*urls: str) -> Callable[[str], bool]:
    """Whether a host name belongs to the site of ``urls``: their hosts, and for ``www.imdb.com``
    every ``*.imdb.com`` host (GraphQL is served from ``caching.graphql.imdb.com``)."""
    hosts = {urlsplit(url).hostname or "" for url in urls}
    domains = {host.removeprefix("www.") for host in hosts if host in _PROD_HOSTS}
    return lambda host: host in hosts or any(host == d or host.endswith("." + d) for d in domains)


class ImdbBrowser:
    """Client for IMDb (or a replica at ``base_url``); use as a context manager, one Chromium per ``with``.

    Every request to IMDb's hosts (page loads, the reload after a WAF challenge, GraphQL pages,
    suggestion look-ups) waits for its turn in ``budget``: by default a token bucket of
    ``requests_per_second`` for this client alone; pass a shared one
    (:class:`imdb_tracker.db.request_budget.SharedRequestBudget`) so that processes running side by
    side stay within one budget together. 429/5xx/timeouts are retried ``max_retries`` times with
    exponential back-off from ``retry_base_delay_s`` (honouring ``Retry-After`` up to
    ``max_retry_delay_s``); a URL that cannot be valid raises
    :class:`~imdb_tracker.imdb.errors.InvalidUrl` at once.
    ``storage_state`` is a Playwright storage-state file of a signed-in session.
    """

    def __init__(
        self,
        base_url: str = PROD_BASE_URL,
        *,
        suggestion_url: str | None = None,
        requests_per_second: float = 2.0,
        storage_state: str | Path | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        headless: bool = True,
        retry_base_delay_s: float = 1.0,
        max_retry_delay_s: float = 60.0,
        budget: RequestBudget | None = None,
    ) -> None:
        self.base_url = check_site_url(base_url, "IMDb base URL")
        self.suggestion_url = check_site_url(
            suggestion_url or default_suggestion_url(self.base_url), "IMDb suggestion URL"
        )
        self._session = BrowserSession(
            budget=budget or TokenBucket(requests_per_second),
            is_budgeted_host=imdb_host_matcher(self.base_url, self.suggestion_url),
            storage_state=storage_state,
            timeout_s=timeout_s,
            max_retries=max_retries,
            headless=headless,
            backoff=Backoff(retry_base_delay_s, max_retry_delay_s),
        )

    def __enter__(self) -> ImdbBrowser:
        self._session.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._session.close()

    def title_url(self, movie_id: str) -> str:
        """URL of the title page."""
        return f"{self.base_url}/title/{movie_id}/"

    def reviews_url(self, movie_id: str) -> str:
        """URL of the reviews page, newest first."""
        return f"{self.base_url}/title/{movie_id}/reviews/?sort=submission_date&dir=desc"

    def fetch_metadata(self, movie_id: str) -> MovieMetadata:
        """Metadata of a title from its page's ``__NEXT_DATA__`` (JSON-LD when that is absent), read
        from the page's HTML without rendering it (see :meth:`BrowserSession.read_document`)."""
        movie_id = parse_movie_id(movie_id)
        url = self.title_url(movie_id)
        document = self._session.read_document(url, movie_id=movie_id)
        if document.next_data is not None:
            return parse_title_next_data(document.next_data, movie_id, url)
        if document.json_ld:
            return parse_title_json_ld(document.json_ld, movie_id, url)
        raise LayoutChanged("script#__NEXT_DATA__", url)

    def fetch_poster(self, url: str) -> Poster:
        """The poster at ``url``, at dashboard size where IMDb's CDN can resize it (else as served).

        :class:`~imdb_tracker.imdb.errors.ImdbError` when it cannot be fetched,
        :class:`~imdb_tracker.imdb.posters.PosterRejected` when the answer is not a small image.
        """
        sized = sized_poster_url(url)
        try:
            body, content_type = self._session.get_bytes(sized)
        except ImdbError:
            if sized == url:
                raise
            body, content_type = self._session.get_bytes(url)
            sized = url
        return checked_poster(body, content_type, sized)

    def scrape_reviews(self, movie_id: str, *, max_reviews: int | None = None) -> ReviewScrape:
        """All reviews of a title, newest first, as an iterable of pages (see :class:`ReviewScrape`)."""
        movie_id = parse_movie_id(movie_id)
        return ReviewScrape(self._session, movie_id, self.reviews_url(movie_id), max_reviews)

    def search_titles(self, query: str) -> list[TitleSuggestion]:
        """Titles IMDb suggests for ``query`` (``tt`` ids only, in IMDb's order)."""
        if not query.strip():
            return []
        url = suggestion_url(self.suggestion_url, query)
        text = self._session.get_text(url)
        try:
            payload = json.loads(text)
        except ValueError:
            raise LayoutChanged("suggestion answer (not JSON)", url) from None
        return parse_suggestions(payload, url)
