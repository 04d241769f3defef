"""All configuration in one place, read from the environment or a `.env` file.

One path for every process (the CLI, the Dagster code location and its runs, the demo, the tests):
:func:`get_settings` loads ``.env`` into the environment (never overriding what is already set)
and reads :class:`Settings` from it once. Dagster resources are built from these settings in one
function (``imdb_tracker.defs.resources.build_resources``), secrets as ``EnvVar`` names.

Secrets are :class:`pydantic.SecretStr`, so they never print by accident; ``imdb-tracker settings
show`` prints them masked.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from dotenv import load_dotenv
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from imdb_tracker.db.server import DatabaseConfig
from imdb_tracker.http_url import check_http_url
from imdb_tracker.imdb.urls import check_site_url

IMDB_DEFAULT_BASE_URL = "https://www.imdb.com"
DOTENV_FILE = ".env"
WHOLLY_SECRET_URLS = frozenset({"reception_webhook_url"})
"""URLs whose path is the secret (a Slack webhook's token), masked whole rather than the password."""


class Settings(BaseSettings):
    """Settings of every component; field ``foo_bar`` is read from env ``FOO_BAR``."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    # Local state: embedded database, Dagster home, backups.
    home: Path = Field(default=Path(".imdb_tracker"), validation_alias=AliasChoices("IMDB_TRACKER_HOME"))

    # Database: a full URL, or the original tool's DB_* variables; neither = embedded PostgreSQL.
    database_url: SecretStr | None = None
    db_name: str = "imdb_tracker"
    db_user: str | None = None
    db_password: SecretStr | None = None
    db_host: str | None = None
    db_port: int = 5432
    dagster_database_url: SecretStr | None = None

    # IMDb scraping.
    imdb_base_url: str = IMDB_DEFAULT_BASE_URL
    imdb_suggestion_url: str | None = None
    imdb_requests_per_second: float = Field(default=2.0, gt=0)
    """Requests per second to each IMDb host, for every process together (shared in the database)."""
    imdb_storage_state: Path | None = None
    imdb_timeout_s: float = Field(default=30.0, gt=0)
    """Seconds one request to IMDb may take (launching Chromium has a bound of its own)."""
    metadata_batch_size: int = Field(default=100, ge=1)
    """Most movies one hourly metadata run refreshes with its one browser (README "Scale")."""

    # Dagster's run history: finished runs older than this are deleted (see prune_run_history_hourly).
    run_history_keep_days: int = Field(default=7, ge=1)

    # Sentiment.
    sentiment_backend: Literal["auto", "offline", "openai"] = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    sentiment_batch_size: int = 20
    sentiment_concurrency: int = 4
    sentiment_max_attempts: int = Field(default=3, ge=1)
    """Scoring attempts per review before it is reported as failed and no longer retried."""
    openai_price_input_per_m: float = 0.15
    openai_price_cached_input_per_m: float = 0.075
    openai_price_output_per_m: float = 0.60

    # Reference material (training and evaluation data of the offline analyser), never copied.
    shared_dir: Path = Field(default=Path("../shared"), validation_alias=AliasChoices("IMDB_TRACKER_SHARED"))

    # Reception events (imdb_tracker.reception): detector thresholds, README "Reception events".
    reception_burst_baseline_days: int = Field(default=28, ge=1)
    """A day's review count is compared with the median of the previous this-many days."""
    reception_burst_floor_per_day: float = Field(default=0.5, gt=0)
    """Lowest expected reviews per day (a movie with no reviews yet expects this many)."""
    reception_burst_min_reviews: int = Field(default=10, ge=1)
    """A burst day has at least this many reviews (a 0→3 trickle is no burst)."""
    reception_burst_min_ratio: float = Field(default=3.0, ge=1)
    """… and at least this many times the expected count …"""
    reception_burst_max_p: float = Field(default=1e-6, gt=0, lt=1)
    """… and a Poisson probability of at most this of so many reviews at the expected rate."""
    reception_polarisation_window_days: int = Field(default=7, ge=1)
    reception_polarisation_min_reviews: int = Field(default=30, ge=1)
    """Rated reviews a window needs before its rating shares are judged."""
    reception_polarisation_min_jump: float = Field(default=0.3, gt=0, lt=1)
    """Rise of the 1★ (or 10★) share over the movie's earlier share, as a fraction (0.3 = 30 points)."""
    reception_polarisation_max_p: float = Field(default=1e-4, gt=0, lt=1)
    """Binomial probability of at least that many 1★ (10★) reviews at the earlier share."""
    reception_polarisation_reference_one_star: float = Field(default=0.10, gt=0, lt=1)
    reception_polarisation_reference_ten_star: float = Field(default=0.30, gt=0, lt=1)
    """Shares assumed before a movie has history, worth ``…_reference_weight`` rated reviews."""
    reception_polarisation_reference_weight: int = Field(default=20, ge=0)
    reception_drift_window_days: int = Field(default=30, ge=1)
    """An aspect's average over the last this-many days …"""
    reception_drift_span_days: int = Field(default=180, ge=1)
    """… against its average over the same number of days this long before."""
    reception_drift_min_reviews: int = Field(default=20, ge=2)
    reception_drift_min_change: float = Field(default=0.5, gt=0)
    """Change of the average on the −2..2 scale that counts as drift …"""
    reception_drift_min_t: float = Field(default=4.0, gt=0)
    """… when Welch's t of the two windows is at least this."""
    reception_rating_window_days: int = Field(default=7, ge=1)
    reception_rating_min_change: float = Field(default=0.3, gt=0)
    """IMDb rating change within the window …"""
    reception_rating_min_vote_growth: float = Field(default=0.10, gt=0)
    """… while the vote count grew by at least this fraction …"""
    reception_rating_min_votes: int = Field(default=100, ge=1)
    """… from at least this many votes."""
    reception_merge_gap_days: int = Field(default=2, ge=0)
    """Flagged days at most this many days apart form one event."""
    reception_strong_factor: float = Field(default=2.0, ge=1)
    """An event whose effect is this many times its detection threshold is strong (check ERROR)."""
    reception_quotes_per_side: int = Field(default=3, ge=1)
    """Positive and negative quotes kept per movie and aspect."""
    # Reception alerts: Slack-compatible webhook; unset = no posting.
    reception_webhook_url: SecretStr | None = None
    reception_webhook_max_attempts: int = Field(default=8, ge=1)
    reception_webhook_retry_base_s: float = Field(default=30.0, ge=0)
    """Wait before the 2nd attempt; doubles with each further attempt."""
    reception_webhook_timeout_s: float = Field(default=10.0, gt=0)
    reception_alert_max_age_days: int = Field(default=30, ge=0)
    """Events whose window ended longer ago than this are stored but not posted (old news)."""

    # Backups.
    backup_dir: Path | None = None
    backup_keep_hourly: int = 24
    backup_keep_daily: int = 7
    s3_bucket: str | None = None
    s3_prefix: str = "imdb-tracker"
    s3_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_region: str = "us-east-1"

    # Superset.
    superset_url: str = "http://127.0.0.1:8088"
    superset_admin_user: str = "admin"
    superset_admin_password: SecretStr | None = None
    superset_secret_key: SecretStr | None = None
    superset_readonly_password: SecretStr | None = None

    @field_validator("reception_webhook_url")
    @classmethod
    def _webhook_is_http(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:  # the message never shows the URL: it is a secret
            check_http_url(value.get_secret_value(), "the webhook URL", "https://hooks.slack.com/services/…")
        return value

    @field_validator("imdb_base_url", "imdb_suggestion_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        return None if value is None else check_site_url(value)

    @property
    def resolved_home(self) -> Path:
        """Absolute path of the local state folder."""
        return self.home.expanduser().resolve()

    @property
    def resolved_backup_dir(self) -> Path:
        """Where local database backups go (``$IMDB_TRACKER_HOME/backup`` unless set)."""
        return (self.backup_dir or self.resolved_home / "backup").expanduser().resolve()

    @property
    def uses_embedded_database(self) -> bool:
        """True when no external database is configured."""
        return self.database_config().embedded

    def database_config(self) -> DatabaseConfig:
        """Where the tracker and Dagster databases are (see :class:`DatabaseConfig`)."""
        return DatabaseConfig(
            home=str(self.resolved_home),
            database_url=_secret(self.database_url),
            host=self.db_host,
            port=self.db_port,
            name=self.db_name,
            user=self.db_user,
            password=_secret(self.db_password),
            dagster_database_url=_secret(self.dagster_database_url),
        )

    def masked(self) -> dict[str, Any]:
        """Every setting as printable values, secrets and URL passwords replaced by ``****``."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                url = name.endswith("_url") and name not in WHOLLY_SECRET_URLS
                value = mask_url_password(value.get_secret_value()) if url else "****"
            shown[name] = None if value is None else str(value) if isinstance(value, Path) else value
        return shown


def mask_url_password(url: str) -> str:
    """Hide the password of a URL such as ``postgresql://user:secret@host/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':****' if has_password else ''}@{host}"


def invalid_settings_message(exc: ValidationError) -> str:
    """One line naming each invalid setting by its variable and saying why (values not shown:
    they may be secrets)."""
    problems = [
        f"{'.'.join(str(part) for part in e['loc']).upper()}: {str(e['msg']).removeprefix('Value error, ')}"
        for e in exc.errors()
    ]
    return "invalid setting " + "; ".join(problems)


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once: ``.env`` of the working directory is loaded into the
    environment first (variables already set win), so settings and Dagster ``EnvVar`` secrets
    see the same values."""
    load_dotenv(DOTENV_FILE, override=False)
    return Settings()
