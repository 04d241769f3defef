"""One Chromium driven by Playwright, with IMDb politeness and fault handling built in.

Every request the client itself issues (page loads, in-page GraphQL fetches, suggestion look-ups)
takes a token from one shared :class:`TokenBucket` and is retried with back-off on 429, 5xx,
timeouts and network errors. Page loads pass the AWS WAF JavaScript challenge by letting the real
browser run it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from imdb_tracker.imdb.errors import (
    ImdbError,
    ImdbUnreachable,
    LayoutChanged,
    MovieNotFound,
    RateLimited,
    ScrapeTimeout,
    ServerError,
)
from imdb_tracker.imdb.ratelimit import Backoff, TokenBucket, parse_retry_after

T = TypeVar("T")

SYSTEM_CHROMIUM = "/usr/bin/chromium"
SERVER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
NO_IMAGES = "--blink-settings=imagesEnabled=false"  # politeness: posters and thumbnails are never needed
ACCEPT_LANGUAGE = "en-US,en;q=0.9"


def launch_chromium(
    playwright: Playwright, *, headless: bool = True, extra_args: Sequence[str] = ()
) -> Browser:
    """Playwright's own Chromium when installed, else the system's (``/usr/bin/chromium``) with
    the flags a headless server needs. Raises :class:`ImdbError` when neither exists."""
    if Path(playwright.chromium.executable_path).exists():
        return playwright.chromium.launch(headless=headless, args=list(extra_args))
    system = shutil.which("chromium") or SYSTEM_CHROMIUM
    if not Path(system).exists():
        raise ImdbError("no Chromium found: run `playwright install chromium` or install Debian's chromium")
    args = [a for a in SERVER_ARGS if headless or a != "--headless"] + list(extra_args)
    return playwright.chromium.launch(executable_path=system, headless=headless, args=args)


SIGN_IN_CARD = 'section[data-testid="reviews-sign-in-card"]'

_SNAPSHOT_JS = """() => {
  const nextData = document.getElementById('__NEXT_DATA__');
  return {
    nextData: nextData ? nextData.textContent : null,
    jsonLd: Array.from(document.querySelectorAll('script[type="application/ld+json"]'), s => s.textContent),
    signIn: document.querySelector('SIGN_IN_CARD') !== null,
  };
}""".replace("SIGN_IN_CARD", SIGN_IN_CARD)

_FETCH_JS = """async ({url, method, headers, body, timeoutMs}) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method, headers, body, credentials: 'include', signal: controller.signal});
    const text = await response.text();
    return {status: response.status, retryAfter: response.headers.get('retry-after'),
            waf: response.headers.get('x-amzn-waf-action'), text, error: null};
  } catch (e) {
    return {status: 0, error: e.name === 'AbortError' ? 'timeout' : String(e)};
  } finally {
    clearTimeout(timer);
  }
}"""


@dataclass(frozen=True)
class Document:
    """What the client reads from a loaded page."""

    next_data: dict[str, Any] | None
    json_ld: list[Any]
    sign_in_card: bool


@dataclass(frozen=True)
class HttpRequest:
    """A request issued from inside the page (so the browser's cookies apply)."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


class _Transient(Exception):
    """A failure worth retrying; turns into a public error when the retries run out."""

    FINAL: ClassVar[dict[str, type[ImdbError]]] = {
        "rate_limited": RateLimited,
        "server": ServerError,
        "timeout": ScrapeTimeout,
        "network": ImdbUnreachable,
    }

    def __init__(self, kind: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after

    def final(self, attempts: int) -> ImdbError:
        return self.FINAL[self.kind](f"{self.detail} (gave up after {attempts} attempt(s))")


def _check_status(status: int, url: str, movie_id: str | None, retry_after: float | None) -> None:
    if 200 <= status < 300:
        return
    if status == 404 and movie_id:
        raise MovieNotFound(movie_id)
    if status == 429:
        raise _Transient("rate_limited", f"IMDb answered 429 Too Many Requests for {url}", retry_after)
    if status >= 500:
        raise _Transient("server", f"IMDb answered HTTP {status} for {url}", retry_after)
    raise ImdbError(f"IMDb answered HTTP {status} for {url}")


def _is_challenge(response: Response | None) -> bool:
    return (
        response is not None
        and response.status == 202
        and response.headers.get("x-amzn-waf-action") == "challenge"
    )


@contextmanager
def _transient_on_failure(timeout_s: float, url: str) -> Iterator[None]:
    """Turn Playwright's timeout and network errors for ``url`` into retryable :class:`_Transient`."""
    try:
        yield
    except PlaywrightTimeoutError:
        raise _Transient("timeout", f"IMDb did not answer within {timeout_s:g} s for {url}") from None
    except PlaywrightError as error:
        raise _Transient("network", _network_detail(error, url)) from None


def _network_detail(error: PlaywrightError, url: str) -> str:
    first_line = (error.message or str(error)).splitlines()[0]
    return f"could not load {url}: {first_line}"


class _SharedDriver(threading.local):
    """Playwright's sync driver allows one instance per thread; nested sessions share it (ref-counted)."""

    playwright: Playwright | None = None
    users = 0

    def acquire(self) -> Playwright:
        if self.playwright is None:
            self.playwright = sync_playwright().start()
        self.users += 1
        return self.playwright

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


_DRIVER = _SharedDriver()


class BrowserSession:
    """Owns Playwright, one Chromium and one browser context; all requests go through here."""

    def __init__(
        self,
        *,
        requests_per_second: float,
        storage_state: str | Path | None,
        timeout_s: float,
        max_retries: int,
        headless: bool,
        backoff: Backoff,
    ) -> None:
        self.limiter = TokenBucket(requests_per_second)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.headless = headless
        self.backoff = backoff
        self.storage_state = Path(storage_state).expanduser() if storage_state else None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._last_document: dict[Page, list[Response]] = {}

    @property
    def timeout_ms(self) -> float:
        return self.timeout_s * 1000

    @property
    def context(self) -> BrowserContext:
        if self._context is None:
            raise RuntimeError("the browser is not running: use ImdbBrowser as a context manager")
        return self._context

    def start(self) -> None:
        """Launch Chromium and open the browser context (cookies, locale, storage state)."""
        if self.storage_state is not None and not self.storage_state.is_file():
            raise ImdbError(f"storage state file {self.storage_state} does not exist")
        self._playwright = _DRIVER.acquire()
        try:
            self._browser = self._launch(self._playwright)
            major = self._browser.version.split(".")[0]
            self._context = self._browser.new_context(
                locale="en-US",
                extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE},
                user_agent=(
                    f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    f"Chrome/{major}.0.0.0 Safari/537.36"
                ),
                storage_state=str(self.storage_state) if self.storage_state else None,
            )
        except BaseException:
            self.close()
            raise

    def _launch(self, playwright: Playwright) -> Browser:
        return launch_chromium(playwright, headless=self.headless, extra_args=[NO_IMAGES])

    def close(self) -> None:
        """Close the browser and stop Playwright (safe to call twice)."""
        for closer in (self._context, self._browser):
            if closer is not None:
                with contextlib.suppress(PlaywrightError):
                    closer.close()
        if self._playwright is not None:
            _DRIVER.release()
        self._playwright = self._browser = self._context = None
        self._last_document.clear()

    def new_page(self) -> Page:
        """A new tab that remembers its main-frame document responses (to follow WAF reloads)."""
        page = self.context.new_page()
        responses: list[Response] = []
        self._last_document[page] = responses

        def remember(response: Response) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                responses.append(response)

        page.on("response", remember)
        return page

    def close_page(self, page: Page) -> None:
        """Close a tab made by :meth:`new_page`."""
        self._last_document.pop(page, None)
        if self._context is not None:
            with contextlib.suppress(PlaywrightError):
                page.close()

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (one request) under the rate limit, retrying transient failures with back-off."""
        for number in itertools.count():
            self.limiter.acquire()
            try:
                return attempt()
            except _Transient as exc:
                too_long = exc.retry_after is not None and exc.retry_after > self.backoff.cap_s
                if number >= self.max_retries or too_long:
                    raise exc.final(number + 1) from None
                time.sleep(self.backoff.delay(number, exc.retry_after))
        raise AssertionError("unreachable")

    def open_document(self, page: Page, url: str, *, movie_id: str | None = None) -> Document:
        """Load ``url`` in ``page`` (passing a WAF challenge), check the status and read its data."""

        def attempt() -> Document:
            response = self._goto(page, url)
            if _is_challenge(response):
                response = self._wait_for_challenge(page, url, response)
            _check_status(
                response.status, url, movie_id, parse_retry_after(response.headers.get("retry-after"))
            )
            return self._snapshot(page, url)

        return self.retrying(attempt)

    def _goto(self, page: Page, url: str) -> Response:
        with _transient_on_failure(self.timeout_s, url):
            response = page.goto(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
        if response is None:
            raise ImdbError(f"loading {url} produced no response")
        return response

    def _wait_for_challenge(self, page: Page, url: str, challenge: Response) -> Response:
        """Let the challenge script earn its cookie and reload; return the reloaded page's response."""
        responses = self._last_document[page]
        seen = responses.index(challenge) + 1 if challenge in responses else len(responses)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            page.wait_for_timeout(50)
            fresh = [r for r in responses[seen:] if not _is_challenge(r)]
            if fresh:
                try:
                    page.wait_for_load_state("domcontentloaded", timeout=self.timeout_ms)
                except PlaywrightTimeoutError:
                    break
                return fresh[-1]
        raise _Transient(
            "timeout", f"the WAF challenge at {url} did not complete within {self.timeout_s:g} s"
        )

    def _snapshot(self, page: Page, url: str) -> Document:
        try:
            raw = page.evaluate(_SNAPSHOT_JS)
        except PlaywrightError as error:
            raise _Transient("network", _network_detail(error, url)) from None
        next_data = None
        if raw["nextData"] is not None:
            try:
                next_data = json.loads(raw["nextData"])
            except json.JSONDecodeError:
                raise LayoutChanged("script#__NEXT_DATA__ (not valid JSON)", url) from None
        json_ld = []
        for text in raw["jsonLd"]:
            try:
                json_ld.append(json.loads(text))
            except json.JSONDecodeError:
                continue
        return Document(next_data=next_data, json_ld=json_ld, sign_in_card=bool(raw["signIn"]))

    def fetch_text(self, page: Page, request: HttpRequest, *, refresh_url: str) -> str:
        """Send ``request`` with ``fetch()`` from inside ``page`` and return the body of a 2xx answer.

        When the WAF token has expired (a 202 challenge), the page at ``refresh_url`` is reloaded to
        earn a new one and the request is sent again.
        """

        def send() -> dict[str, Any]:
            return page.evaluate(
                _FETCH_JS,
                {
                    "url": request.url,
                    "method": request.method,
                    "headers": request.headers,
                    "body": request.body,
                    "timeoutMs": self.timeout_ms,
                },
            )

        def attempt() -> str:
            try:
                result = send()
                if result["status"] == 202 and result.get("waf") == "challenge":
                    self.open_document(page, refresh_url)
                    self.limiter.acquire()
                    result = send()
            except PlaywrightError as error:
                raise _Transient("network", _network_detail(error, request.url)) from None
            if result["error"] == "timeout":
                raise _Transient(
                    "timeout", f"IMDb did not answer within {self.timeout_s:g} s for {request.url}"
                )
            if result["error"]:
                raise _Transient("network", f"could not reach {request.url}: {result['error']}")
            if result["status"] == 202 and result.get("waf") == "challenge":
                raise ImdbError(f"IMDb's WAF keeps challenging requests to {request.url}")
            _check_status(result["status"], request.url, None, parse_retry_after(result.get("retryAfter")))
            return result["text"]

        return self.retrying(attempt)

    def get_text(self, url: str) -> str:
        """GET ``url`` through the browser context's request API (shares its cookies) and return the body."""
        body, _ = self.get_bytes(url)
        return body.decode("utf-8", errors="replace")

    def get_bytes(self, url: str) -> tuple[bytes, str]:
        """GET ``url`` like :meth:`get_text`; the body and its ``Content-Type``."""

        def attempt() -> tuple[bytes, str]:
            with _transient_on_failure(self.timeout_s, url):
                response = self.context.request.get(url, timeout=self.timeout_ms, fail_on_status_code=False)
            try:
                _check_status(
                    response.status, url, None, parse_retry_after(response.headers.get("retry-after"))
                )
                return response.body(), response.headers.get("content-type", "")
            finally:
                response.dispose()  # otherwise the body stays in memory until the context closes

        return self.retrying(attempt)
