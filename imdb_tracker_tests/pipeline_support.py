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


def step_output_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The output metadata (plain values) of the one step output of a one-op run."""
    [output] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_OUTPUT]
    assert output.step_output_data is not None
    return {key: value.value for key, value in output.step_output_data.metadata.items()}


def batch_failures_sensor_requests(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dg.RunRequest]:
    """What ``batch_failures_sensor`` asks for after the batch run ``run`` succeeded."""
    from imdb_tracker.defs.movies.automation import batch_failures_sensor

    [finished] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name="batch_failures_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=finished.get_dagster_event(),
    )
    requests = batch_failures_sensor(context)
    assert isinstance(requests, list)
    return requests
