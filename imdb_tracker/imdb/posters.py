"""Posters: a dashboard-sized copy of a title's poster, kept in the database so the dashboards
show it whatever happens to the site that served it."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_POSTER_BYTES = 2 * 1024 * 1024
POSTER_WIDTH = 300
_IMDB_IMAGE = re.compile(r"^(https://m\.media-amazon\.com/images/M/[^/?#]+?\._V1_)[^/?#]*?(\.[a-z]+)$")


@dataclass(frozen=True)
class Poster:
    """A poster image as downloaded."""

    content_type: str
    image: bytes
    source_url: str


class PosterRejected(ValueError):
    """What the poster URL answered is not a usable image; the message is one line."""


def sized_poster_url(url: str, width: int = POSTER_WIDTH) -> str:
    """IMDb's image CDN renders a poster at any width when asked in the file name
    (``…@._V1_.jpg`` → ``…@._V1_UX300_.jpg``); other URLs are returned unchanged."""
    match = _IMDB_IMAGE.match(url)
    return f"{match.group(1)}UX{width}_{match.group(2)}" if match else url


def checked_poster(body: bytes, content_type: str, source_url: str) -> Poster:
    """``body`` as a :class:`Poster` if it is an image of at most 2 MiB, else :class:`PosterRejected`."""
    kind = content_type.split(";")[0].strip().lower()
    if not re.fullmatch(r"image/[a-z0-9.+-]+", kind):
        raise PosterRejected(f"{source_url} answered {kind or 'no content type'}, not an image")
    if not body or len(body) > MAX_POSTER_BYTES:
        raise PosterRejected(f"{source_url} answered {len(body)} bytes (an image of 1 B to 2 MiB expected)")
    return Poster(kind, body, source_url)
