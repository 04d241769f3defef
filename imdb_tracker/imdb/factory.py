"""The IMDb client's options from the application settings (one mapping for every caller)."""

from __future__ import annotations

from typing import Any

from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.ratelimit import RequestBudget
from imdb_tracker.settings import Settings


def browser_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of :class:`ImdbBrowser` (and fields of the ``ImdbClient`` resource)."""
    return {
        "base_url": settings.imdb_base_url,
        "suggestion_url": settings.imdb_suggestion_url,
        "requests_per_second": settings.imdb_requests_per_second,
        "storage_state": str(settings.imdb_storage_state) if settings.imdb_storage_state else None,
        "timeout_s": settings.imdb_timeout_s,
    }


def browser_from_settings(
    settings: Settings, *, budget: RequestBudget | None = None, **overrides: Any
) -> ImdbBrowser:
    """An IMDb client configured by ``settings`` on ``budget`` (see :class:`ImdbBrowser`); keyword
    ``overrides`` that are not None win."""
    options = browser_options(settings)
    options["budget"] = budget
    options.update({key: value for key, value in overrides.items() if value is not None})
    return ImdbBrowser(options.pop("base_url"), **options)
