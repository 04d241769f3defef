"""The one Dagster ``Definitions`` of imdb-tracker (loaded by ``workspace.yaml``).

Resources read their configuration from environment variables (``EnvVar``) when set; otherwise
they fall back to the settings defaults (``.env``, the embedded PostgreSQL, the offline analyser).
"""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from imdb_tracker.orchestration.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.orchestration.automation import (
    daily_reviews_schedule,
    hourly_metadata_schedule,
    new_movies_sensor,
    new_reviews_sensor,
    scrape_metadata_job,
    scrape_reviews_job,
    sentiments_follow_reviews,
)
from imdb_tracker.orchestration.backup_assets import (
    backup_resources,
    database_backup,
    database_backup_job,
    hourly_database_backup_schedule,
    movie_backup,
)
from imdb_tracker.orchestration.reporting_assets import (
    refresh_reporting_job,
    reporting_refresh_schedule,
    reporting_views,
)
from imdb_tracker.orchestration.resources import ImdbClient, SentimentAnalyser, TrackerDatabase
from imdb_tracker.settings import get_settings


def env(name: str) -> EnvVar | None:
    """``EnvVar(name)`` when the variable is set (shown as such in the UI), else None = settings default."""
    return EnvVar(name) if os.environ.get(name) else None


defs = Definitions(
    assets=[movie_metadata, movie_reviews, review_sentiments, reporting_views, database_backup, movie_backup],
    jobs=[scrape_metadata_job, scrape_reviews_job, refresh_reporting_job, database_backup_job],
    schedules=[
        hourly_metadata_schedule,
        daily_reviews_schedule,
        reporting_refresh_schedule,
        hourly_database_backup_schedule,
    ],
    sensors=[new_movies_sensor, new_reviews_sensor, sentiments_follow_reviews],
    resources={
        "database": TrackerDatabase(database_url=env("DATABASE_URL")),
        "imdb": ImdbClient(base_url=env("IMDB_BASE_URL"), storage_state=env("IMDB_STORAGE_STATE")),
        "sentiment": SentimentAnalyser(
            backend=env("SENTIMENT_BACKEND"),
            api_key=env("OPENAI_API_KEY"),
            base_url=env("OPENAI_BASE_URL"),
            model=env("OPENAI_MODEL"),
        ),
        **backup_resources(get_settings()),
    },
)
