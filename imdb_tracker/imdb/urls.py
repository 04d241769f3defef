"""Checking the URLs the client is pointed at, before anything is loaded."""

from __future__ import annotations

from imdb_tracker.http_url import check_http_url
from imdb_tracker.imdb.errors import InvalidUrl


def check_site_url(url: str, name: str = "") -> str:
    """``url`` without a trailing slash when it is an ``http``/``https`` URL with a valid host name
    (and port); raises :class:`InvalidUrl` (naming ``name``, when given) otherwise."""
    subject = f"{name} {url!r}" if name else repr(url)
    return check_http_url(url, subject, "https://www.imdb.com", InvalidUrl)
