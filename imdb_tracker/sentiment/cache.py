"""The rule deciding whether a stored score is still valid for a review.

A score is valid while the backend, its model and its prompt (or analyser) version are the same
and the **input the backend reads** is unchanged: title and text for the LLM, which never sees the
star rating or the spoiler flag, and title, text and star rating for the offline analyser, whose
``overall`` follows the rating. So a changed rating re-scores offline (free) but never triggers a
paid LLM call, and a changed spoiler flag re-scores nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from imdb_tracker.sentiment.models import ReviewInput, SentimentBackend

RATING_READERS = frozenset({"offline"})
"""Names of the backends whose scores depend on the reviewer's star rating."""

FIELD_SEPARATOR = "\x1f"


def reads_rating(backend_name: str) -> bool:
    """True when the backend called ``backend_name`` reads the star rating."""
    return backend_name in RATING_READERS


def input_hash(review: ReviewInput, with_rating: bool) -> str:
    """SHA-256 of what a backend reads: title and text, plus the rating when ``with_rating``.

    :func:`imdb_tracker.db.sentiments.input_hash_sql` computes the same value in PostgreSQL.
    """
    parts = [review.title or "", review.text]
    if with_rating:
        parts.append("" if review.rating is None else str(review.rating))
    return hashlib.sha256(FIELD_SEPARATOR.join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """What a stored score was computed from; ``content_hash`` is :func:`input_hash` of the review
    for that backend."""

    content_hash: str
    backend: str
    model: str
    prompt_version: str

    @classmethod
    def of(cls, review: ReviewInput, backend: SentimentBackend) -> Fingerprint:
        """The fingerprint ``backend`` would give a fresh score of ``review``."""
        digest = input_hash(review, reads_rating(backend.name))
        return cls(digest, backend.name, backend.model, backend.prompt_version)


def needs_scoring(stored: Fingerprint | None, review: ReviewInput, backend: SentimentBackend) -> bool:
    """True unless ``stored`` was computed from the same input by the same backend, model and prompt."""
    return stored != Fingerprint.of(review, backend)
