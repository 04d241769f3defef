"""The ``TitleReviewsRefine`` persisted GraphQL query, as learnt from the reviews page's own request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from imdb_tracker.imdb.jsonpath import require
from imdb_tracker.imdb.session import HttpRequest

OPERATION = "TitleReviewsRefine"
PAGE_SIZE = 50
NEWEST_FIRST = {"by": "SUBMISSION_DATE", "order": "DESC"}
_KEPT_HEADERS = {"content-type", "accept"}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class PersistedQuery:
    """Endpoint, method, headers, variables and hash of the page's ``TitleReviewsRefine`` request."""

    endpoint: str
    method: str
    headers: dict[str, str]
    variables: dict[str, Any]
    extensions: dict[str, Any]

    @classmethod
    def from_request(
        cls, method: str, url: str, headers: dict[str, str], post_data: str | None
    ) -> PersistedQuery | None:
        """The query behind a captured browser request, or None when it is some other request."""
        parts = urlsplit(url)
        try:
            if method.upper() == "POST":
                body = json.loads(post_data or "")
                operation, variables, extensions = (
                    body["operationName"],
                    body["variables"],
                    body["extensions"],
                )
            else:
                query = parse_qs(parts.query)
                operation = query["operationName"][0]
                variables = json.loads(query["variables"][0])
                extensions = json.loads(query["extensions"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        if operation != OPERATION or not isinstance(variables, dict) or not isinstance(extensions, dict):
            return None
        require(extensions, "persistedQuery.sha256Hash", kind=str, prefix=f"{OPERATION}.extensions", url=url)
        kept = {
            k.lower(): v
            for k, v in headers.items()
            if k.lower() in _KEPT_HEADERS or k.lower().startswith("x-")
        }
        endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return cls(endpoint, method.upper(), kept, variables, extensions)

    @property
    def sha256_hash(self) -> str:
        """The persisted-query hash this query was learnt with."""
        return self.extensions["persistedQuery"]["sha256Hash"]

    @property
    def after(self) -> str | None:
        """The cursor the captured request asked to continue from."""
        return self.variables.get("after")

    def page_request(self, after: str | None, first: int = PAGE_SIZE) -> HttpRequest:
        """Request for ``first`` reviews after cursor ``after``, newest first."""
        variables = {**self.variables, "after": after, "first": first, "sort": NEWEST_FIRST}
        if self.method == "POST":
            body = _compact(
                {"operationName": OPERATION, "variables": variables, "extensions": self.extensions}
            )
            return HttpRequest(self.endpoint, "POST", self.headers, body)
        query = urlencode(
            {
                "operationName": OPERATION,
                "variables": _compact(variables),
                "extensions": _compact(self.extensions),
            }
        )
        return HttpRequest(f"{self.endpoint}?{query}", "GET", self.headers)


def is_stale_hash_error(messages: list[str]) -> bool:
    """True when GraphQL says the persisted-query hash is no longer known."""
    return any("PersistedQueryNotFound" in m for m in messages)
