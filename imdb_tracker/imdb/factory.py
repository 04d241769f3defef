"""Build an :class:`ImdbBrowser` from the application settings (one place for every caller)."""

from __future__ import annotations

from typing import Any

from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.settings import Settings


def browser_from_settings(settings: Settings, **overrides: Any) -> ImdbBrowser:
    """An IMDb client configured by ``settings``; keyword ``overrides`` that are not None win.

    Overridable: ``base_url``, ``suggestion_url``, ``requests_per_second``, ``storage_state``, ``timeout_s``.
    """
    options: dict[str, Any] = {
        "base_url": settings.imdb_base_url,
        "suggestion_url": settings.imdb_suggestion_url,
        "requests_per_second": settings.imdb_requests_per_second,
        "storage_state": settings.imdb_storage_state,
        "timeout_s": settings.imdb_timeout_s,
    }
    options.update({key: value for key, value in overrides.items() if value is not None})
    return ImdbBrowser(options.pop("base_url"), **options)
