"""A small client of Superset's REST API: login with CSRF, JSON requests, list queries.

Superset's API is plain JSON over HTTP with a JWT and a CSRF token, so ``requests`` (already a
dependency of the tracker) is all it takes; see ``superset/README.md`` for why no wrapper library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import requests

_RISON_BARE = re.compile(r"^[A-Za-z_./~][A-Za-z0-9_./~-]*$")


class SupersetError(Exception):
    """Superset refused a request or could not be reached; the message is one line."""


def to_rison(value: Any) -> str:
    """Encode dicts, lists, strings, numbers, booleans and None as Rison (Superset's ``?q=``)."""
    if value is None:
        return "!n"
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if _RISON_BARE.match(value):
            return value
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(to_rison(item) for item in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{to_rison(str(k))}:{to_rison(v)}" for k, v in value.items()) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as Rison")


class SupersetApi:
    """An authenticated session on one Superset server."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Referer"] = self.base_url

    @classmethod
    def login(cls, base_url: str, username: str, password: str, timeout: float = 60.0) -> SupersetApi:
        """Log in with a database user and fetch the CSRF token that write requests need."""
        api = cls(base_url, timeout)
        tokens = api.request(
            "POST",
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
        )
        api.session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        api.session.headers["X-CSRFToken"] = api.request("GET", "/api/v1/security/csrf_token/")["result"]
        return api

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; the decoded JSON answer, or :class:`SupersetError` on any failure."""
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise SupersetError(f"cannot reach Superset at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise SupersetError(
                f"{method} {path} failed with HTTP {response.status_code}: {_message(response)}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise SupersetError(f"{method} {path} answered non-JSON: {response.text[:200]!r}") from exc

    def get(self, path: str, **kwargs: Any) -> Any:
        """``GET path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """``POST path`` with a JSON body."""
        return self.request("POST", path, json=payload, **kwargs)

    def put(self, path: str, payload: Any) -> Any:
        """``PUT path`` with a JSON body."""
        return self.request("PUT", path, json=payload)

    def delete(self, path: str) -> Any:
        """``DELETE path``."""
        return self.request("DELETE", path)

    def list(
        self,
        resource: str,
        filters: Sequence[tuple[str, str, Any]] = (),
        columns: Sequence[str] = (),
    ) -> list[dict]:
        """Every object of ``/api/v1/<resource>/`` matching ``(column, operator, value)`` filters."""
        rows: list[dict] = []
        page = 0
        while True:
            query: dict[str, Any] = {"page": page, "page_size": 100}
            if filters:
                query["filters"] = [{"col": c, "opr": o, "value": v} for c, o, v in filters]
            if columns:
                query["columns"] = list(columns)
            answer = self.get(f"/api/v1/{resource}/", params={"q": to_rison(query)})
            rows.extend(answer["result"])
            if len(rows) >= answer.get("count", 0) or not answer["result"]:
                return rows
            page += 1


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300] or response.reason
    if isinstance(body, dict):
        for key in ("message", "msg", "errors", "error"):
            if key in body:
                detail = body[key]
                return detail if isinstance(detail, str) else json.dumps(detail)[:500]
    return json.dumps(body)[:500]
