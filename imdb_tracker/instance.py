"""The Dagster instance of imdb-tracker: its storage classes and the Dagster home of a tracker home.

``dagster.yaml`` (package data, also at the repository root) names the storage classes below
instead of a connection URL: each resolves the database from the settings itself (``.env``, the
``DB_*``/``DATABASE_URL`` variables, or the embedded server under ``IMDB_TRACKER_HOME``, started
when needed). So ``imdb-tracker``, ``dagster dev``, ``dagster asset materialize``, the daemon and
every run worker share one instance (runs, events, schedules, the ``movies`` partitions) with
nothing exported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Self

from dagster import AssetRecordsFilter, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from imdb_tracker.db.migrate import upgrade
from imdb_tracker.db.server import DatabaseUrls, resolve_database_urls
from imdb_tracker.settings import Settings, get_settings

DAGSTER_YAML = files("imdb_tracker").joinpath("dagster.yaml")
"""The instance configuration, package data (``dagster.yaml`` at the repository root links here)."""


@lru_cache(maxsize=1)
def dagster_storage_url() -> str:
    """URL of Dagster's own database for this process's settings (starts the embedded server if needed)."""
    return resolve_database_urls(get_settings().database_config()).dagster


class _TrackerDatabaseStorage:
    """Configured by nothing: the Dagster database URL comes from :func:`dagster_storage_url`."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any) -> Any:
        return cls(dagster_storage_url(), inst_data=inst_data)  # pyright: ignore[reportCallIssue]


class TrackerRunStorage(_TrackerDatabaseStorage, PostgresRunStorage):
    """Dagster's PostgreSQL run storage (runs, the ``movies`` partitions) on the tracker's server."""


class TrackerEventLogStorage(_TrackerDatabaseStorage, PostgresEventLogStorage):
    """Dagster's PostgreSQL event log (materializations, check results) on the tracker's server."""


class TrackerScheduleStorage(_TrackerDatabaseStorage, PostgresScheduleStorage):
    """Dagster's PostgreSQL schedule storage (ticks, sensor cursors) on the tracker's server."""


class TrackerComputeLogManager(LocalComputeLogManager):
    """Step logs under ``$IMDB_TRACKER_HOME/dagster/logs``, whichever ``DAGSTER_HOME`` a process uses."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any) -> Self:
        return cls(str(get_settings().resolved_home / "dagster" / "logs"), inst_data=inst_data)


def prepare_dagster_home(settings: Settings) -> Path:
    """Make ``$IMDB_TRACKER_HOME/dagster`` the ``DAGSTER_HOME`` with the package's ``dagster.yaml``.

    Sets ``DAGSTER_HOME`` and ``IMDB_TRACKER_HOME`` in this process's environment, so child
    processes (``dagster dev``, run workers) use the same instance and the same home.
    """
    dagster_home = settings.resolved_home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    wanted = DAGSTER_YAML.read_bytes()
    if not target.exists() or target.read_bytes() != wanted:
        target.write_bytes(wanted)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["IMDB_TRACKER_HOME"] = str(settings.resolved_home)
    return dagster_home


def prepare(settings: Settings, *, migrate: bool = True) -> DatabaseUrls:
    """Resolve (or start) the database, bring the schema to head and prepare the Dagster home."""
    urls = resolve_database_urls(settings.database_config())
    if migrate:
        upgrade(urls.tracker)
    prepare_dagster_home(settings)
    return urls


FINISHED_RUN_STATUSES = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


@dataclass(frozen=True)
class PrunedRuns:
    """What :func:`prune_run_history` did: runs deleted, and old runs kept for their materializations."""

    deleted: int
    kept: int


def runs_with_latest_materializations(instance: DagsterInstance) -> set[str]:
    """Ids of the runs that hold the latest materialization of some asset or asset partition."""
    keep: set[str] = set()
    for key in instance.get_asset_keys():
        latest = instance.get_latest_materialization_event(key)
        if latest is not None:
            keep.add(latest.run_id)
        by_partition = instance.event_log_storage.get_latest_storage_id_by_partition(
            key, DagsterEventType.ASSET_MATERIALIZATION
        )
        storage_ids = list(by_partition.values())
        for start in range(0, len(storage_ids), 500):
            chunk = storage_ids[start : start + 500]
            records = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, storage_ids=chunk), limit=len(chunk)
            ).records
            keep.update(record.run_id for record in records)
    return keep


def prune_run_history(instance: DagsterInstance, older_than: datetime, limit: int = 10_000) -> PrunedRuns:
    """Delete up to ``limit`` finished runs created before ``older_than``, oldest first, with their
    event logs; a run holding the latest materialization of an asset partition is kept (the asset's
    state would otherwise read "never materialized")."""
    keep = runs_with_latest_materializations(instance)
    old = instance.get_run_records(
        RunsFilter(statuses=FINISHED_RUN_STATUSES, created_before=older_than),
        limit=limit + len(keep),
        ascending=True,
    )
    deleted = kept = 0
    for record in old:
        run_id = record.dagster_run.run_id
        if run_id in keep:
            kept += 1
        elif deleted < limit:
            instance.delete_run(run_id)
            deleted += 1
    return PrunedRuns(deleted, kept)
