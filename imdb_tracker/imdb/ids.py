"""Normalise the ways a user can name an IMDb title into a canonical ``tt`` id."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from imdb_tracker.imdb.errors import InvalidMovieId

_TT_ID = re.compile(r"^tt(\d{7,9})$", re.IGNORECASE)
_BARE_DIGITS = re.compile(r"^\d{7,9}$")
_URL_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?title/(tt\d{7,9})(?:/.*)?$", re.IGNORECASE)
_IMDB_HOSTS = {"imdb.com", "www.imdb.com", "m.imdb.com"}
_ID_LIKE = re.compile(r"^(?:tt(?:\d|$)|\d{7,}$)", re.IGNORECASE)


def parse_movie_id(ref: str) -> str:
    """Return the canonical ``ttNNNNNNN`` id for an id, a bare number or an IMDb title URL.

    Accepts ``tt0033467``, ``0033467`` (the original tool's form) and
    ``https://www.imdb.com/title/tt0033467/...`` (also with a locale such as ``/de/`` or
    ``/es-es/``, and ``m.imdb.com``), with the number in IMDb's own form (``tt00133093`` is
    ``tt0133093``). Raises :class:`InvalidMovieId` otherwise.
    """
    text = ref.strip()
    if _TT_ID.match(text):
        return _canonical(text[2:])
    if _BARE_DIGITS.match(text):
        return _canonical(text)
    if "://" in text or text.startswith(("www.imdb.com", "imdb.com", "m.imdb.com")):
        url = urlparse(text if "://" in text else f"https://{text}")
        match = _URL_PATH.match(url.path)
        if url.hostname in _IMDB_HOSTS and match:
            return _canonical(match.group(1)[2:])
        raise InvalidMovieId(ref, "not an IMDb title URL (expected https://www.imdb.com/title/tt…/)")
    raise InvalidMovieId(ref, "expected an IMDb id like tt0033467, 0033467 or a title URL")


def _canonical(digits: str) -> str:
    """``tt`` and the number in at least seven digits, as IMDb writes it: ``00133093`` is ``tt0133093``."""
    return f"tt{int(digits):07d}"


def is_id_like(ref: str) -> bool:
    """True when ``ref`` is written as an id or URL rather than as a title to search for.

    ``tt12``, ``tt0033467/../x``, ``0033467`` and ``https://example.com/x`` are id-like (all but
    ``0033467`` invalid); titles are not, even with digits or slashes: ``Citizen Kane``, ``1917``,
    ``Face/Off``.
    """
    text = ref.strip()
    return (
        bool(_ID_LIKE.match(text))
        or "://" in text
        or text.lower().startswith(("www.", "imdb.com", "m.imdb.com"))
    )
