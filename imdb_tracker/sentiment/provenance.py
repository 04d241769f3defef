"""Where scores come from, in words and plain values: what the database rows, the Dagster asset
metadata and the dashboards show next to the scores."""

from __future__ import annotations

from imdb_tracker.sentiment.models import SentimentBackend

DESCRIPTIONS = {
    "offline": "offline analyser: TF-IDF + logistic regression trained on IMDb reviews of many films "
    "(Maas et al., ACL 2011) for polarity, general film vocabulary for which aspect a sentence is "
    "about, a small model trained on hand labels for negative / mixed / positive per aspect; overall "
    "follows the reviewer's star rating where there is one",
    "openai": "LLM through an OpenAI-compatible API; reads title and text only",
}


def provenance(backend: SentimentBackend) -> dict[str, str]:
    """``backend``, ``model``, ``version`` (prompt or analyser version) and ``description``."""
    return {
        "backend": backend.name,
        "model": backend.model,
        "version": backend.prompt_version,
        "description": DESCRIPTIONS.get(backend.name, backend.name),
    }


def label(backend: SentimentBackend) -> str:
    """One line such as ``offline/tfidf-logreg-a92c5745c061 (offline-v2)``."""
    return f"{backend.name}/{backend.model} ({backend.prompt_version})"
