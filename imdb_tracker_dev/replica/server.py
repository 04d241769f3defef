"""A local, threaded HTTP imitation of IMDb for tests, demos and benchmarks.

Serves title pages, reviews pages (with a working "25 more"/"All"), the persisted
``TitleReviewsRefine`` GraphQL query, the suggestion endpoint and posters, optionally behind a
WAF challenge or a sign-in wall, with injectable faults and live mutations of the reviews.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import date
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from imdb_tracker.imdb.models import Review
from imdb_tracker_dev.replica import render
from imdb_tracker_dev.replica.data import (
    StoredMovie,
    StoredReview,
    author_id_for,
    sample_movies,
    synthetic_movie,
)

FIRST_PAGE_SIZE = 25
MAX_PAGE_SIZE = 50
HEAD_BYTES = 64
"""A slow document's first bytes, sent at once (enough for Chromium to sniff that it is HTML)."""
WAF_COOKIE = "aws-waf-token"
SESSION_COOKIE = "at-main"
_UNSET: Any = object()
_ROUTES = [
    ("title", re.compile(r"^/title/(tt\d+)/?$")),
    ("reviews", re.compile(r"^/title/(tt\d+)/reviews/?$")),
    ("graphql", re.compile(r"^/graphql/?$")),
    ("suggestion", re.compile(r"^/suggestion/\w+/(.+)\.json$")),
    ("image", re.compile(r"^/images/(tt\d+)\.jpg$")),
    ("challenge", re.compile(r"^/challenge\.js$")),
    ("verify", re.compile(r"^/challenge/verify$")),
]
_WAF_GUARDED = {"title", "reviews", "graphql"}
_MOVIE_ROUTES = {"title", "reviews", "image"}
_PAGE_SORTS = {
    "submission_date": "SUBMISSION_DATE",
    "featured": "HELPFULNESS_SCORE",
    "helpfulness_score": "HELPFULNESS_SCORE",
    "num_votes": "TOTAL_VOTES",
    "total_votes": "TOTAL_VOTES",
    "user_rating": "USER_RATING",
    "review_volume": "HELPFULNESS_SCORE",
}


def _sort_key(by: str):
    if by == "SUBMISSION_DATE":
        return lambda r: (r.submitted_at, r.number)
    if by == "TOTAL_VOTES":
        return lambda r: (r.helpful_up + r.helpful_down, r.number)
    if by == "USER_RATING":
        return lambda r: (r.rating or 0, r.number)
    return lambda r: (r.helpful_up - r.helpful_down, r.helpful_up, r.number)


def _id_range(first: str, last: str) -> range:
    """The numbers of the ids ``first`` to ``last`` (inclusive), e.g. ``tt9100000``-``tt9104999``."""
    for movie_id in (first, last):
        if not re.fullmatch(r"tt\d{7,8}", movie_id):
            raise ValueError(f"expected a ttNNNNNNN id, got {movie_id!r}")
    return range(int(first[2:]), int(last[2:]) + 1)


