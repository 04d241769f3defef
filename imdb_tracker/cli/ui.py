"""``imdb-tracker ui``: the Dagster webserver and daemon on this home's instance."""

from __future__ import annotations

import os
import shutil
import sys
from importlib.resources import files
from pathlib import Path

import click

from imdb_tracker.cli.common import Runtime, pass_runtime

WORKSPACE_YAML = files("imdb_tracker").joinpath("workspace.yaml")
"""The code location (package data; ``workspace.yaml`` at the repository root links here)."""


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the webserver binds to.")
@click.option("--port", default=3000, show_default=True)
@pass_runtime
def ui_command(runtime: Runtime, host: str, port: int) -> None:
    """Start `dagster dev` (webserver + daemon) on the same instance the CLI uses."""
    _ = runtime.urls  # starts the database and sets DAGSTER_HOME for the child
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"  # this venv's
    args = [dagster, "dev", "-w", str(WORKSPACE_YAML), "-h", host, "-p", str(port)]
    click.echo(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", err=True)
    os.execvp(args[0], args)
