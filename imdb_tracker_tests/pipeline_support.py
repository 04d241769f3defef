"""Resources for tests, built through the code location's one configuration path, and what tests
read back from the Dagster instance."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import SecretStr

from imdb_tracker.defs.resources import build_resources
from imdb_tracker.settings import Settings, get_settings

SECRET_SETTINGS = {
    name for name, field in Settings.model_fields.items() if field.annotation == SecretStr | None
}


def pipeline_resources(**settings: Any) -> dict[str, dg.ConfigurableResource]:
    """:func:`build_resources` of the session's settings with ``settings`` (field names) replaced."""
    update = {
        name: SecretStr(value) if name in SECRET_SETTINGS else value for name, value in settings.items()
    }
    return build_resources(get_settings().model_copy(update=update))


def materialized_partitions(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: list[str], run_id: str
) -> list[str]:
    """Which of ``partitions`` of ``asset_key`` the run ``run_id`` materialized, sorted."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=partitions), limit=100
    ).records
    return sorted(r.partition_key or "" for r in records if r.run_id == run_id)
