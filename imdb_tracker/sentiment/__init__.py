"""Aspect-based sentiment of movie reviews: an OpenAI-compatible LLM backend and an offline analyser
(a trained polarity model, general film vocabulary and a small aspect model trained on hand labels).

Plain Python, no Dagster. Callers build a backend with :func:`make_backend` or
:func:`backend_from_settings`, decide what to (re)score with :func:`needs_scoring` and call
``backend.score(reviews)``.

The LLM backend (:class:`OpenAIBackend`, :class:`RetryPolicy`) is imported on first use: the
``openai`` package takes longer to import than the rest of this package, and most callers (the
offline analyser, every CLI command but the sentiment ones) never need it.
"""

from typing import TYPE_CHECKING, Any

from imdb_tracker.sentiment.cache import Fingerprint, needs_scoring
from imdb_tracker.sentiment.factory import BACKEND_CHOICES, backend_from_settings, make_backend
from imdb_tracker.sentiment.models import (
    ASPECTS,
    SCORE_FIELDS,
    AspectScores,
    Prices,
    ReviewInput,
    ScoringRun,
    SentimentBackend,
    SentimentResult,
    Usage,
)
from imdb_tracker.sentiment.offline import OfflineAnalyser
from imdb_tracker.sentiment.prompt import PROMPT_VERSION

if TYPE_CHECKING:
    from imdb_tracker.sentiment.openai_backend import OpenAIBackend, RetryPolicy

__all__ = [
    "ASPECTS",
    "BACKEND_CHOICES",
    "PROMPT_VERSION",
    "SCORE_FIELDS",
    "AspectScores",
    "Fingerprint",
    "OfflineAnalyser",
    "OpenAIBackend",
    "Prices",
    "RetryPolicy",
    "ReviewInput",
    "ScoringRun",
    "SentimentBackend",
    "SentimentResult",
    "Usage",
    "backend_from_settings",
    "make_backend",
    "needs_scoring",
]


def __getattr__(name: str) -> Any:
    """``OpenAIBackend`` and ``RetryPolicy``, imported when first asked for."""
    if name in ("OpenAIBackend", "RetryPolicy"):
        from imdb_tracker.sentiment import openai_backend

        return getattr(openai_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
