"""Run retention: the hourly pruning job deletes old runs but keeps every asset partition's latest
materialization; the instance purges schedule and sensor ticks (``retention`` in ``dagster.yaml``)."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

from imdb_tracker.definitions import defs
from imdb_tracker.defs.resources import RunRetention

letters = dg.StaticPartitionsDefinition(["a", "b"])


@dg.asset(partitions_def=letters)
def sample() -> None:
    """A partitioned asset to make run history with."""


@dg.asset
def broken() -> None:
    raise RuntimeError("fails on purpose")


def test_pruning_deletes_old_runs_and_keeps_each_partitions_latest_materialization() -> None:
    with dg.instance_for_test() as instance:
        runs = [
            dg.materialize([sample], partition_key=key, instance=instance).run_id
            for key in ("a", "a", "b", "a")
        ]
        failed = dg.materialize([broken], instance=instance, raise_on_error=False).run_id
        job = defs().resolve_job_def("prune_run_history_job")
        pruning = job.execute_in_process(
            instance=instance, resources={"run_retention": RunRetention(keep_days=0)}
        )
        assert pruning.success
        assert pruning.output_for_node("prune_run_history") == 3  # two older runs of "a", the failed one
        kept = {record.dagster_run.run_id for record in instance.get_run_records()}
        assert kept == {runs[2], runs[3], pruning.run_id}
        assert failed not in kept
        assert instance.get_materialized_partitions(sample.key) == {"a", "b"}

        again = job.execute_in_process(
            instance=instance, resources={"run_retention": RunRetention(keep_days=7)}
        )
        assert again.output_for_node("prune_run_history") == 0  # nothing is a week old


def test_the_instance_purges_schedule_and_sensor_ticks(database_urls) -> None:
    with dg.DagsterInstance.get() as instance:  # the package's dagster.yaml
        sensor = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        schedule = instance.get_tick_retention_settings(InstigatorType.SCHEDULE)
    assert (sensor[TickStatus.SKIPPED], sensor[TickStatus.SUCCESS], sensor[TickStatus.FAILURE]) == (1, 7, 30)
    assert schedule[TickStatus.SUCCESS] == 30
