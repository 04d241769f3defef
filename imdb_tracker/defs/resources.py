"""Dagster resources: thin, typed wrappers that hand the plain-Python core its clients.

Every resource is built in one place, :func:`build_resources`, from the settings (environment and
``.env``), so the code location, the CLI, the demo and the tests configure runs the same way and
the Dagster UI's resource page shows the values in force. Secrets are passed as ``EnvVar`` names
when they come from the environment, so the UI shows only the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr, SecretStr
from sqlalchemy import Engine, create_engine

from imdb_tracker.backup.retention import RetentionPolicy
from imdb_tracker.db.migrate import upgrade
from imdb_tracker.db.request_budget import SharedRequestBudget
from imdb_tracker.db.server import CONNECT_ARGS, DatabaseConfig, DatabaseUrls, resolve_database_urls
from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.factory import browser_options
from imdb_tracker.reception.delivery import DeliveryPolicy
from imdb_tracker.reception.detectors import Thresholds
from imdb_tracker.reception.summaries import AspectSummariser
from imdb_tracker.sentiment.factory import make_backend
from imdb_tracker.sentiment.models import Prices, SentimentBackend
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.api import SupersetApi

Secret = str | dg.EnvVar | None
"""A secret field: the ``EnvVar`` it comes from, or (tests, demo) the value itself."""


def secret(env_name: str, value: SecretStr | None) -> Secret:
    """``EnvVar(env_name)`` when the environment holds exactly ``value``; the plain value otherwise
    (set programmatically, e.g. by a test); None when unset."""
    if value is None:
        return None
    plain = value.get_secret_value()
    return dg.EnvVar(env_name) if os.environ.get(env_name) == plain else plain


class TrackerDatabase(dg.ConfigurableResource):
    """The tracker's PostgreSQL database: ``database_url``, or host/port/name/user/password, or
    neither = the embedded server under ``home``. The schema is brought to head on first use."""

    home: str
    database_url: str | None = None
    host: str | None = None
    port: int
    name: str
    user: str | None = None
    password: str | None = None

    _urls: DatabaseUrls | None = PrivateAttr(default=None)
    _engine: Engine | None = PrivateAttr(default=None)

    def config(self) -> DatabaseConfig:
        """The database location as the core understands it."""
        return DatabaseConfig(
            home=self.home,
            database_url=self.database_url,
            host=self.host,
            port=self.port,
            name=self.name,
            user=self.user,
            password=self.password,
        )

    def urls(self) -> DatabaseUrls:
        """Connection URLs (and the embedded server's binaries when embedded); migrates once."""
        if self._urls is None:
            urls = resolve_database_urls(self.config())
            upgrade(urls.tracker)
            self._urls = urls
        return self._urls

    def engine(self) -> Engine:
        """A pooled engine, one per resource instance."""
        if self._engine is None:
            self._engine = create_engine(self.urls().tracker, pool_pre_ping=True, connect_args=CONNECT_ARGS)
        return self._engine

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()


class ImdbClient(dg.ConfigurableResource):
    """Opens a Chromium-driven IMDb client (one browser per run). ``requests_per_second`` is the
    budget per IMDb host of every process together (kept in the tracker database)."""

    base_url: str
    suggestion_url: str | None = None
    requests_per_second: float
    storage_state: str | None = None
    timeout_s: float

    @contextmanager
    def open(self, database: Engine) -> Iterator[ImdbBrowser]:
        """A started :class:`ImdbBrowser` on the request budget shared through ``database``,
        closed when the block ends."""
        with ImdbBrowser(
            self.base_url,
            suggestion_url=self.suggestion_url,
            storage_state=self.storage_state,
            timeout_s=self.timeout_s,
            budget=SharedRequestBudget(database, self.requests_per_second),
        ) as browser:
            yield browser


class SentimentAnalyser(dg.ConfigurableResource):
    """The sentiment backend: ``openai`` (any OpenAI-compatible API) or the ``offline`` analyser."""

    backend: str
    api_key: str | None = None
    base_url: str | None = None
    model: str
    batch_size: int
    concurrency: int
    max_attempts: int
    price_input_per_m: float
    price_cached_input_per_m: float
    price_output_per_m: float

    def make(self) -> SentimentBackend:
        """The backend these fields describe."""
        return make_backend(
            backend=self.backend,
            api_key=self.api_key,
            base_url=self.base_url,
            model=self.model,
            batch_size=self.batch_size,
            concurrency=self.concurrency,
            prices=self.prices(),
        )

    def prices(self) -> Prices:
        """US dollars per million tokens, as configured."""
        return Prices(self.price_input_per_m, self.price_cached_input_per_m, self.price_output_per_m)

    def summariser(self) -> AspectSummariser | None:
        """The per-aspect summary writer of the LLM backend; None for the offline analyser."""
        if self.backend != "openai" or not self.api_key:
            return None
        return AspectSummariser(
            api_key=self.api_key, base_url=self.base_url, model=self.model, prices=self.prices()
        )


class BackupStorage(dg.ConfigurableResource):
    """Where database backups go (a local folder, and S3 when a bucket is set) and how many are kept."""

    directory: str
    s3_bucket: str | None = None
    s3_prefix: str
    keep_hourly: int
    keep_daily: int

    def path(self) -> Path:
        """The local backup folder."""
        return Path(self.directory)

    def policy(self) -> RetentionPolicy:
        """The retention policy applied locally and in S3."""
        return RetentionPolicy(keep_hourly=self.keep_hourly, keep_daily=self.keep_daily)


class SupersetServer(dg.ConfigurableResource):
    """The Superset the dashboards run on, reached as its admin (clients' access is managed there)."""

    url: str
    admin_user: str
    admin_password: str | None = None

    @property
    def configured(self) -> bool:
        """False when no admin password is set: nothing can be done in Superset."""
        return bool(self.admin_password)

    def api(self) -> SupersetApi:
        """A logged-in admin session (``SupersetError`` when Superset refuses or is unreachable)."""
        if not self.admin_password:
            raise dg.Failure("SUPERSET_ADMIN_PASSWORD is not set: Superset cannot be reached as admin")
        return SupersetApi.login(self.url, self.admin_user, self.admin_password, timeout=30.0)


class DetectorThresholds(dg.Config):
    """The reception detectors' thresholds (settings ``RECEPTION_*``; README "Reception events")."""

    burst_baseline_days: int
    burst_floor_per_day: float
    burst_min_reviews: int
    burst_min_ratio: float
    burst_max_p: float
    polarisation_window_days: int
    polarisation_min_reviews: int
    polarisation_min_jump: float
    polarisation_max_p: float
    polarisation_reference_one_star: float
    polarisation_reference_ten_star: float
    polarisation_reference_weight: int
    drift_window_days: int
    drift_span_days: int
    drift_min_reviews: int
    drift_min_change: float
    drift_min_t: float
    rating_window_days: int
    rating_min_change: float
    rating_min_vote_growth: float
    rating_min_votes: int
    merge_gap_days: int
    strong_factor: float

    def core(self) -> Thresholds:
        """The thresholds as the detectors take them."""
        return Thresholds(**self.model_dump())


class ReceptionSettings(dg.ConfigurableResource):
    """Reception events: detector thresholds, quotes kept, and the alert webhook (none = no posting)."""

    thresholds: DetectorThresholds
    quotes_per_side: int
    webhook_url: str | None = None
    webhook_max_attempts: int
    webhook_retry_base_s: float
    webhook_timeout_s: float
    alert_max_age_days: int

    def delivery_policy(self) -> DeliveryPolicy:
        """How the webhook sensor retries and which events it still announces."""
        return DeliveryPolicy(
            max_attempts=self.webhook_max_attempts,
            retry_base_s=self.webhook_retry_base_s,
            timeout_s=self.webhook_timeout_s,
            max_age_days=self.alert_max_age_days,
        )


class RunRetention(dg.ConfigurableResource):
    """How long Dagster keeps finished runs, and how many one pruning run may delete."""

    keep_days: int
    runs_per_tick: int = 10_000


class RunBatching(dg.ConfigurableResource):
    """How scheduled work is grouped into runs: at most ``metadata_batch_size`` movies per hourly
    metadata run and per daily reviews run (whose batches are also cut by review pages), and at
    least ``parallel_runs`` runs when there are that many movies (the run queue runs five scrapes at
    once, so the budget is shared by five browsers)."""

    metadata_batch_size: int
    parallel_runs: int = 5


def effective_sentiment_backend(settings: Settings) -> str:
    """``auto`` resolved: ``openai`` when an API key is set, else ``offline``."""
    if settings.sentiment_backend != "auto":
        return settings.sentiment_backend
    return "openai" if settings.openai_api_key else "offline"


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource of the code location, configured from ``settings`` (the one configuration path)."""
    database = settings.database_config()
    return {
        "database": TrackerDatabase(
            home=database.home,
            database_url=secret("DATABASE_URL", settings.database_url),
            host=database.host,
            port=database.port,
            name=database.name,
            user=database.user,
            password=secret("DB_PASSWORD", settings.db_password),
        ),
        "imdb": ImdbClient(**browser_options(settings)),
        "sentiment": SentimentAnalyser(
            backend=effective_sentiment_backend(settings),
            api_key=secret("OPENAI_API_KEY", settings.openai_api_key),
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            batch_size=settings.sentiment_batch_size,
            concurrency=settings.sentiment_concurrency,
            max_attempts=settings.sentiment_max_attempts,
            price_input_per_m=settings.openai_price_input_per_m,
            price_cached_input_per_m=settings.openai_price_cached_input_per_m,
            price_output_per_m=settings.openai_price_output_per_m,
        ),
        "backup_storage": BackupStorage(
            directory=str(settings.resolved_backup_dir),
            s3_bucket=settings.s3_bucket,
            s3_prefix=settings.s3_prefix,
            keep_hourly=settings.backup_keep_hourly,
            keep_daily=settings.backup_keep_daily,
        ),
        "superset": SupersetServer(
            url=settings.superset_url,
            admin_user=settings.superset_admin_user,
            admin_password=secret("SUPERSET_ADMIN_PASSWORD", settings.superset_admin_password),
        ),
        "reception": ReceptionSettings(
            thresholds=DetectorThresholds(**vars(Thresholds.from_settings(settings))),
            quotes_per_side=settings.reception_quotes_per_side,
            webhook_url=secret("RECEPTION_WEBHOOK_URL", settings.reception_webhook_url),
            webhook_max_attempts=settings.reception_webhook_max_attempts,
            webhook_retry_base_s=settings.reception_webhook_retry_base_s,
            webhook_timeout_s=settings.reception_webhook_timeout_s,
            alert_max_age_days=settings.reception_alert_max_age_days,
        ),
        "run_retention": RunRetention(keep_days=settings.run_history_keep_days),
        "batching": RunBatching(metadata_batch_size=settings.metadata_batch_size),
        "s3": S3Resource(
            region_name=settings.aws_region,
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=secret("AWS_SECRET_ACCESS_KEY", settings.aws_secret_access_key),
        ),
    }
