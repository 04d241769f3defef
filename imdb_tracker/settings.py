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
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from imdb_tracker.db.server import DatabaseConfig

IMDB_DEFAULT_BASE_URL = "https://www.imdb.com"
DOTENV_FILE = ".env"


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
    imdb_requests_per_second: float = 2.0
    imdb_storage_state: Path | None = None
    imdb_timeout_s: float = 30.0

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
                value = mask_url_password(value.get_secret_value()) if name.endswith("_url") else "****"
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


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once: ``.env`` of the working directory is loaded into the
    environment first (variables already set win), so settings and Dagster ``EnvVar`` secrets
    see the same values."""
    load_dotenv(DOTENV_FILE, override=False)
    return Settings()
