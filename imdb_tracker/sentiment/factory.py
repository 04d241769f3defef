"""Choosing and building a sentiment backend from arguments or from the application settings."""

from __future__ import annotations

from typing import Any

from imdb_tracker.http_url import check_http_url
from imdb_tracker.sentiment.models import LIST_PRICES, Prices, SentimentBackend
from imdb_tracker.sentiment.offline import OfflineAnalyser

BACKEND_CHOICES = ("auto", "offline", "openai")


def make_backend(
    *,
    backend: str = "auto",
    api_key: str | None = None,
    base_url: str | None = None,
    model: str = "gpt-4o-mini",
    batch_size: int = 20,
    concurrency: int = 4,
    batch_api: bool = False,
    prices: Prices = LIST_PRICES,
) -> SentimentBackend:
    """The backend named by ``backend``; "auto" means "openai" when ``api_key`` is given, else "offline".

    Raises ValueError for an unknown backend name, "openai" without an API key, or a base URL that
    is not an http(s) URL (a permanent mistake: it is never retried).
    """
    if backend not in BACKEND_CHOICES:
        raise ValueError(f"unknown sentiment backend {backend!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if backend == "auto":
        backend = "openai" if api_key else "offline"
    if backend == "offline":
        return OfflineAnalyser()
    if not api_key:
        raise ValueError("the openai sentiment backend needs an API key (set OPENAI_API_KEY)")
    if base_url is not None:
        check_base_url(base_url)
    from imdb_tracker.sentiment.openai_backend import OpenAIBackend  # imported when needed (slow)

    return OpenAIBackend(
        api_key=api_key,
        base_url=base_url,
        model=model,
        batch_size=batch_size,
        concurrency=concurrency,
        batch_api=batch_api,
        prices=prices,
    )


def check_base_url(url: str) -> None:
    """Raise ValueError unless ``url`` is an absolute http(s) URL with a valid host."""
    check_http_url(url, f"base URL {url!r}", "https://api.openai.com/v1")


def backend_from_settings(settings: Any, *, batch_api: bool = False) -> SentimentBackend:
    """:func:`make_backend` fed from an ``imdb_tracker.settings`` object (attributes read with
    getattr, so missing ones fall back to the defaults)."""
    key = getattr(settings, "openai_api_key", None)
    if key is not None and hasattr(key, "get_secret_value"):
        key = key.get_secret_value()
    default = LIST_PRICES
    prices = Prices(
        input_per_m=getattr(settings, "openai_price_input_per_m", None) or default.input_per_m,
        cached_input_per_m=getattr(settings, "openai_price_cached_input_per_m", None)
        or default.cached_input_per_m,
        output_per_m=getattr(settings, "openai_price_output_per_m", None) or default.output_per_m,
    )
    return make_backend(
        backend=getattr(settings, "sentiment_backend", None) or "auto",
        api_key=key or None,
        base_url=getattr(settings, "openai_base_url", None) or None,
        model=getattr(settings, "openai_model", None) or "gpt-4o-mini",
        batch_size=getattr(settings, "sentiment_batch_size", None) or 20,
        concurrency=getattr(settings, "sentiment_concurrency", None) or 4,
        batch_api=batch_api,
        prices=prices,
    )
