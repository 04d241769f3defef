"""Driving the docker-compose stack of the repository on the Docker engine of ``DOCKER_HOST``."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILES = (
    REPO / "docker-compose.yml",
    REPO / "deploy" / "ci" / "docker-compose.ci.yml",
)
DOCKER_RUNS_OVERLAY = REPO / "deploy" / "docker-run-launcher.yml"
PROJECT = "imdbtrackerci"
NETWORK = "imdb-tracker"
BASE_IMAGE = "imdb-tracker-ci/base:bookworm"
LONG_RUNNING = (
    "postgres",
    "minio",
    "imdb-replica",
    "user-code",
    "dagster-webserver",
    "dagster-daemon",
    "superset",
)
ONE_SHOTS = ("migrate", "minio-init", "superset-provision", "ready")

T = TypeVar("T")


def env_file_from_template(path: Path, shared: Path, *, drop: str | None = None) -> dict[str, str]:
    """``.env.template`` with every ``change-me`` replaced by a random secret, pointed at the replica.

    ``drop`` leaves that variable out (the bad-input check). Returns the values written.
    """
    values: dict[str, str] = {}
    for line in (REPO / ".env.template").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = secrets.token_hex(16) if value.strip() == "change-me" else value.strip()
    values.update(
        IMDB_BASE_URL="http://imdb-replica:8765",
        IMDB_REQUESTS_PER_SECOND="20",
        SENTIMENT_BACKEND="offline",
        IMDB_TRACKER_SHARED=str(shared),
    )
    if drop:
        values.pop(drop)
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return values


def run(*args: str, timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a program, output captured; a failure raises with the output in the message."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args[:6])} … exited {result.returncode}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 3.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {value!r})")
        time.sleep(interval)


@dataclass
class Stack:
    """One compose project: the env file, the compose files, and what a user types."""

    env_file: Path
    secrets: dict[str, str]
    overlays: list[Path] = field(default_factory=list)

    def compose(
        self, *args: str, stdin: str | None = None, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``docker-compose ARGS`` on this project, its env file and compose files."""
        files = [arg for path in (*COMPOSE_FILES, *self.overlays) for arg in ("-f", str(path))]
        argv = [
            "docker-compose",
            "-p",
            PROJECT,
            "--project-directory",
            str(REPO),
            "--env-file",
            str(self.env_file),
        ]
        return run(*argv, *files, *args, input=stdin, timeout=timeout, check=check, cwd=REPO)

    def exec(self, service: str, *command: str, stdin: str | None = None, check: bool = True):
        """``docker-compose exec -T SERVICE COMMAND`` (no terminal)."""
        return self.compose("exec", "-T", service, *command, stdin=stdin, check=check)

    def sql(self, query: str, database: str = "imdb_tracker", user: str | None = None) -> list[list[str]]:
        """Rows of ``query`` run by psql in the postgres container (as the tracker's owner by default)."""
        role = user or self.secrets["DB_USER"]
        psql = ["psql", "-v", "ON_ERROR_STOP=1", "-U", role, "-d", database, "-AtF", "\t", "-c", query]
        out = self.exec("postgres", *psql).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def container(self, service: str) -> dict:
        """``docker inspect`` of the service's (first) container."""
        ids = self.compose("ps", "-q", service).stdout.split()
        assert ids, f"no container for {service}"
        return json.loads(run("docker", "inspect", ids[0]).stdout)[0]

    def ip(self, service: str) -> str:
        """The service's address on the compose network (the host reaches it over the bridge)."""
        return self.container(service)["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]

    def table_counts(self, database: str = "imdb_tracker") -> dict[str, int]:
        """Rows of every table of the public schema."""
        tables = [
            row[0]
            for row in self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database)
        ]
        union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in sorted(tables))
        return {name: int(count) for name, count in self.sql(union, database)}


class StageClock:
    """How long each stage took, printed as it ends and appended to ``DEPLOY_STAGE_FILE``."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        if self.path:
            self.path.write_text("")

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - start
            line = f"{name:<44} {took:7.1f} s"
            print(f"\n== stage: {name}: {took:.1f} s", flush=True)
            if self.path:
                with self.path.open("a") as out:
                    out.write(line + "\n")


def docker_build(tag: str, dockerfile: Path, context: Path, **build_args: str) -> None:
    """``docker build --network host`` (the legacy builder; the network reaches the registries)."""
    args = [arg for name, value in build_args.items() for arg in ("--build-arg", f"{name}={value}")]
    run("docker", "build", "--network", "host", "-q", "-t", tag, "-f", str(dockerfile), *args, str(context),
        timeout=1800)  # fmt: skip


def environment_without(*names: str) -> dict[str, str]:
    """This process's environment without ``names``."""
    return {key: value for key, value in os.environ.items() if key not in names}
