"""One Chromium driven by Playwright, with IMDb politeness, bounded calls and fault handling built in.

- **Politeness**: every document, fetch and XHR request the browser sends to an IMDb host (page
  loads, the reload after a WAF challenge, GraphQL calls, the page's own requests) and every
  suggestion look-up first waits for its turn in a :class:`~imdb_tracker.imdb.ratelimit.RequestBudget`
  of that host: in-process by default, shared by every process through PostgreSQL in the pipeline
  and the CLI.
- **Bounded**: every call into the browser (starting it, loading, evaluating, closing) runs under a
  :class:`~imdb_tracker.imdb.watchdog.Watchdog`; one that hangs past its bound stops the browser and
  raises :class:`~imdb_tracker.imdb.errors.BrowserHung`.
- **Faults**: 429, 5xx, timeouts and network errors are retried with back-off; an invalid URL is not.
  Page loads pass the AWS WAF JavaScript challenge by letting the real browser run it, then wait for
  the document the reload commits.
- **Cost**: a server-rendered page whose data is all in its HTML (the title page) is read through
  the browser context's request API, with the context's cookies and headers and without rendering
  it or running its scripts; only when IMDb's WAF challenges that request is the page loaded in a tab.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Response,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api._context_manager import PlaywrightContextManager

from imdb_tracker.imdb.errors import (
    ImdbError,
    ImdbUnreachable,
    InvalidUrl,
    LayoutChanged,
    MovieNotFound,
    RateLimited,
    ScrapeTimeout,
    ServerError,
)
from imdb_tracker.imdb.ratelimit import Backoff, RequestBudget, parse_retry_after
from imdb_tracker.imdb.watchdog import Watchdog, descendants, kill_processes

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


MAX_REQUEST_FALLBACKS = 2
"""Request-API reads of a page in a row that IMDb answers with something else than the page, after
which a session loads every page in a tab (see :meth:`BrowserSession.read_document`)."""

BUDGETED_RESOURCE_TYPES = frozenset({"document", "fetch", "xhr"})
"""Requests to an IMDb host that count against its budget (scripts, styles and images do not)."""
_INVALID_URL_MARKERS = ("ERR_INVALID_URL", "invalid URL", "Invalid URL")


CHROMIUM_START_TIMEOUT_S = 60.0
"""How long launching Chromium may take. It is a local process, so the IMDb request timeout
(``IMDB_TIMEOUT_S``, which can be a second or two) does not bound it: on a busy machine a launch
took more than a second."""


def launch_chromium(
    playwright: Playwright,
    *,
    headless: bool = True,
    extra_args: Sequence[str] = (),
) -> Browser:
    """Playwright's own Chromium when installed, else the system's (``/usr/bin/chromium``) with
    the flags a headless server needs; the launch fails after :data:`CHROMIUM_START_TIMEOUT_S`.
    Raises :class:`ImdbError` when neither exists."""
    timeout_ms = CHROMIUM_START_TIMEOUT_S * 1000
    if Path(playwright.chromium.executable_path).exists():
        return playwright.chromium.launch(headless=headless, args=list(extra_args), timeout=timeout_ms)
    system = shutil.which("chromium") or SYSTEM_CHROMIUM
    if not Path(system).exists():
        raise ImdbError("no Chromium found: run `playwright install chromium` or install Debian's chromium")
    args = [a for a in SERVER_ARGS if headless or a != "--headless"] + list(extra_args)
    return playwright.chromium.launch(
        executable_path=system, headless=headless, args=args, timeout=timeout_ms
    )


SIGN_IN_CARD = 'section[data-testid="reviews-sign-in-card"]'

_SNAPSHOT_JS = """() => {
  const nextData = document.getElementById('__NEXT_DATA__');
  return {
    nextData: nextData ? nextData.textContent : null,
    jsonLd: Array.from(document.querySelectorAll('script[type="application/ld+json"]'), s => s.textContent),
    signIn: document.querySelector('SIGN_IN_CARD') !== null,
  };
}""".replace("SIGN_IN_CARD", SIGN_IN_CARD)

_PARSED_JS = "() => document.readyState !== 'loading'"

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

    @classmethod
    def from_scripts(
        cls, next_data: str | None, json_ld: Sequence[str], sign_in_card: bool, url: str
    ) -> Document:
        """The document of the page at ``url`` from the text of its ``__NEXT_DATA__`` script and of its
        JSON-LD scripts (JSON-LD that does not parse is skipped; ``__NEXT_DATA__`` that does not parse
        raises :class:`~imdb_tracker.imdb.errors.LayoutChanged`)."""
        parsed_next_data = None
        if next_data is not None:
            try:
                parsed_next_data = json.loads(next_data)
            except json.JSONDecodeError:
                raise LayoutChanged("script#__NEXT_DATA__ (not valid JSON)", url) from None
        parsed_json_ld = []
        for text in json_ld:
            try:
                parsed_json_ld.append(json.loads(text))
            except json.JSONDecodeError:
                continue
        return cls(next_data=parsed_next_data, json_ld=parsed_json_ld, sign_in_card=sign_in_card)

    @classmethod
    def from_html(cls, html: str, url: str) -> Document:
        """The document of the HTML of the page at ``url``, as the browser would read it once parsed.

        A script's text is raw text in HTML (no entities; it ends at the first ``</script``), so the
        text found here is exactly the ``textContent`` the browser's DOM gives.
        """
        next_data = None
        json_ld = []
        for match in _SCRIPT_RE.finditer(html):
            attributes, text = match.group(1), match.group(2)
            if next_data is None and _NEXT_DATA_ID_RE.search(attributes):
                next_data = text
            elif _JSON_LD_TYPE_RE.search(attributes):
                json_ld.append(text)
        return cls.from_scripts(next_data, json_ld, _SIGN_IN_CARD_RE.search(html) is not None, url)

    @property
    def has_page_data(self) -> bool:
        """Whether the document carries the page's data (``__NEXT_DATA__`` or JSON-LD)."""
        return self.next_data is not None or bool(self.json_ld)


