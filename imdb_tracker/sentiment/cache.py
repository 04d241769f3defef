"""The rule deciding whether a stored score is still valid for a review."""

from __future__ import annotations

from dataclasses import dataclass

from imdb_tracker.sentiment.models import ReviewInput, SentimentBackend


@dataclass(frozen=True)
class Fingerprint:
    """What a stored score was computed from."""

    content_hash: str
    backend: str
    model: str
    prompt_version: str

    @classmethod
    def of(cls, review: ReviewInput, backend: SentimentBackend) -> Fingerprint:
        """The fingerprint ``backend`` would give a fresh score of ``review``."""
        return cls(review.content_hash or "", backend.name, backend.model, backend.prompt_version)


def needs_scoring(stored: Fingerprint | None, review: ReviewInput, backend: SentimentBackend) -> bool:
    """True unless ``stored`` was computed from the same content by the same backend, model and prompt.

    Only successful scores should be stored with a fingerprint, so failed reviews are retried.
    """
    return stored != Fingerprint.of(review, backend)
