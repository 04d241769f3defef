"""The code location's graph as a reviewed snapshot, and the resources as the settings configure them.

An accidental change to an asset key, check, job, schedule, sensor or their tags fails
``test_definitions_match_the_snapshot``; an intended one is recorded with
``UPDATE_SNAPSHOT=1 pytest imdb_tracker_tests/test_definitions.py`` and shows in review as a diff of
``data/definitions_snapshot.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from imdb_tracker.defs.resources import build_resources
from imdb_tracker.settings import Settings

pytestmark = pytest.mark.fast

SNAPSHOT = Path(__file__).with_name("data") / "definitions_snapshot.json"


def describe(defs: dg.Definitions) -> dict[str, Any]:
    """What a reviewer should see change: the graph, its checks and its automation."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "partitions": type(node.partitions_def).__name__ if node.partitions_def else None,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": sorted(check.name for check in node.check_keys),
            "automation": type(node.automation_condition).__name__ if node.automation_condition else None,
        }
    return {
        "assets": assets,
        "jobs": {
            job.name: {"tags": dict(sorted(job.tags.items()))}
            for job in sorted(repo.get_all_jobs(), key=lambda j: j.name)
            if not job.name.startswith("__")
        },
        "schedules": {
            schedule.name: {
                "job": schedule.job_name,
                "cron": schedule.cron_schedule,
                "default_status": schedule.default_status.value,
            }
            for schedule in sorted(repo.schedule_defs, key=lambda s: s.name)
        },
        "sensors": {
            sensor.name: {
                "jobs": sorted(target.job_name for target in sensor.targets) if sensor.targets else [],
                "minimum_interval_seconds": sensor.minimum_interval_seconds,
                "default_status": sensor.default_status.value,
            }
            for sensor in sorted(repo.sensor_defs, key=lambda s: s.name)
        },
        "resources": sorted(repo.get_top_level_resources()),
    }


def test_definitions_match_the_snapshot() -> None:
    from imdb_tracker.definitions import defs

    current = describe(defs())
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_job_schedule_and_sensor_names_follow_one_pattern() -> None:
    """A job is ``<asset>_job``, ``<subject>_checks_job`` (asset checks only) or ``<op>_job`` (one op);
    a schedule ``<job without _job>_<cadence>``; a sensor ``<trigger>_sensor``."""
    from imdb_tracker.definitions import defs

    snapshot = json.loads(SNAPSHOT.read_text())
    assets = set(snapshot["assets"])
    repo = defs().get_repository_def()
    ops = {
        job.name.removesuffix("_job")
        for job in repo.get_all_jobs()
        if [node.name for node in job.graph.nodes] == [job.name.removesuffix("_job")]
    }
    for job in snapshot["jobs"]:
        stem = job.removesuffix("_job")
        assert job.endswith("_job") and (stem in assets or stem in ops or stem.endswith("_checks")), job
    for name, schedule in snapshot["schedules"].items():
        asset = schedule["job"].removesuffix("_job")
        assert name.startswith(f"{asset}_") and name != asset, name
    assert all(name.endswith("_sensor") for name in snapshot["sensors"])


def test_resources_carry_the_settings_in_force_and_secrets_as_env_var_names(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    settings = Settings(imdb_base_url="http://replica.invalid", openai_api_key="sk-from-the-environment")
    resources = build_resources(settings)
    imdb = resources["imdb"]
    assert (imdb.base_url, imdb.requests_per_second, imdb.timeout_s) == ("http://replica.invalid", 2.0, 30.0)
    sentiment = resources["sentiment"]
    assert (sentiment.backend, sentiment.model) == ("openai", "gpt-4o-mini")  # auto, resolved
    assert sentiment.api_key == dg.EnvVar("OPENAI_API_KEY")  # the UI shows the name, never the key
    database = resources["database"]
    assert database.home == str(settings.resolved_home) and database.database_url is None
    backups = resources["backup_storage"]
    assert backups.directory == str(settings.resolved_backup_dir) and backups.keep_hourly == 24
    monkeypatch.delenv("OPENAI_API_KEY")
    offline = build_resources(Settings())["sentiment"]
    assert offline.backend == "offline" and offline.api_key is None


def test_reception_resource_carries_every_threshold_and_the_webhook_as_an_env_var_name(monkeypatch) -> None:
    from imdb_tracker.reception.detectors import Thresholds

    monkeypatch.setenv("RECEPTION_WEBHOOK_URL", "https://hooks.example.invalid/services/T0/B0/token")
    monkeypatch.setenv("RECEPTION_BURST_MIN_REVIEWS", "25")
    reception = build_resources(Settings())["reception"]
    assert reception.webhook_url == dg.EnvVar("RECEPTION_WEBHOOK_URL")
    assert reception.thresholds.core() == Thresholds(
        **{**vars(Thresholds.defaults()), "burst_min_reviews": 25}
    )
    assert Settings().masked()["reception_webhook_url"] == "****"