_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_NEXT_DATA_ID_RE = re.compile(r"""\bid\s*=\s*["']?__NEXT_DATA__(?:["'\s/]|$)""", re.IGNORECASE)
_JSON_LD_TYPE_RE = re.compile(r"""\btype\s*=\s*["']?application/ld\+json""", re.IGNORECASE)
_SIGN_IN_CARD_RE = re.compile(
    r"""<section\b[^>]*\bdata-testid\s*=\s*["']?reviews-sign-in-card\b""", re.IGNORECASE
)


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
        "waf": ImdbError,
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


def _is_waf_challenge(status: int, waf_action: str | None) -> bool:
    """Whether an answer is AWS WAF's challenge (202 with ``x-amzn-waf-action: challenge``)."""
    return status == 202 and waf_action == "challenge"


def _is_challenge(response: Response | None) -> bool:
    return response is not None and _is_waf_challenge(
        response.status, response.headers.get("x-amzn-waf-action")
    )


_NAVIGATED = None
"""Marks, in a tab's history of main-frame events, that the main frame committed a document."""


def _committed_document(history: Sequence[Response | None]) -> Response | None:
    """The response whose document the main frame committed last in ``history`` (responses of
    main-frame navigations and :data:`_NAVIGATED` marks, in order); None when none was committed
    yet, or the committed one is a WAF challenge page."""
    latest: Response | None = None
    committed: Response | None = None
    for event in history:
        if event is _NAVIGATED:
            committed = latest
        else:
            latest = event
    return None if _is_challenge(committed) else committed


@contextmanager
def _transient_on_failure(timeout_s: float, url: str) -> Iterator[None]:
    """Turn Playwright's timeout and network errors for ``url`` into retryable :class:`_Transient`;
    an invalid URL raises :class:`InvalidUrl` (permanent)."""
    try:
        yield
    except PlaywrightTimeoutError:
        raise _Transient("timeout", f"IMDb did not answer within {timeout_s:g} s for {url}") from None
    except PlaywrightError as error:
        _raise_if_invalid_url(error, url)
        raise _Transient("network", _network_detail(error, url)) from None


def _raise_if_invalid_url(error: PlaywrightError, url: str) -> None:
    if any(marker in (error.message or str(error)) for marker in _INVALID_URL_MARKERS):
        raise InvalidUrl(f"cannot load {url}: not a valid URL") from None


def _network_detail(error: PlaywrightError, url: str) -> str:
    first_line = (error.message or str(error)).splitlines()[0]
    return f"could not load {url}: {first_line}"


