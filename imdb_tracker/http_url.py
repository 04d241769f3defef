"""The one rule for every URL the tracker is pointed at: IMDb (or a replica), an OpenAI-compatible
API, a webhook. Checked before anything is loaded, so a typo is a clear error, never a retry."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def check_http_url(url: str, subject: str, example: str, error: type[ValueError] = ValueError) -> str:
    """``url`` stripped and without a trailing slash when it is an ``http``/``https`` URL with a valid
    host name (and port); otherwise raises ``error`` saying that ``subject`` is not one (``example``
    shows what is expected). ``subject`` is how the message names the URL: pass a description
    without the value for a secret URL."""
    problem = f"{subject} is not an http:// or https:// URL with a valid host (e.g. {example})"
    text = url.strip()
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise error(problem) from None
    host = parts.hostname or ""
    valid = parts.scheme in ("http", "https") and bool(host) and port_ok and _valid_host(host)
    if not valid or any(character.isspace() for character in text):
        raise error(problem)
    return text.rstrip("/")
