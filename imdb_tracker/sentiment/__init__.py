"""Aspect-based sentiment of movie reviews: an OpenAI-compatible LLM backend and an offline analyser
(a trained polarity model, general film vocabulary and a small aspect model trained on hand labels).

Plain Python, no Dagster. Callers build a backend with :func:`make_backend` or
:func:`backend_from_settings`, decide what to (re)score with :func:`needs_scoring` and call
``backend.score(reviews)``.
"""

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
from imdb_tracker.sentiment.openai_backend import OpenAIBackend, RetryPolicy
from imdb_tracker.sentiment.prompt import PROMPT_VERSION

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