def encode_cursor(offset: int) -> str:
    """Opaque base64 cursor of a position in the ordered reviews."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Position encoded by :func:`encode_cursor` (0 for no cursor); ValueError when malformed."""
    if not cursor:
        return 0
    text = base64.urlsafe_b64decode(cursor.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(cursor)
    return int(text.removeprefix("offset:"))


@dataclass(frozen=True)
class LoggedRequest:
    """One request the replica received: when (``time.time()``), which route, which method."""

    at: float
    route: str
    method: str


@dataclass
class Fault:
    """Answer every ``every``-th request of ``route`` with ``status`` (after sleeping ``delay_s``).

    ``status=None`` only delays (to provoke client timeouts). ``retry_after`` adds that header.
    ``hang=True`` never answers (the connection stays open until the replica stops).
    ``times`` limits how often the fault strikes (None: forever). ``movie_id`` limits it to the
    requests of that title (title, reviews and poster routes), e.g. one failing title page.
    """

    route: str = "graphql"
    every: int = 3
    status: int | None = 429
    retry_after: float | None = None
    delay_s: float = 0.0
    hang: bool = False
    times: int | None = None
    movie_id: str | None = None
    seen: int = field(default=0, init=False)
    struck: int = field(default=0, init=False)


class Replica:
    """The replica server and its state; start with :func:`start_replica`.

    Options may be changed while it runs: ``waf``, ``sign_in_wall``, ``layout_changed``,
    ``json_ld_only``, ``faults``, ``fail_after_pages``, ``document_body_delay_s``, ``count_drift``.

    ``document_body_delay_s`` makes title and reviews pages send their status and headers at once
    and their body that many seconds later, as a large page in transit on the real site does: the
    browser then sees the response of a WAF reload well before the new document replaces the
    challenge page.

    ``count_drift`` is added to every review count the replica announces (title page, reviews
    page, GraphQL ``total``), as IMDb's own count drifts from what its cursor chain returns.

    With ``ignores_review_sort`` set, the reviews page and GraphQL serve reviews in IMDb's default
    order (most helpful first) whatever order is asked for.

    Every request is logged with its arrival time (:attr:`request_log`, ``/_replica/log``).

    ``synthetic_range`` (first and last id, inclusive, e.g. ``("tt9100000", "tt9104999")``) serves
    every title in it as a synthetic movie with ``synthetic_reviews`` reviews, made on first request
    and the same on every replica (:func:`~imdb_tracker_dev.replica.data.synthetic_movie`): thousands
    of tracked movies for benchmarks without listing them.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        waf: bool = False,
        sign_in_wall: bool = False,
        faults: list[Fault] | tuple[Fault, ...] = (),
        layout_changed: bool = False,
        json_ld_only: bool = False,
        fail_after_pages: int | None = None,
        synthetic: dict[str, int] | None = None,
        document_body_delay_s: float = 0.0,
        count_drift: int = 0,
        synthetic_range: tuple[str, str] | None = None,
        synthetic_reviews: int = 0,
    ) -> None:
        self.waf = waf
        self.document_body_delay_s = document_body_delay_s
        self.count_drift = count_drift
        self.ignores_review_sort = False
        self.sign_in_wall = sign_in_wall
        self.faults = list(faults)
        self.layout_changed = layout_changed
        self.json_ld_only = json_ld_only
        self.query_hash = secrets.token_hex(32)
        self.graphql_log: deque[dict[str, Any]] = deque(maxlen=2000)
        self._fail_after_pages = fail_after_pages
        self._pages_since_fail_set = 0
        self._lock = threading.RLock()
        self._secret = secrets.token_bytes(16)
        self._requests: Counter[str] = Counter()
        self._log: list[LoggedRequest] = []
        self._stopped = threading.Event()
        self._ordered: dict[tuple[str, str, str], list[StoredReview]] = {}
        self._next_review_number = 9_000_000_000
        self.movies: dict[str, StoredMovie] = sample_movies()
        for movie_id, n_reviews in (synthetic or {}).items():
            self.add_synthetic_movie(movie_id, n_reviews)
        self.synthetic_range = None if synthetic_range is None else _id_range(*synthetic_range)
        self.synthetic_reviews = synthetic_reviews
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.replica = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Replica:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="imdb-replica", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (standalone mode)."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and free the port (requests left hanging by a fault are released)."""
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    # -- options ---------------------------------------------------------------------------------

    @property
    def fail_after_pages(self) -> int | None:
        """After this many more GraphQL pages, GraphQL answers 500 forever (None: never)."""
        return self._fail_after_pages

    @fail_after_pages.setter
    def fail_after_pages(self, pages: int | None) -> None:
        with self._lock:
            self._fail_after_pages = pages
            self._pages_since_fail_set = 0

    def rotate_hash(self) -> str:
        """Make the persisted-query hash every client knows stale; returns the new one."""
        self.query_hash = secrets.token_hex(32)
        return self.query_hash

    def waf_token(self, key: str) -> str:
        """The cookie value the challenge earns for ``key``."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def expire_waf_tokens(self) -> None:
        """Invalidate every ``aws-waf-token`` issued so far (clients must pass the challenge again)."""
        self._secret = secrets.token_bytes(16)

    def write_storage_state(self, path: Path) -> Path:
        """A Playwright storage-state file holding a signed-in session cookie for this replica."""
        cookie = {
            "name": SESSION_COOKIE,
            "value": "replica-session",
            "domain": "127.0.0.1",
            "path": "/",
            "expires": -1,
            "httpOnly": True,
            "secure": False,
            "sameSite": "Lax",
        }
        path.write_text(json.dumps({"cookies": [cookie], "origins": []}), encoding="utf-8")
        return path

    # -- counters --------------------------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """Requests served per route: title, reviews, graphql, suggestion, image, challenge, verify, other."""
        with self._lock:
            return Counter(self._requests)

    @property
    def total_requests(self) -> int:
        """All requests served."""
        return sum(self.requests.values())

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Every request since the last reset, in arrival order."""
        with self._lock:
            return list(self._log)

    def reset_counters(self) -> None:
        """Zero the request counters and empty the request and GraphQL logs."""
        with self._lock:
            self._requests.clear()
            self._log.clear()
            self.graphql_log.clear()

    def count(self, route: str, method: str = "GET") -> None:
        """Count and log one request of ``route``."""
        with self._lock:
            self._requests[route] += 1
            self._log.append(LoggedRequest(time.time(), route, method))

    def hang(self) -> None:
        """Block the calling handler until the replica stops (a server that never answers)."""
        self._stopped.wait()

    # -- data ------------------------------------------------------------------------------------

    def ordered(self, movie_id: str, by: str = "SUBMISSION_DATE", order: str = "DESC") -> list[StoredReview]:
        """The reviews of a movie in the given GraphQL sort order (cached until the next mutation)."""
        key = (movie_id, by, order)
        with self._lock:
            if key not in self._ordered:
                reviews = self.movies[movie_id].reviews.values()
                self._ordered[key] = sorted(reviews, key=_sort_key(by), reverse=order != "ASC")
            return self._ordered[key]

    def expected_reviews(self, movie_id: str) -> list[Review]:
        """What a complete scrape of ``movie_id`` must return, newest first."""
        return [r.to_review() for r in self.ordered(movie_id)]

    def _movie_of(self, review_id: str) -> StoredMovie:
        for movie in self.movies.values():
            if review_id in movie.reviews:
                return movie
        raise KeyError(review_id)

    def edit_review(
        self,
        review_id: str,
        *,
        text: str = _UNSET,
        rating: int | None = _UNSET,
        title: str = _UNSET,
        helpful_up: int = _UNSET,
        helpful_down: int = _UNSET,
        spoiler: bool = _UNSET,
    ) -> StoredReview:
        """Change fields of a stored review (only those given); returns the new version."""
        changes = {
            name: value
            for name, value in {
                "text": text,
                "rating": rating,
                "title": title,
                "helpful_up": helpful_up,
                "helpful_down": helpful_down,
                "spoiler": spoiler,
            }.items()
            if value is not _UNSET
        }
        with self._lock:
            movie = self._movie_of(review_id)
            movie.reviews[review_id] = replace(movie.reviews[review_id], **changes)
            self._ordered.clear()
            return movie.reviews[review_id]

    def delete_review(self, review_id: str) -> None:
        """Remove a review (as when its author deletes it)."""
        with self._lock:
            del self._movie_of(review_id).reviews[review_id]
            self._ordered.clear()

    def add_review(
        self,
        movie_id: str,
        *,
        text: str = "A new review written after the last scrape.",
        author: str = "new_reviewer",
        title: str = "Freshly posted",
        rating: int | None = 7,
        submitted_at: date | None = None,
        helpful_up: int = 0,
        helpful_down: int = 0,
        spoiler: bool = False,
        review_id: str | None = None,
    ) -> StoredReview:
        """Post a new review (today by default; ids ``rw9000000000`` upwards)."""
        with self._lock:
            if review_id is None:
                review_id = f"rw{self._next_review_number}"
                self._next_review_number += 1
            review = StoredReview(
                review_id=review_id,
                movie_id=movie_id,
                author=author,
                author_id=author_id_for(author),
                rating=rating,
                title=title,
                text=text,
                submitted_at=submitted_at or date.today(),
                helpful_up=helpful_up,
                helpful_down=helpful_down,
                spoiler=spoiler,
            )
            self.movies[movie_id].reviews[review_id] = review
            self._ordered.clear()
            return review

    def movie(self, movie_id: str) -> StoredMovie | None:
        """The movie ``movie_id`` serves, made on first request when in :attr:`synthetic_range`."""
        with self._lock:
            movie = self.movies.get(movie_id)
            if (
                movie is None
                and self.synthetic_range is not None
                and int(movie_id[2:]) in self.synthetic_range
            ):
                movie = self.movies[movie_id] = synthetic_movie(movie_id, self.synthetic_reviews)
            return movie

    def add_synthetic_movie(self, movie_id: str, n_reviews: int, title: str | None = None) -> StoredMovie:
        """A new movie whose ``n_reviews`` reviews repeat the sample under new ids."""
        movie = synthetic_movie(movie_id, n_reviews, title)
        with self._lock:
            self.movies[movie_id] = movie
            self._ordered.clear()
        return movie

    # -- GraphQL ---------------------------------------------------------------------------------

    def answer_graphql(
        self, request: dict[str, Any], headers: dict[str, str], signed_in: bool
    ) -> tuple[int, Any]:
        """Status and JSON body for one ``TitleReviewsRefine`` request."""
        variables = request.get("variables") or {}
        query_hash = ((request.get("extensions") or {}).get("persistedQuery") or {}).get("sha256Hash")
        self.graphql_log.append({"variables": variables, "hash": query_hash, "headers": headers})
        if request.get("operationName") != "TitleReviewsRefine":
            return 400, {"errors": [{"message": f"unknown operation {request.get('operationName')!r}"}]}
        if query_hash != self.query_hash:
            return 200, {
                "errors": [
                    {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
                ]
            }
        if not headers.get("x-imdb-client-name"):
            return 400, {"errors": [{"message": "missing x-imdb-client-name header"}]}
        with self._lock:
            if self._fail_after_pages is not None and self._pages_since_fail_set >= self._fail_after_pages:
                return 500, {"errors": [{"message": "Internal server error"}]}
        if self.sign_in_wall and not signed_in:
            return 200, {"errors": [{"message": "Unauthorized"}], "data": {"title": None}}
        movie_id = variables.get("const")
        if movie_id not in self.movies:
            return 200, {"data": {"title": None}}
        try:
            offset = decode_cursor(variables.get("after"))
        except ValueError:
            return 200, {"errors": [{"message": "invalid cursor"}], "data": {"title": None}}
        sort = {} if self.ignores_review_sort else variables.get("sort") or {}
        ordered = self.ordered(movie_id, sort.get("by", "HELPFULNESS_SCORE"), sort.get("order", "DESC"))
        first = max(0, min(int(variables.get("first", FIRST_PAGE_SIZE)), MAX_PAGE_SIZE))
        chunk = ordered[offset : offset + first]
        end = offset + len(chunk)
        reviews = {
            "total": len(ordered) + self.count_drift,
            "pageInfo": {
                "endCursor": encode_cursor(end),
                "hasNextPage": end < len(ordered),
                "hasPreviousPage": offset > 0,
            },
            "edges": [{"node": render.graphql_node(r)} for r in chunk],
        }
        with self._lock:
            self._pages_since_fail_set += 1
        return 200, {
            "data": {"title": {"id": movie_id, "userReviews" if self.layout_changed else "reviews": reviews}}
        }

    def suggestions(self, query: str, base_url: str) -> dict[str, Any]:
        """Suggestion answer: titles containing every query word as a word prefix, by popularity."""
        words = re.findall(r"\w+", query.casefold())
        hits = [
            movie
            for movie in self.movies.values()
            if words
            and all(any(t.startswith(w) for t in re.findall(r"\w+", movie.title.casefold())) for w in words)
        ]
        hits.sort(key=lambda m: m.popularity)
        return {"d": [render.suggestion_hit(m, base_url) for m in hits], "q": query, "v": 1}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ImdbReplica/1.0"

    @property
    def replica(self) -> Replica:
        return self.server.replica  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.headers.get('Host', '127.0.0.1')}"

    def _cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str,
        headers: dict[str, str] | None = None,
        body_delay_s: float = 0.0,
    ) -> None:
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        if not body_delay_s:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body_delay_s:
            head, payload = payload[:HEAD_BYTES], payload[HEAD_BYTES:]
            self.wfile.write(head)
            self.wfile.flush()
            time.sleep(body_delay_s)
        self.wfile.write(payload)

    def _document(self, page: str) -> None:
        """A 200 title or reviews page, its body held back by ``document_body_delay_s``."""
        self._send(200, page, "text/html; charset=utf-8", body_delay_s=self.replica.document_body_delay_s)

    def _html(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, body, "text/html; charset=utf-8", headers)

    def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False), "application/json; charset=utf-8", headers)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith("/_replica/"):
            self._admin(path, {k: v[0] for k, v in parse_qs(parts.query).items()})
            return
        body = self._body() if method == "POST" else b""
        route, match = next(
            ((name, m) for name, pattern in _ROUTES if (m := pattern.match(path))), ("other", None)
        )
        replica = self.replica
        replica.count(route, method)
        cookies = self._cookies()
        if replica.waf and route in _WAF_GUARDED and not self._has_valid_token(cookies):
            key = secrets.token_hex(16)
            self._html(
                202,
                render.challenge_page(key),
                {"x-amzn-waf-action": "challenge", "Cache-Control": "no-store"},
            )
            return
        if self._apply_fault(route, match.group(1) if match and route in _MOVIE_ROUTES else None):
            return
        if match is None:
            self._html(404, render.not_found_page())
            return
        signed_in = bool(cookies.get(SESSION_COOKIE))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if route == "title":
            self._title(match.group(1))
        elif route == "reviews":
            self._reviews(match.group(1), query, signed_in)
        elif route == "graphql":
            self._graphql(method, query, body, signed_in)
        elif route == "suggestion":
            self._json(
                200, replica.suggestions(match.group(1), self.base_url), {"Access-Control-Allow-Origin": "*"}
            )
        elif route == "image" and replica.movie(match.group(1)) is not None:
            self._send(
                200, render.poster_png(match.group(1)), "image/png", {"Cache-Control": "max-age=86400"}
            )
        elif route == "challenge":
            self._send(200, render.CHALLENGE_JS, "application/javascript")
        elif route == "verify" and method == "POST":
            self._verify(body)
        else:
            self._html(404, render.not_found_page())

    def _has_valid_token(self, cookies: dict[str, str]) -> bool:
        token = cookies.get(WAF_COOKIE, "")
        key, _, signature = token.partition(".")
        return bool(key) and hmac.compare_digest(signature, self.replica.waf_token(key))

    def _verify(self, body: bytes) -> None:
        key = ""
        try:
            answer = json.loads(body)
            key = answer["key"]
            ok = answer["answer"] == key[::-1]
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            self._json(403, {"error": "challenge failed"})
            return
        cookie = f"{WAF_COOKIE}={key}.{self.replica.waf_token(key)}; Path=/; SameSite=Lax"
        self._json(200, {"ok": True}, {"Set-Cookie": cookie})

    def _apply_fault(self, route: str, movie_id: str | None) -> bool:
        for fault in list(self.replica.faults):
            if fault.route != route or fault.movie_id not in (None, movie_id):
                continue
            fault.seen += 1
            if fault.seen % fault.every or (fault.times is not None and fault.struck >= fault.times):
                continue
            fault.struck += 1
            if fault.hang:
                self.replica.hang()
                self.close_connection = True
                return True
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.status is None:
                return False
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            if route == "graphql":
                self._json(fault.status, {"errors": [{"message": f"HTTP {fault.status}"}]}, headers)
            else:
                self._html(fault.status, f"<html><body><h1>Error {fault.status}</h1></body></html>", headers)
            return True
        return False

    def _title(self, movie_id: str) -> None:
        replica = self.replica
        movie = replica.movie(movie_id)
        if movie is None:
            self._html(404, render.not_found_page())
            return
        page = render.title_page(
            movie,
            len(movie.reviews) + replica.count_drift,
            self.base_url,
            next_data=not replica.json_ld_only,
            renamed=replica.layout_changed,
        )
        self._document(page)

    def _reviews(self, movie_id: str, query: dict[str, str], signed_in: bool) -> None:
        replica = self.replica
        movie = replica.movie(movie_id)
        if movie is None:
            self._html(404, render.not_found_page())
            return
        if replica.sign_in_wall and not signed_in:
            self._html(200, render.sign_in_page(movie, self.base_url))
            return
        if replica.ignores_review_sort:
            query = {}
        sort = {
            "by": _PAGE_SORTS.get(query.get("sort", "featured"), "HELPFULNESS_SCORE"),
            "order": "ASC" if query.get("dir") == "asc" else "DESC",
        }
        ordered = replica.ordered(movie_id, sort["by"], sort["order"])
        first_page = ordered[:FIRST_PAGE_SIZE]
        page = render.reviews_page(
            movie,
            first_page,
            len(ordered) + replica.count_drift,
            encode_cursor(len(first_page)),
            len(ordered) > len(first_page),
            self.base_url,
            sort=sort,
            query_hash=replica.query_hash,
            renamed=replica.layout_changed,
        )
        self._document(page)

    def _graphql(self, method: str, query: dict[str, str], body: bytes, signed_in: bool) -> None:
        try:
            if method == "POST":
                request = json.loads(body)
            else:
                request = {
                    "operationName": query.get("operationName"),
                    "variables": json.loads(query.get("variables", "{}")),
                    "extensions": json.loads(query.get("extensions", "{}")),
                }
        except ValueError:
            self._json(400, {"errors": [{"message": "malformed GraphQL request"}]})
            return
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-")}
        status, answer = self.replica.answer_graphql(request, headers, signed_in)
        self._json(status, answer)

    def _admin(self, path: str, query: dict[str, str]) -> None:
        replica = self.replica
        if path == "/_replica/stats":
            self._json(200, {"requests": dict(replica.requests), "total": replica.total_requests})
        elif path == "/_replica/log":
            self._json(200, [[entry.at, entry.route, entry.method] for entry in replica.request_log])
        elif path == "/_replica/reset":
            replica.reset_counters()
            self._json(200, {"ok": True})
        elif path == "/_replica/add_reviews" and query.get("movie") in replica.movies:
            count = int(query.get("count", "1"))
            added = [replica.add_review(query["movie"]).review_id for _ in range(count)]
            self._json(200, {"added": added})
        else:
            self._json(404, {"error": "unknown admin path"})


def start_replica(**options: Any) -> Replica:
    """Start a replica on 127.0.0.1 with a free port in a daemon thread (options: see :class:`Replica`)."""
    return Replica(**options).start()
