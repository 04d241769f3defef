"""Checking the URLs the client is pointed at, before anything is loaded."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from imdb_tracker.imdb.errors import InvalidUrl

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def check_site_url(url: str, name: str = "") -> str:
    """``url`` without a trailing slash when it is an ``http``/``https`` URL with a valid host name
    (and port); raises :class:`InvalidUrl` (naming ``name``, when given) otherwise."""
    subject = f"{name} {url!r}" if name else repr(url)
    problem = f"{subject} is not an http:// or https:// URL with a valid host (e.g. https://www.imdb.com)"
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise InvalidUrl(problem) from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or not port_ok or not _valid_host(host):
        raise InvalidUrl(problem)
    if any(character.isspace() for character in url.strip()):
        raise InvalidUrl(problem)
    return url.strip().rstrip("/")
