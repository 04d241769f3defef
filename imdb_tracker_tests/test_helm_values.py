"""deploy/helm/values.yaml against the Dagster Helm chart's own values.schema.json (vendored, see
deploy/helm/chart-schema/README.md), and against what the compose deployment does."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

REPO = Path(__file__).resolve().parent.parent
VALUES = REPO / "deploy" / "helm" / "values.yaml"
SCHEMA = REPO / "deploy" / "helm" / "chart-schema" / "values.schema.json"
KUBERNETES_SCHEMAS = "https://kubernetesjsonschema.dev/"


def offline(node: Any) -> Any:
    """The schema minus the `required` lists of object definitions (the chart's defaults fill them
    when Helm merges; the conditionals' `required`, inside if/then, stay) and minus the references
    to Kubernetes object schemas on kubernetesjsonschema.dev (not reachable here): those fields are
    checked by the type written beside each reference."""
    if isinstance(node, dict):
        relaxed = {key: offline(value) for key, value in node.items()}
        if "properties" in node:
            relaxed.pop("required", None)
        if str(node.get("$ref", "")).startswith(KUBERNETES_SCHEMAS):
            relaxed.pop("$ref")
        return relaxed
    if isinstance(node, list):
        return [offline(value) for value in node]
    return node


def errors(values: dict) -> list[str]:
    validator = Draft7Validator(offline(json.loads(SCHEMA.read_text())))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def test_values_validate_against_the_charts_schema(values: dict) -> None:
    assert errors(values) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: v["runLauncher"]["config"]["k8sRunLauncher"].update(envSecret=[]), "envSecret"),
        (
            lambda v: v["runLauncher"]["config"].pop("k8sRunLauncher"),
            "'k8sRunLauncher' is a required property",
        ),
        (lambda v: v["runLauncher"].update(type="K8sLauncher"), "'K8sLauncher' is not one of"),
        (lambda v: v["postgresql"].update(enabled="no"), "'no' is not of type 'boolean'"),
    ],
)
def test_the_schema_check_catches_mistakes(values: dict, change, expected: str) -> None:
    broken = copy.deepcopy(values)
    change(broken)
    assert any(expected in error for error in errors(broken)), errors(broken)


def test_values_run_the_pipeline_image_on_external_services_with_the_run_queue_of_dagster_yaml(
    values: dict,
) -> None:
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "imdb_tracker.definitions"]
    assert deployment["envSecrets"] == [{"name": "imdb-tracker-env"}]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [{"name": "imdb-tracker-env"}]
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    assert values["global"]["postgresqlSecretName"] == "imdb-tracker-postgres"
    instance = yaml.safe_load((REPO / "dagster.yaml").read_text())
    queue = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queue["maxConcurrentRuns"] == instance["run_queue"]["max_concurrent_runs"]
    assert queue["tagConcurrencyLimits"] == instance["run_queue"]["tag_concurrency_limits"]
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["maxRuntimeSeconds"] == instance["run_monitoring"]["max_runtime_seconds"]
    retries = values["dagsterDaemon"]["runRetries"]
    assert retries == {
        "enabled": instance["run_retries"]["enabled"],
        "maxRetries": instance["run_retries"]["max_retries"],
        "retryOnAssetOrOpFailure": instance["run_retries"]["retry_on_asset_or_op_failure"],
    }