class _SharedDriver(threading.local):
    """Playwright's sync driver allows one instance per thread; nested sessions share it (ref-counted)."""

    manager: PlaywrightContextManager | None = None
    playwright: Playwright | None = None
    users = 0

    def acquire(self) -> Playwright:
        if self.playwright is None:
            self.manager = sync_playwright()
            self.playwright = self.manager.start()
        self.users += 1
        return self.playwright

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.playwright is not None:
            self.playwright.stop()
            self.playwright = self.manager = None

    def discard(self) -> None:
        """Forget this thread's driver once its processes were killed (the next user starts a new one)."""
        playwright, self.playwright, self.manager, self.users = self.playwright, None, None, 0
        if playwright is not None:
            with contextlib.suppress(Exception):  # the driver is gone: this only releases the event loop
                playwright.stop()

    @property
    def pid(self) -> int | None:
        """Process id of this thread's Playwright driver (Node.js), when it runs."""
        try:
            return self.manager._client._transport._proc.pid  # type: ignore[union-attr]
        except AttributeError:
            return None


_DRIVER = _SharedDriver()


def _driver_pids() -> list[int]:
    """The Playwright drivers this process started (for a driver that hangs while starting)."""
    pids = []
    for pid in descendants(os.getpid()):
        try:
            if b"run-driver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            continue
    return pids


