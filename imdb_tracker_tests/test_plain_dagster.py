"""Plain `dagster` commands in a checkout's root, with nothing exported, share the tracker's instance.

The test builds a fresh "repository root" (the repository's `pyproject.toml`, `workspace.yaml` and
`dagster.yaml`, linked) and runs every command there with `DAGSTER_HOME`, `IMDB_TRACKER_HOME` and
the database variables removed from the environment, as a new user would: `dagster` finds
`./dagster.yaml`, whose storage classes start and use the embedded PostgreSQL of `./.imdb_tracker`,
the same one `imdb-tracker` uses there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica.server import Replica
from imdb_tracker_tests.cli_support import (
    free_port,
    graphql,
    partition_names,
    wait_for_graphql,
)

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MOVIE = "tt0029583"
UNSET = ("DAGSTER_HOME", "IMDB_TRACKER_HOME", "DATABASE_URL", "DB_HOST", "DAGSTER_DATABASE_URL")


def run(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def test_plain_dagster_commands_use_the_tracker_instance(tmp_path: Path, imdb_replica: Replica) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("pyproject.toml", "workspace.yaml", "dagster.yaml"):
        (root / name).symlink_to(REPO / name)
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env["IMDB_BASE_URL"] = imdb_replica.base_url  # where to scrape from; nothing about the instance
    try:
        run(root, str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml", env=env)
        run(root, str(BIN / "imdb-tracker"), "movies", "add", MOVIE, env=env)
        run(
            root,
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "imdb_tracker.definitions",
            "--select",
            "movie_metadata",
            "--partition",
            MOVIE,
            env=env,
        )
        [listed] = [
            json.loads(line)
            for line in run(
                root, str(BIN / "imdb-tracker"), "movies", "list", "--json", env=env
            ).stdout.splitlines()
        ]
        assert (listed["movie_id"], listed["title"], listed["year"]) == (
            MOVIE,
            "Snow White and the Seven Dwarfs",
            1937,
        )
        assert listed["last_metadata_at"] is not None
        assert (root / ".imdb_tracker" / "pgdata").is_dir() and not list(
            root.glob(".tmp_dagster_home_*/*.db")
        )

        port = free_port()
        ui = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-p", str(port)],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_graphql(port)
            names = partition_names(port)
            assert names == [MOVIE]
            materialized = graphql(
                port,
                '{ assetNodeOrError(assetKey: {path: ["movie_metadata"]}) { ... on AssetNode { '
                "assetMaterializations(limit: 5) { partition runOrError { ... on Run { status } } } } } }",
            )["assetNodeOrError"]["assetMaterializations"]
            assert [(m["partition"], m["runOrError"]["status"]) for m in materialized] == [(MOVIE, "SUCCESS")]
        finally:
            stop_process_group(ui)
    finally:
        subprocess.run([str(BIN / "imdb-tracker"), "db", "stop"], cwd=root, env=env, capture_output=True)
