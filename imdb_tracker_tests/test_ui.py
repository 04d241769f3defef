"""`imdb-tracker ui` (what `make up` runs): the Dagster webserver on 127.0.0.1 serving our definitions
from the same instance as the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from imdb_tracker.orchestration.partitions import MOVIES_PARTITION
from imdb_tracker_tests.cli_support import stop_process_group


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def test_ui_serves_the_assets_and_the_cli_partitions(no_tracked_movies, database_urls) -> None:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(MOVIES_PARTITION, ["tt0033467"])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "imdb_tracker", "ui", "--port", str(port)],
        env={**os.environ, "IMDB_BASE_URL": "http://127.0.0.1:9"},  # nothing to scrape from here
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        assets = None
        while time.monotonic() < deadline:
            try:
                assets = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
                if assets:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert assets, "the webserver did not come up"
        names = {node["assetKey"]["path"][0] for node in assets}
        assert {"movie_metadata", "movie_reviews", "review_sentiments", "database_backup"} <= names
        partitions = graphql(
            port,
            '{ partitionSetOrError(repositorySelector: {repositoryName: "__repository__", '
            'repositoryLocationName: "imdb_tracker"}, partitionSetName: "scrape_metadata_partition_set") '
            "{ ... on PartitionSet { partitionsOrError { ... on Partitions { results { name } } } } } }",
        )
        names = [p["name"] for p in partitions["partitionSetOrError"]["partitionsOrError"]["results"]]
        assert names == ["tt0033467"]
    finally:
        stop_process_group(server)
        with DagsterInstance.get() as instance:
            instance.delete_dynamic_partition(MOVIES_PARTITION, "tt0033467")