class BrowserSession:
    """Owns Playwright, one Chromium and one browser context; all requests go through here.

    ``budget`` paces the requests to the hosts ``is_budgeted_host`` accepts (by host name); each
    host ``name[:port]`` has its own turn. Every call into the browser is bounded by
    :attr:`call_bound_s` (see :class:`~imdb_tracker.imdb.watchdog.Watchdog`).
    """

    def __init__(
        self,
        *,
        budget: RequestBudget,
        is_budgeted_host: Callable[[str], bool],
        storage_state: str | Path | None,
        timeout_s: float,
        max_retries: int,
        headless: bool,
        backoff: Backoff,
    ) -> None:
        self.budget = budget
        self.is_budgeted_host = is_budgeted_host
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.headless = headless
        self.backoff = backoff
        self.storage_state = Path(storage_state).expanduser() if storage_state else None
        self._playwright: Playwright | None = None
        self._driver_pid: int | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._history: dict[Page, list[Response | None]] = {}
        self._budget_error: Exception | None = None
        self._request_fallbacks = 0
        self._watchdog = Watchdog(self._kill_browser, self._kill_driver)

    @property
    def timeout_ms(self) -> float:
        return self.timeout_s * 1000

    @property
    def call_bound_s(self) -> float:
        """How long one call into the browser may take before it counts as hung: twice the request
        timeout (a page load, then the reload after a WAF challenge), plus 30 s."""
        return 2 * self.timeout_s + 30

    @property
    def context(self) -> BrowserContext:
        if self._context is None:
            raise RuntimeError("the browser is not running: use ImdbBrowser as a context manager")
        return self._context

    @contextmanager
    def bounded(self, what: str, seconds: float | None = None) -> Iterator[None]:
        """Run a block of browser calls under a bound (default :attr:`call_bound_s`); past it the
        browser is stopped and :class:`~imdb_tracker.imdb.errors.BrowserHung` raised."""
        with self._watchdog.bounded(what, self.call_bound_s if seconds is None else seconds):
            yield

    def _kill_browser(self) -> None:
        if self._driver_pid is not None:
            kill_processes(descendants(self._driver_pid))

    def _kill_driver(self) -> None:
        pids = [self._driver_pid] if self._driver_pid is not None else _driver_pids()
        kill_processes([pid for driver in pids for pid in [*descendants(driver), driver]])

    def start(self) -> None:
        """Launch Chromium and open the browser context (cookies, locale, storage state, budget)."""
        if self.storage_state is not None and not self.storage_state.is_file():
            raise ImdbError(f"storage state file {self.storage_state} does not exist")
        self._watchdog = Watchdog(self._kill_browser, self._kill_driver)
        try:
            with self.bounded("starting Playwright"):
                self._playwright = _DRIVER.acquire()
            self._driver_pid = _DRIVER.pid
            with self.bounded("launching Chromium", CHROMIUM_START_TIMEOUT_S + self.call_bound_s):
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
                self._context.route("**/*", self._pace)
        except BaseException:
            self.close()
            raise

    def _launch(self, playwright: Playwright) -> Browser:
        return launch_chromium(playwright, headless=self.headless, extra_args=[NO_IMAGES])

    def _pace(self, route: Route) -> None:
        """Route handler: a budgeted request waits for its turn, everything else goes at once."""
        request = route.request
        parts = urlsplit(request.url)
        if request.resource_type in BUDGETED_RESOURCE_TYPES and self.is_budgeted_host(parts.hostname or ""):
            try:
                self.budget.acquire(parts.netloc)
            except Exception as error:  # the budget's store failed: fail the request, report it
                self._budget_error = error
                with contextlib.suppress(PlaywrightError):
                    route.abort("failed")
                return
        with contextlib.suppress(PlaywrightError):  # the tab may have closed meanwhile
            route.continue_()

    def _raise_budget_error(self) -> None:
        """Re-raise a failure of the budget's store met by a request of the last attempt."""
        error, self._budget_error = self._budget_error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Close the browser and stop Playwright (safe to call twice; never waits past a bound)."""
        if self._watchdog.fired is None:
            closers = ((self._context, "closing the browser context"), (self._browser, "closing Chromium"))
            for closer, what in closers:
                if closer is not None:
                    with contextlib.suppress(PlaywrightError, ScrapeTimeout), self.bounded(what):
                        closer.close()
        if self._playwright is not None and self._watchdog.fired is None:
            with contextlib.suppress(PlaywrightError, ScrapeTimeout), self.bounded("stopping Playwright"):
                _DRIVER.release()
        elif self._playwright is not None:  # a call hung: end the rest of the driver, start afresh next time
            self._kill_driver()
            _DRIVER.discard()
        self._watchdog.close()
        self._playwright = self._browser = self._context = None
        self._driver_pid = None
        self._history.clear()

    def new_page(self) -> Page:
        """A new tab that remembers its main-frame responses and commits (to follow WAF reloads)."""
        with self.bounded("opening a tab"):
            page = self.context.new_page()
        history: list[Response | None] = []
        self._history[page] = history

        def on_response(response: Response) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                history.append(response)

        def on_navigated(frame: Any) -> None:
            if frame == page.main_frame:
                history.append(_NAVIGATED)

        page.on("response", on_response)
        page.on("framenavigated", on_navigated)
        return page

    def close_page(self, page: Page) -> None:
        """Close a tab made by :meth:`new_page`."""
        self._history.pop(page, None)
        if self._context is not None:
            with contextlib.suppress(PlaywrightError), self.bounded("closing a tab"):
                page.close()

    def retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (one request, bounded) retrying transient failures with back-off."""
        for number in itertools.count():
            try:
                with self.bounded(what):
                    return attempt()
            except _Transient as exc:
                self._raise_budget_error()
                too_long = exc.retry_after is not None and exc.retry_after > self.backoff.cap_s
                if number >= self.max_retries or too_long:
                    raise exc.final(number + 1) from None
                delay = self.backoff.delay(number, exc.retry_after)
            except PlaywrightError:
                self._raise_budget_error()
                raise
            with self.bounded(f"waiting {delay:.1f} s to retry {what}", delay + 30):
                time.sleep(delay)
        raise AssertionError("unreachable")

    def open_document(self, page: Page, url: str, *, movie_id: str | None = None) -> Document:
        """Load ``url`` in ``page`` (passing a WAF challenge), check the status and read its data.

        Right after a WAF challenge, a document without ``__NEXT_DATA__`` is not taken as IMDb's
        page layout: the load is retried (with the cookie the challenge earned).
        """

        def attempt() -> Document:
            response = self._goto(page, url)
            challenged = _is_challenge(response)
            if challenged:
                response = self._wait_for_challenge(page, url, response)
            _check_status(
                response.status, url, movie_id, parse_retry_after(response.headers.get("retry-after"))
            )
            document = self._snapshot(page, url)
            if challenged and document.next_data is None:
                raise _Transient("waf", f"the page at {url} was incomplete after IMDb's WAF challenge")
            return document

        return self.retrying(f"loading {url}", attempt)

    def _goto(self, page: Page, url: str) -> Response:
        with _transient_on_failure(self.timeout_s, url):
            response = page.goto(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
        if response is None:
            raise ImdbError(f"loading {url} produced no response")
        return response

    def _wait_for_challenge(self, page: Page, url: str, challenge: Response) -> Response:
        """Let the challenge script earn its cookie and reload; return the response of the document
        that replaced the challenge page, once that document is parsed.

        The reload's response arrives before its document is committed, and the challenge page
        stays in place until then (for a large page in transit, a noticeable time; the load state
        still reads that of the challenge page). So this waits for the main frame to commit a
        non-challenge document, then for that document to finish parsing.
        """
        history = self._history[page]
        seen = history.index(challenge) + 1 if challenge in history else len(history)
        deadline = time.monotonic() + self.timeout_s
        committed = _committed_document(history[seen:])
        while committed is None:
            if time.monotonic() >= deadline:
                raise _Transient(
                    "timeout", f"the WAF challenge at {url} did not complete within {self.timeout_s:g} s"
                )
            page.wait_for_timeout(50)  # lets Playwright deliver the tab's events
            committed = _committed_document(history[seen:])
        with _transient_on_failure(self.timeout_s, url):
            page.wait_for_function(
                _PARSED_JS, polling=50, timeout=max(1.0, (deadline - time.monotonic()) * 1000)
            )
        return committed

    def _snapshot(self, page: Page, url: str) -> Document:
        try:
            raw = page.evaluate(_SNAPSHOT_JS)
        except PlaywrightError as error:
            raise _Transient("network", _network_detail(error, url)) from None
        return Document.from_scripts(raw["nextData"], raw["jsonLd"], bool(raw["signIn"]), url)

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
                if _is_waf_challenge(result["status"], result.get("waf")):
                    self.open_document(page, refresh_url)
                    result = send()
            except PlaywrightError as error:
                raise _Transient("network", _network_detail(error, request.url)) from None
            if result["error"] == "timeout":
                raise _Transient(
                    "timeout", f"IMDb did not answer within {self.timeout_s:g} s for {request.url}"
                )
            if result["error"]:
                raise _Transient("network", f"could not reach {request.url}: {result['error']}")
            if _is_waf_challenge(result["status"], result.get("waf")):
                raise ImdbError(f"IMDb's WAF keeps challenging requests to {request.url}")
            _check_status(result["status"], request.url, None, parse_retry_after(result.get("retryAfter")))
            return result["text"]

        return self.retrying(f"requesting {request.url}", attempt)

    def get_text(self, url: str) -> str:
        """GET ``url`` through the browser context's request API (shares its cookies) and return the body."""
        body, _ = self.get_bytes(url)
        return body.decode("utf-8", errors="replace")

    def get_bytes(self, url: str) -> tuple[bytes, str]:
        """GET ``url`` like :meth:`get_text`; the body and its ``Content-Type``."""

        def attempt() -> tuple[bytes, str]:
            status, headers, body = self._get(url)
            _check_status(status, url, None, parse_retry_after(headers.get("retry-after")))
            return body, headers.get("content-type", "")

        return self.retrying(f"requesting {url}", attempt)

    def read_document(self, url: str, *, movie_id: str | None = None) -> Document:
        """The document of the server-rendered page at ``url``, read without rendering it when IMDb lets us.

        The page is requested through the browser context's request API (the context's cookies,
        user agent and headers; no tab, no layout, none of the page's scripts run), which costs a
        small part of a page load. When the answer is not the page — a WAF challenge, or a 2xx
        document without ``__NEXT_DATA__`` or JSON-LD — the page is loaded in a tab instead
        (:meth:`open_document`: the browser passes the challenge and keeps the cookie it earns for the
        next requests). After :data:`MAX_REQUEST_FALLBACKS` such fallbacks in a row (IMDb does not
        accept the request API even with the cookie), every later page of this session is loaded in
        a tab.
        """
        document = None
        if self._request_fallbacks < MAX_REQUEST_FALLBACKS:
            document = self.retrying(f"requesting {url}", lambda: self._request_document(url, movie_id))
        if document is not None:
            self._request_fallbacks = 0
            return document
        self._request_fallbacks += 1
        page = self.new_page()  # a tab per page: Playwright frees request objects with the tab
        try:
            return self.open_document(page, url, movie_id=movie_id)
        finally:
            self.close_page(page)

    def _request_document(self, url: str, movie_id: str | None) -> Document | None:
        """One request-API attempt of :meth:`read_document`: the document, or None when the answer is
        not the page (a WAF challenge, or no page data in a 2xx answer)."""
        status, headers, body = self._get(url)
        if _is_waf_challenge(status, headers.get("x-amzn-waf-action")):
            return None
        _check_status(status, url, movie_id, parse_retry_after(headers.get("retry-after")))
        document = Document.from_html(body.decode("utf-8", errors="replace"), url)
        return document if document.has_page_data else None

    def _get(self, url: str) -> tuple[int, dict[str, str], bytes]:
        """One GET of ``url`` through the browser context's request API (it shares the context's
        cookies): status, headers and body. These requests do not pass the route that paces the
        browser's own, so a request to an IMDb host takes its turn in the budget here."""
        parts = urlsplit(url)
        if self.is_budgeted_host(parts.hostname or ""):
            self.budget.acquire(parts.netloc)
        with _transient_on_failure(self.timeout_s, url):
            response = self.context.request.get(url, timeout=self.timeout_ms, fail_on_status_code=False)
        try:
            with _transient_on_failure(self.timeout_s, url):
                return response.status, response.headers, response.body()
        finally:
            response.dispose()  # otherwise the body stays in memory until the context closes
