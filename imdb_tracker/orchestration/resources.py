"""Dagster resources: thin, configurable wrappers that hand the plain-Python core its clients.

Every field defaults to ``None`` = "take it from the settings" (environment / ``.env``), so the
same definitions run on the embedded database, in docker-compose and in tests, where fields are
set explicitly.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from pydantic import PrivateAttr, SecretStr
from sqlalchemy import Engine, create_engine

from imdb_tracker.db.server import DatabaseUrls, resolve_database_urls
from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.factory import browser_from_settings
from imdb_tracker.sentiment.factory import backend_from_settings
from imdb_tracker.sentiment.models import SentimentBackend
from imdb_tracker.settings import Settings, get_settings


class TrackerDatabase(ConfigurableResource):
    """The tracker's PostgreSQL database (embedded server unless a URL is configured)."""

    database_url: str | None = None

    _urls: DatabaseUrls | None = PrivateAttr(default=None)
    _engine: Engine | None = PrivateAttr(default=None)

    def _settings(self) -> Settings:
        settings = get_settings()
        if self.database_url:
            settings = settings.model_copy(update={"database_url": SecretStr(self.database_url)})
        return settings

    def urls(self) -> DatabaseUrls:
        """Connection URLs (and the embedded server's binaries when embedded)."""
        if self._urls is None:
            self._urls = resolve_database_urls(self._settings())
        return self._urls

    def engine(self) -> Engine:
        """A pooled engine, one per resource instance."""
        if self._engine is None:
            self._engine = create_engine(self.urls().tracker, pool_pre_ping=True)
        return self._engine

    def teardown_after_execution(self, context) -> None:
        if self._engine is not None:
            self._engine.dispose()


class ImdbClient(ConfigurableResource):
    """Opens a Chromium-driven IMDb client (one browser per run)."""

    base_url: str | None = None
    suggestion_url: str | None = None
    requests_per_second: float | None = None
    storage_state: str | None = None
    timeout_s: float | None = None

    @contextmanager
    def open(self) -> Iterator[ImdbBrowser]:
        """A started :class:`ImdbBrowser`, closed when the block ends."""
        browser = browser_from_settings(
            get_settings(),
            base_url=self.base_url,
            suggestion_url=self.suggestion_url,
            requests_per_second=self.requests_per_second,
            storage_state=self.storage_state,
            timeout_s=self.timeout_s,
        )
        with browser:
            yield browser


class SentimentAnalyser(ConfigurableResource):
    """The sentiment backend: OpenAI-compatible LLM when an API key is set, else the offline analyser."""

    backend: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    model: str | None = None
    batch_size: int | None = None
    concurrency: int | None = None

    def make(self) -> SentimentBackend:
        """A backend built from these fields, falling back to the settings."""
        overrides = {
            "sentiment_backend": self.backend,
            "openai_api_key": self.api_key,
            "openai_base_url": self.base_url,
            "openai_model": self.model,
            "sentiment_batch_size": self.batch_size,
            "sentiment_concurrency": self.concurrency,
        }
        settings = get_settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
        return backend_from_settings(settings)
