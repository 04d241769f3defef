"""The docker-compose deployment for real (``make test-deploy``): built, brought up, used as a user would.

Every image is built on this machine (nothing can be pulled): the pipeline image from the
``Dockerfile`` on a debootstrap base, and the CI stand-ins of ``deploy/ci/docker-compose.ci.yml``.
The stages run in order and each depends on the ones before (run with ``-x``); each prints how long
it took. The stack's network is internal: containers reach each other and nothing else, and the
checks reach the containers' addresses on that bridge from this machine.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from imdb_tracker.superset_client.api import SupersetApi
from imdb_tracker_tests.deploy.stack import (
    BASE_IMAGE,
    DOCKER_RUNS_OVERLAY,
    LONG_RUNNING,
    NETWORK,
    ONE_SHOTS,
    PROJECT,
    REPO,
    Stack,
    StageClock,
    docker_build,
    env_file_from_template,
    run,
    wait_for,
)

SHARED = Path(os.environ.get("IMDB_TRACKER_SHARED", REPO.parent / "shared")).resolve()
MOVIE = "tt0029583"  # Snow White and the Seven Dwarfs (1937), in the shared sample
OTHER_MOVIE = "tt6208148"
SCRAPE_TIMEOUT = 900  # a bound, not a figure: on 2 busy cores the chain took ~9 min once

pytestmark = pytest.mark.timeout(1800)


def sample_review_count(movie_id: str) -> int:
    with (SHARED / "sample" / "reviews_raw_2025-04-11.csv").open(newline="") as rows:
        return sum(1 for row in csv.DictReader(rows) if row["movie_id"] == movie_id)


@pytest.fixture(scope="module")
def clock() -> StageClock:
    return StageClock(os.environ.get("DEPLOY_STAGE_FILE"))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="module")
def stack(work: Path) -> Iterator[Stack]:
    """The compose project with a fresh .env, nothing left of an earlier run; everything it made is
    removed at the end (images stay, for the next run)."""
    env_file = work / ".env"
    values = env_file_from_template(env_file, SHARED)
    socket = Path(os.environ["DOCKER_HOST"].removeprefix("unix://"))
    with env_file.open("a") as env:  # for the DockerRunLauncher overlay
        env.write(f"DOCKER_SOCKET={socket}\nDOCKER_GID={socket.stat().st_gid}\n")
    stack = Stack(env_file, values, overlays=[DOCKER_RUNS_OVERLAY])
    remove_everything(stack)
    stack.overlays = []
    yield stack
    if os.environ.get("DEPLOY_KEEP_STACK"):  # to look at it: it stays until the next run
        return
    stack.overlays = [DOCKER_RUNS_OVERLAY]
    logs = stack.compose("logs", "--no-color", "--tail", "300", check=False, timeout=120).stdout
    (work / "compose.log").write_text(logs)
    remove_everything(stack)


def remove_everything(stack: Stack) -> None:
    """The project's containers, volumes and network, and the DockerRunLauncher's run containers."""
    stack.compose("down", "-v", "--remove-orphans", "-t", "20", check=False, timeout=300)
    leftovers = run("docker", "ps", "-aq", "--filter", "label=dagster/run_id").stdout.split()
    if leftovers:
        run("docker", "rm", "-f", *leftovers, check=False)


def test_images_build(clock: StageClock) -> None:
    base = {"BASE_IMAGE": BASE_IMAGE}
    with clock.stage("build pipeline image (Dockerfile)"):
        docker_build("imdb-tracker:local", REPO / "Dockerfile", REPO, **base)
    with clock.stage("build postgres stand-in"):
        docker_build(
            "imdb-tracker-ci/postgres:15",
            REPO / "deploy/ci/postgres/Dockerfile",
            REPO / "deploy/ci/postgres",
            **base,
        )
    with clock.stage("build S3 stand-in (s3rver)"):
        docker_build(
            "imdb-tracker-ci/s3:local", REPO / "deploy/ci/s3/Dockerfile", REPO / "deploy/ci/s3", **base
        )
    with clock.stage("build Superset stand-in base (lock file)"):
        docker_build(
            "imdb-tracker-ci/superset-base:local", REPO / "deploy/ci/superset/Dockerfile", REPO, **base
        )
    with clock.stage("build Superset image (superset/Dockerfile)"):
        docker_build(
            "imdb-tracker-superset:local",
            REPO / "superset/Dockerfile",
            REPO,
            SUPERSET_BASE="imdb-tracker-ci/superset-base:local",
        )


def test_a_missing_secret_stops_compose_naming_it(stack: Stack, work: Path, clock: StageClock) -> None:
    with clock.stage("bad .env refused"):
        bad = Stack(work / "bad.env", env_file_from_template(work / "bad.env", SHARED, drop="DB_PASSWORD"))
        result = bad.compose("up", "-d", "--no-build", check=False, timeout=120)
        assert result.returncode != 0
        assert "DB_PASSWORD" in result.stderr, result.stderr
        assert not run(
            "docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"
        ).stdout


def test_stack_comes_up_healthy(stack: Stack, clock: StageClock) -> None:
    with clock.stage("up -d (until every service is healthy)"):
        up = stack.compose("up", "-d", "--no-build", timeout=900, check=False)
        assert up.returncode == 0, (
            up.stderr[-3000:] + stack.compose("logs", "--tail", "60", check=False).stdout[-6000:]
        )
    for service in LONG_RUNNING:
        state = stack.container(service)["State"]
        assert state["Running"] and state.get("Health", {}).get("Status") == "healthy", (service, state)
    for service in ONE_SHOTS:
        state = stack.container(service)["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), (service, state)


def test_container_traffic_stays_on_the_stack_bridge(stack: Stack) -> None:
    [network] = json.loads(run("docker", "network", "inspect", NETWORK).stdout)
    assert network["Internal"] is True
    [subnet] = [config["Subnet"] for config in network["IPAM"]["Config"]]
    for service in LONG_RUNNING:
        container = stack.container(service)
        assert set(container["NetworkSettings"]["Networks"]) == {NETWORK}, service
        assert not any(container["NetworkSettings"]["Ports"].values()), (service, "publishes a port")
    # The engine drops whatever enters the bridge for, or leaves it from, an address outside its subnet.
    bridge = f"br-{network['Id'][:12]}"
    rules = run("iptables", "-S", "DOCKER-ISOLATION-STAGE-1").stdout.splitlines()
    assert f"-A DOCKER-ISOLATION-STAGE-1 ! -d {subnet} -i {bridge} -j DROP" in rules, rules
    assert f"-A DOCKER-ISOLATION-STAGE-1 ! -s {subnet} -o {bridge} -j DROP" in rules, rules


def test_movies_added_through_the_cli_are_scraped_scored_and_stored(stack: Stack, clock: StageClock) -> None:
    expected = {movie: sample_review_count(movie) for movie in (MOVIE, OTHER_MOVIE)}
    with clock.stage("movies add (2 movies) -> scraped and scored"):
        added = stack.exec("user-code", "imdb-tracker", "movies", "add", *expected)
        assert MOVIE in added.stdout and OTHER_MOVIE in added.stdout

        def stored() -> dict[str, tuple[int, int]] | None:
            rows = stack.sql(
                "SELECT r.movie_id, count(*), count(s.review_id) FROM reviews r "
                "LEFT JOIN review_sentiments s USING (review_id) GROUP BY r.movie_id"
            )
            counts = {movie: (int(reviews), int(scored)) for movie, reviews, scored in rows}
            done = counts == {movie: (count, count) for movie, count in expected.items()}
            return counts if done else None

        wait_for(f"every review of {expected} stored and scored", stored, SCRAPE_TIMEOUT, interval=5)
        wait_idle(stack)
    [(title, snapshots)] = stack.sql(
        f"SELECT m.title, count(s.*) FROM movies m JOIN movie_snapshots s USING (movie_id) "
        f"WHERE movie_id = '{MOVIE}' GROUP BY m.title"
    )
    assert title.startswith("Snow White") and int(snapshots) >= 1
    listed = stack.exec("user-code", "imdb-tracker", "movies", "list").stdout
    assert MOVIE in listed and OTHER_MOVIE in listed


GRAPHQL_MATERIALIZATIONS = """
query ($key: AssetKeyInput!, $partition: String!) {
  assetOrError(assetKey: $key) {
    ... on Asset { assetMaterializations(partitions: [$partition]) { partition runId } }
  }
}
"""


def graphql(stack: Stack, query: str, **variables) -> dict:
    answer = requests.post(
        f"http://{stack.ip('dagster-webserver')}:3000/graphql",
        json={"query": query, "variables": variables},
        timeout=60,
    )
    answer.raise_for_status()
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def test_the_dagster_webserver_shows_the_partition_materialized(stack: Stack) -> None:
    for asset in ("movie_metadata", "movie_reviews", "review_sentiments"):
        data = graphql(stack, GRAPHQL_MATERIALIZATIONS, key={"path": [asset]}, partition=MOVIE)
        events = data["assetOrError"]["assetMaterializations"]
        assert events and {e["partition"] for e in events} == {MOVIE}, (asset, data)


def test_the_backup_asset_lands_in_s3_and_restores_with_identical_counts(
    stack: Stack, clock: StageClock
) -> None:
    with clock.stage("backup asset -> S3 -> restore"):
        counted = stack.table_counts()
        before = stack.exec("user-code", "imdb-tracker", "backup", "list", "--from", "s3").stdout.splitlines()
        materialize = ["dagster", "asset", "materialize", "--select", "database_backup"]
        stack.exec("user-code", *materialize, "-m", "imdb_tracker.definitions")
        after = stack.exec("user-code", "imdb-tracker", "backup", "list", "--from", "s3").stdout.splitlines()
        # A new newest dump (retention keeps one per hour, so it may have replaced an older one).
        assert after and after[-1] not in before and after[-1].endswith(".dump"), (before, after)
        stack.sql(
            f'CREATE DATABASE restore_check OWNER "{stack.secrets["DB_USER"]}"', "postgres", user="postgres"
        )
        restored = stack.exec(
            "user-code", "sh", "-c",
            # The target's password comes from the environment, never a command line.
            'IMDB_TRACKER_RESTORE_URL="postgresql://$DB_USER:$DB_PASSWORD@postgres:5432/restore_check" '
            "imdb-tracker backup restore --from s3",
        )  # fmt: skip
        assert "restored" in restored.stdout
    assert counted["reviews"] == sample_review_count(MOVIE) + sample_review_count(OTHER_MOVIE)
    # Identical to the database at the dump (an hourly schedule may have written since: either count).
    assert stack.table_counts("restore_check") in (counted, stack.table_counts())


def test_superset_is_provisioned_by_the_non_superuser_owner_and_a_client_reads_chart_data(
    stack: Stack,
) -> None:
    [(superuser, createrole)] = stack.sql(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )
    assert (superuser, createrole) == ("f", "t")
    [(reader_super, reader_login)] = stack.sql(
        "SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'imdb_reader'"
    )
    assert (reader_super, reader_login) == ("f", "t")
    again = stack.compose("run", "--rm", "superset-provision", timeout=300)
    assert "dashboard Movie reception" in again.stdout, again.stdout

    password = "client-" + stack.secrets["SUPERSET_SECRET_KEY"][:12]
    stack.exec("user-code", "imdb-tracker", "clients", "add", "acme", stdin=f"{password}\n{password}\n")
    stack.exec("user-code", "imdb-tracker", "movies", "add", MOVIE, "--client", "acme")
    # `movies add --client` applied the client's Superset access already: nothing left to repair.
    synced = stack.exec("user-code", "imdb-tracker", "clients", "sync", "acme")
    assert "matches every watchlist" in synced.stderr, synced
    # The dashboards read aggregates refreshed every 15 minutes: refresh them now, as a user can.
    refresh = ["dagster", "asset", "materialize", "--select", "reporting_views"]
    stack.exec("user-code", *refresh, "-m", "imdb_tracker.definitions")
    url = f"http://{stack.ip('superset')}:8088"
    admin = SupersetApi.login(
        url, stack.secrets.get("SUPERSET_ADMIN_USER", "admin"), stack.secrets["SUPERSET_ADMIN_PASSWORD"]
    )
    [summary] = admin.list("dataset", filters=[("table_name", "eq", "v_movie_summary")], columns=["id"])
    client = SupersetApi.login(url, "acme", password)
    query = {
        "datasource": {"id": summary["id"], "type": "table"},
        "queries": [
            {"columns": ["movie_id"], "metrics": ["reviews_stored"], "orderby": [], "row_limit": 100}
        ],
        "result_format": "json",
        "result_type": "full",
    }
    rows = client.post("/api/v1/chart/data", query)["result"][0]["data"]
    assert rows == [{"movie_id": MOVIE, "reviews_stored": sample_review_count(MOVIE)}]


LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_STATUS = """
query ($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status startTime endTime tags { key value } } }
}
"""


IN_FLIGHT = """
query {
  runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) {
    ... on Runs { results { runId } }
  }
}
"""


def wait_idle(stack: Stack, timeout: float = 300) -> None:
    """Until no run is queued or in progress (the sensors' runs after a movie was added)."""
    wait_for(
        "no run in flight",
        lambda: not graphql(stack, IN_FLIGHT)["runsOrError"]["results"],
        timeout,
    )


def launch(stack: Stack, job: str, movie_id: str) -> str:
    params = {
        "selector": {
            "repositoryLocationName": "imdb_tracker",
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": movie_id}]},
    }
    launched = graphql(stack, LAUNCH_RUN, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def run_status(stack: Stack, run_id: str) -> dict:
    return graphql(stack, RUN_STATUS, runId=run_id)["runOrError"]


def finished(stack: Stack, run_id: str, timeout: float = 300) -> dict:
    return wait_for(
        f"run {run_id} finished",
        lambda: (s := run_status(stack, run_id))["status"] in ("SUCCESS", "FAILURE", "CANCELED") and s,
        timeout,
    )


def test_docker_run_launcher_runs_two_movies_at_once_in_containers_of_their_own(
    stack: Stack, clock: StageClock
) -> None:
    with clock.stage("DockerRunLauncher: two concurrent runs"):
        wait_idle(stack)  # re-creating user-code ends any run in it (a schedule's, say)
        stack.overlays = [DOCKER_RUNS_OVERLAY]
        up = stack.compose("up", "-d", "--no-build", timeout=900, check=False)
        assert up.returncode == 0, up.stderr[-3000:]
        wait_idle(stack)
        runs = [launch(stack, "movie_metadata_job", movie) for movie in (MOVIE, OTHER_MOVIE)]
        results = [finished(stack, run_id) for run_id in runs]
    assert [r["status"] for r in results] == ["SUCCESS", "SUCCESS"], results
    (start_a, end_a), (start_b, end_b) = [(r["startTime"], r["endTime"]) for r in results]
    assert start_a < end_b and start_b < end_a, f"the two runs did not overlap: {results}"
    containers = []
    for run_id in runs:
        found = run("docker", "ps", "-aq", "--filter", f"label=dagster/run_id={run_id}").stdout.split()
        assert len(found) == 1, (run_id, found)
        containers.extend(found)
    assert len(set(containers)) == 2
    [(snapshots,)] = stack.sql(f"SELECT count(*) FROM movie_snapshots WHERE movie_id = '{OTHER_MOVIE}'")
    assert int(snapshots) >= 1


def test_run_monitoring_fails_a_run_whose_container_died(stack: Stack, clock: StageClock) -> None:
    with clock.stage("run monitoring fails a killed run"):
        run_id = launch(stack, "movie_reviews_job", OTHER_MOVIE)
        wait_for("run STARTED", lambda: run_status(stack, run_id)["status"] == "STARTED", 120, interval=1)
        [container] = run("docker", "ps", "-q", "--filter", f"label=dagster/run_id={run_id}").stdout.split()
        run("docker", "kill", container)
        status = finished(stack, run_id, timeout=180)
    assert status["status"] == "FAILURE", status


def test_down_and_up_keep_every_row(stack: Stack, clock: StageClock) -> None:
    def state() -> dict:
        backups = stack.exec("user-code", "imdb-tracker", "backup", "list", "--from", "s3").stdout
        return {
            "tracker": stack.table_counts(),
            "dagster runs": int(stack.sql("SELECT count(*) FROM runs", "dagster")[0][0]),
            "partitions": sorted(
                row[0] for row in stack.sql("SELECT partition FROM dynamic_partitions", "dagster")
            ),
            "dashboards": sorted(
                row[0] for row in stack.sql("SELECT dashboard_title FROM dashboards", "superset")
            ),
            "s3 backups": sorted(line.split("\t")[-1] for line in backups.splitlines()),
        }

    before = state()
    assert before["tracker"]["reviews"] > 0 and before["s3 backups"] and before["dashboards"]
    with clock.stage("down + up (named volumes)"):
        # The runs' own containers (DockerRunLauncher keeps them, see README "Scaling out") are on the
        # stack's network, so `down` cannot remove it while they exist: stop the daemon, which launches
        # every run (schedules fire every 15 minutes), then remove them, as the README tells users to.
        stack.compose("stop", "-t", "20", "dagster-daemon", timeout=300)
        run_containers = run("docker", "ps", "-aq", "--filter", "label=imdb-tracker/role=run").stdout.split()
        if run_containers:
            run("docker", "rm", "-f", *run_containers)
        stack.compose("down", "-t", "20", timeout=300)
        assert not run("docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout
        up = stack.compose("up", "-d", "--no-build", timeout=900, check=False)
        assert up.returncode == 0, up.stderr[-3000:]
    after = state()
    # Nothing lost; the schedules and sensors may have added since (runs, snapshots, an hourly backup,
    # which replaces an older one of the same hour under the retention policy).
    assert after["partitions"] == before["partitions"] and after["dashboards"] == before["dashboards"]
    assert after["dagster runs"] >= before["dagster runs"]
    assert all(after["tracker"][table] >= count for table, count in before["tracker"].items()), after
    assert after["tracker"]["reviews"] == before["tracker"]["reviews"]
    assert len(after["s3 backups"]) >= len(before["s3 backups"])
    assert after["s3 backups"][-1] >= before["s3 backups"][-1]
