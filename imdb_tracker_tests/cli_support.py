"""Running the ``imdb-tracker`` command and other processes from tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imdb_tracker_tests.conftest import REPO

if TYPE_CHECKING:
    from dagster import DagsterInstance


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    drop_env: Iterable[str] = (),
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``imdb-tracker ARGS`` in a subprocess with this process's environment (so the session's
    home), minus ``drop_env``, plus ``env``."""
    dropped = set(drop_env)
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    return subprocess.run(
        [sys.executable, "-m", "imdb_tracker", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**environment, **(env or {})},
        timeout=timeout,
    )


def start_ui(port: int, **env: str) -> subprocess.Popen:
    """``imdb-tracker ui`` (webserver + daemon) on ``port`` in a process group of its own, with this
    process's environment plus ``env``; end it with :func:`imdb_tracker_dev.processes.stop_process_group`."""
    return subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker", "ui", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict[str, Any]:
    """The ``data`` of a GraphQL query to the Dagster webserver on ``port``."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def wait_for_graphql(port: int, timeout: float = 180) -> list[dict[str, Any]]:
    """Wait until the webserver on ``port`` serves the code location's assets; returns the asset nodes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            assets = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
            if assets:
                return assets
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"the Dagster webserver on port {port} did not come up within {timeout:g} s")


def partition_names(port: int, job: str = "movie_metadata_job") -> list[str]:
    """The partition keys the webserver on ``port`` lists for ``job`` (the ``movies`` partitions)."""
    data = graphql(
        port,
        '{ partitionSetOrError(repositorySelector: {repositoryName: "__repository__", '
        f'repositoryLocationName: "imdb_tracker"}}, partitionSetName: "{job}_partition_set") '
        "{ ... on PartitionSet { partitionsOrError { ... on Partitions { results { name } } } } } }",
    )
    return [p["name"] for p in data["partitionSetOrError"]["partitionsOrError"]["results"]]


@contextmanager
def only_these_sensors_running(instance: DagsterInstance, keep: set[str]) -> Iterator[None]:
    """Every schedule and sensor of the code location stopped except ``keep`` (so that adding
    partitions does not make `new_movies_sensor` scrape them first); reset to their defaults after."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    with WorkspaceProcessContext(instance, WorkspaceFileTarget([str(REPO / "workspace.yaml")])) as ctx:
        location = ctx.create_request_context().get_code_location("imdb_tracker")
        [repo] = location.get_repositories().values()
        sensors = [s for s in repo.get_sensors() if s.name not in keep]
        schedules = [s for s in repo.get_schedules() if s.name not in keep]
        for sensor in sensors:
            instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        for schedule in schedules:
            instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)
        try:
            yield
        finally:
            for sensor in sensors:
                instance.reset_sensor(sensor)
            for schedule in schedules:
                instance.reset_schedule(schedule)
