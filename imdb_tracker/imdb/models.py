"""Plain data records produced by the IMDb client."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class MovieMetadata:
    """What the title page tells about a movie at one moment."""

    movie_id: str
    title: str
    original_title: str | None
    year: int | None
    runtime_minutes: int | None
    genres: list[str] = field(default_factory=list)
    plot: str | None = None
    poster_url: str | None = None
    rating: float | None = None
    votes: int | None = None
    review_count: int | None = None
    metascore: int | None = None
    popularity: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the field names used on the CLI."""
        return asdict(self)


def review_content_hash(title: str | None, text: str, rating: int | None, spoiler: bool) -> str:
    """Hash of what a reviewer wrote; changes when the review is edited, not when it gets votes."""
    payload = "\x1f".join([title or "", text, "" if rating is None else str(rating), str(bool(spoiler))])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Review:
    """One user review as IMDb shows it."""

    review_id: str
    movie_id: str
    author: str
    author_id: str | None
    rating: int | None
    title: str | None
    text: str
    submitted_at: date
    helpful_up: int
    helpful_down: int
    spoiler: bool

    @property
    def content_hash(self) -> str:
        """See :func:`review_content_hash`."""
        return review_content_hash(self.title, self.text, self.rating, self.spoiler)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``submitted_at`` as YYYY-MM-DD) with the field names used on the CLI."""
        data = asdict(self)
        data["submitted_at"] = self.submitted_at.isoformat()
        return data


@dataclass(frozen=True)
class TitleSuggestion:
    """One hit of IMDb's suggestion (search-as-you-type) endpoint."""

    movie_id: str
    title: str
    year: int | None
    kind: str | None
