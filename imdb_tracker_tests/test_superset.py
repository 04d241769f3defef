"""Superset for real, started once for the module: installed by superset/run.sh, provisioned by the
CLI, clients managed through the CLI, dashboards opened in Chromium as the admin and as a client.

The first run installs Superset into superset/.venv (about a minute); later runs reuse it.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import dagster as dg
import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine, select, text

from imdb_tracker.db.reporting import REPORTING_VIEWS
from imdb_tracker.db.schema import client_movies, clients, metadata
from imdb_tracker.defs.clients.assets import client_access
from imdb_tracker.defs.clients.automation import client_access_drift_sensor
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker.defs.reception.assets import aspect_quotes, reception_signals
from imdb_tracker.imdb.session import launch_chromium
from imdb_tracker.on_demand import refresh_dashboards
from imdb_tracker.reception.events import KIND_LABELS
from imdb_tracker.registry import MovieRegistry
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.access import (
    CLIENT_MARKER_ROLE,
    FOCUS_COLUMN,
    client_role_name,
    rls_rule_name,
)
from imdb_tracker.superset_client.api import SupersetApi, SupersetError, to_rison
from imdb_tracker.superset_client.bundle import bundle_uuids, default_bundle_dir
from imdb_tracker.superset_client.service import WatchlistSync, admin_api, provision
from imdb_tracker_dev.fake_openai import start_fake_openai
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_dev.replica import Replica
from imdb_tracker_tests.cli_support import free_port, run_cli
from imdb_tracker_tests.conftest import REPO
from imdb_tracker_tests.pipeline_support import pipeline_resources
from imdb_tracker_tests.sample_data import load_sample

pytestmark = pytest.mark.superset

TRACKER_DATABASE = "imdb_tracker"  # database_name in superset/bundle/databases/imdb_tracker.yaml
RUN_SH = REPO / "superset" / "run.sh"
ARTIFACTS = REPO / "test-artifacts"
NEW, OLD = "tt6208148", "tt0029583"
NEW_LABEL, OLD_LABEL = "Snow White (2025)", "Snow White and the Seven Dwarfs (1937)"
CLIENT, CLIENT_PASSWORD = "acme", "acme-password-1"
ASPECTS = ("storytelling", "acting", "cinematography", "music_sound", "themes", "overall")
ASPECT_TOPICS = {  # what the quotes chart says each aspect is about
    "storytelling": "storytelling",
    "acting": "acting",
    "cinematography": "cinematography & visual style",
    "music_sound": "music & sound",
    "themes": "themes & values",
    "overall": "film overall",
}
SQL_MOVIE_LABEL = "m.title || ' (' || m.year || ')'"
TIMELINE = "Reviews and average stars over time, detected events in red"
EVENT_RED = (0xD6, 0x27, 0x28)  # label_colors["reviews_in_event"] of the Movie reception dashboard
ASPECT_LABELS = {
    "storytelling": "Storytelling",
    "acting": "Acting",
    "cinematography": "Cinematography & visual style",
    "music_sound": "Music & sound",
    "themes": "Themes & values",
    "overall": "Overall",
}


@dataclass(frozen=True)
class SupersetServer:
    """A running Superset and the settings that point the tracker at it."""

    url: str
    settings: Settings
    env: dict[str, str]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Superset exited with {process.returncode}")
        try:
            if requests.get(f"{url}/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Superset did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def sample_engine(engine: Engine) -> Engine:
    """The tracker database holding exactly the two sample movies, both tracked, with their reception
    events and quotes computed by the pipeline's assets (as after `make demo`); the 1937 film's quotes
    also got LLM summaries (fake OpenAI server), so the dashboards show quotes with and without one."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    with dg.DagsterInstance.get() as instance:
        for movie_id in instance.get_dynamic_partitions(MOVIES_PARTITION):
            instance.delete_dynamic_partition(MOVIES_PARTITION, movie_id)
    load_sample(engine)
    tracked = run_cli("movies", "add", OLD, NEW)
    assert tracked.returncode == 0, tracked.stderr
    offline = pipeline_resources(sentiment_backend="offline")
    llm = start_fake_openai()
    try:
        with dg.DagsterInstance.get() as instance:
            for movie_id in (OLD, NEW):
                result = dg.materialize(
                    [reception_signals, aspect_quotes],
                    partition_key=movie_id,
                    instance=instance,
                    resources=offline,
                )
                assert result.success
            summarised = dg.materialize(
                [aspect_quotes],
                partition_key=OLD,
                instance=instance,
                resources=pipeline_resources(
                    sentiment_backend="openai", openai_api_key="sk-test", openai_base_url=llm.base_url
                ),
            )
            assert summarised.success and llm.summary_requests == 1
            assert refresh_dashboards(instance, offline).success
    finally:
        llm.stop()
    return engine


@pytest.fixture(scope="module")
def superset_server(
    tmp_path_factory: pytest.TempPathFactory, sample_engine: Engine
) -> Iterator[SupersetServer]:
    """Superset installed and initialised by ``superset/run.sh``, served on a free loopback port."""
    home = tmp_path_factory.mktemp("superset")
    port = free_port()
    settings_env = {
        "SUPERSET_URL": f"http://127.0.0.1:{port}",
        "SUPERSET_ADMIN_USER": "admin",
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(12),
        "SUPERSET_READONLY_PASSWORD": secrets.token_urlsafe(12),
    }
    env = {
        **os.environ,
        **settings_env,
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
        "SUPERSET_BIND": f"127.0.0.1:{port}",
        "SUPERSET_WORKERS": "2",
    }
    subprocess.run([str(RUN_SH), "init"], env=env, check=True, timeout=900, capture_output=True)
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [str(RUN_SH), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = settings_env["SUPERSET_URL"]
    try:
        _wait_healthy(url, server)
        settings = Settings(
            superset_url=url,
            superset_admin_user="admin",
            superset_admin_password=settings_env["SUPERSET_ADMIN_PASSWORD"],
            superset_readonly_password=settings_env["SUPERSET_READONLY_PASSWORD"],
        )
        yield SupersetServer(url, settings, settings_env)
    finally:
        stop_process_group(server)
        log.close()


@pytest.fixture(scope="module")
def provisioned(superset_server: SupersetServer) -> SupersetServer:
    """The bundle imported by ``imdb-tracker superset provision``."""
    result = run_cli("superset", "provision", env=superset_server.env)
    assert result.returncode == 0, result.stderr
    assert "dashboard Movie reception:" in result.stdout
    return superset_server


def readme_client_steps() -> list[str]:
    """The ``imdb-tracker`` lines of the README's client block, in order (what a user types)."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- client steps -->\s*```bash\n(.*?)```", readme, re.DOTALL)
    assert block, "README.md lost its client steps block"
    return [
        line.split("#")[0].strip() for line in block.group(1).splitlines() if line.startswith("imdb-tracker ")
    ]


def run_step(step: str, server: SupersetServer) -> subprocess.CompletedProcess[str]:
    """Run one README line; the password prompt of ``clients add`` is answered on stdin."""
    args = shlex.split(step)[1:]
    stdin = f"{CLIENT_PASSWORD}\n{CLIENT_PASSWORD}\n" if args[:2] == ["clients", "add"] else None
    return run_cli(*args, env=server.env, stdin=stdin)


@pytest.fixture(scope="module")
def acme(provisioned: SupersetServer) -> SupersetServer:
    """Client acme, created by running the README's client steps verbatim through the CLI."""
    steps = [s for s in readme_client_steps() if " remove " not in s]
    assert steps == ["imdb-tracker clients add acme", f"imdb-tracker movies add {NEW} --client acme"]
    for step in steps:
        result = run_step(step, provisioned)
        assert result.returncode == 0, (step, result.stderr)
    return provisioned


def _dataset_ids(api: SupersetApi) -> dict[str, int]:
    return {d["table_name"]: d["id"] for d in api.list("dataset", columns=["id", "table_name"])}


def _movies_per_dataset(api: SupersetApi) -> dict[str, set[str]]:
    """For every dataset of the bundle, the movie ids ``api``'s user can query through the chart-data API."""
    seen = {}
    for name, dataset_id in _dataset_ids(api).items():
        query = {
            "datasource": {"id": dataset_id, "type": "table"},
            "queries": [
                {
                    "columns": ["movie_id"],
                    "metrics": [{"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "rows"}],
                    "orderby": [],
                    "row_limit": 1000,
                }
            ],
            "result_format": "json",
            "result_type": "full",
        }
        rows = api.post("/api/v1/chart/data", query)["result"][0]["data"]
        seen[name] = {row["movie_id"] for row in rows}
    return seen


def _dataset_rows(api: SupersetApi, dataset: str, column: str, movie: str) -> list[dict]:
    """``movie_id`` and ``column`` of a dataset's rows for one movie label, through the chart-data API."""
    query = {
        "datasource": {"id": _dataset_ids(api)[dataset], "type": "table"},
        "queries": [
            {
                "columns": ["movie_id", column],
                "metrics": [],
                "filters": [{"col": "movie", "op": "==", "val": movie}],
                "orderby": [[column, True]],
                "row_limit": 1000,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    return api.post("/api/v1/chart/data", query)["result"][0]["data"]


def _superset_state(api: SupersetApi) -> dict:
    """Everything provisioning and client management touch, in comparable form."""
    dashboards = api.list("dashboard", columns=["id", "uuid"])
    export = api.session.get(
        f"{api.base_url}/api/v1/dashboard/export/",
        params={"q": "!(" + ",".join(str(d["id"]) for d in dashboards) + ")"},
        timeout=60,
    )
    export.raise_for_status()
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        files = {
            name.split("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if not name.endswith("metadata.yaml")
        }
    return {
        "export": files,
        "charts": sorted((c["id"], c["uuid"]) for c in api.list("chart", columns=["id", "uuid"])),
        "datasets": sorted((d["id"], d["uuid"]) for d in api.list("dataset", columns=["id", "uuid"])),
        "databases": sorted(d["id"] for d in api.list("database", columns=["id"])),
        "rls": sorted((r["name"], r["clause"]) for r in api.list("rowlevelsecurity")),
        "roles": sorted(r["name"] for r in api.list("security/roles")),
        "users": sorted(
            (u["username"], u["active"], tuple(sorted(r["name"] for r in u["roles"])))
            for u in api.list("security/users", columns=["username", "active", "roles.name"])
        ),
    }


def _watchlists(engine: Engine) -> list[tuple[str, str]]:
    query = select(clients.c.name, client_movies.c.movie_id).join(
        clients, clients.c.client_id == client_movies.c.client_id
    )
    with engine.connect() as conn:
        return sorted((row[0], row[1]) for row in conn.execute(query))


def _partitions() -> set[str]:
    with dg.DagsterInstance.get() as instance:
        return set(instance.get_dynamic_partitions(MOVIES_PARTITION))


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _movies_per_view(engine: Engine) -> dict[str, set[str]]:
    """For every reporting view, the movie ids it holds (SQL, no Superset)."""
    return {
        view: {movie_id for (movie_id,) in _rows(engine, f"SELECT DISTINCT movie_id FROM {view}")}
        for view in REPORTING_VIEWS
    }


def test_readme_client_steps_give_acme_exactly_its_movies(
    acme: SupersetServer, sample_engine: Engine
) -> None:
    admin = admin_api(acme.settings)
    client = SupersetApi.login(acme.url, CLIENT, CLIENT_PASSWORD)
    everything = _movies_per_dataset(admin)
    in_sql = _movies_per_view(sample_engine)
    assert everything == in_sql
    assert in_sql["v_reception_events"] == {NEW}  # the 1937 film has no event
    assert all(ids == {OLD, NEW} for view, ids in in_sql.items() if view != "v_reception_events")
    assert set(everything) == set(bundle_uuids("datasets"))
    assert all(ids == {NEW} for ids in _movies_per_dataset(client).values())

    # Taking the movie off acme's list (the README's next line) hides it at once, everywhere.
    [remove] = [s for s in readme_client_steps() if " remove " in s]
    assert remove == f"imdb-tracker movies remove {NEW} --client acme"
    removed = run_step(remove, acme)
    assert removed.returncode == 0, removed.stderr
    assert all(ids == set() for ids in _movies_per_dataset(client).values())
    assert NEW in _partitions()  # still tracked for everyone else

    again = run_cli("movies", "add", NEW, "--client", CLIENT, env=acme.env)
    assert again.returncode == 0, again.stderr
    assert all(ids == {NEW} for ids in _movies_per_dataset(client).values())


def test_provisioning_twice_changes_nothing(acme: SupersetServer, sample_engine: Engine) -> None:
    api = admin_api(acme.settings)
    before = _superset_state(api)
    report = provision(acme.settings, sample_engine, [OLD, NEW])
    after = _superset_state(api)
    assert set(report.dashboards) == {"Movie reception", "Portfolio"}
    assert len(before["charts"]) == report.charts == len(bundle_uuids("charts"))
    assert len(before["datasets"]) == report.datasets
    assert report.repaired == []
    assert (rls_rule_name(CLIENT), f"movie_id IN ('{NEW}')") in before["rls"]
    assert after == before


def test_provisioning_restores_what_was_changed_in_the_ui(
    acme: SupersetServer, sample_engine: Engine
) -> None:
    api = admin_api(acme.settings)
    [chart] = api.list("chart", filters=[("slice_name", "eq", "Latest reviews")], columns=["id"])
    api.put(f"/api/v1/chart/{chart['id']}", {"slice_name": "Edited by hand"})
    [summary] = api.list("dataset", filters=[("table_name", "eq", "v_movie_summary")], columns=["id"])
    api.put(f"/api/v1/dataset/{summary['id']}", {"description": "edited"})
    provision(acme.settings, sample_engine, [OLD, NEW])
    assert api.get(f"/api/v1/chart/{chart['id']}")["result"]["slice_name"] == "Latest reviews"
    assert api.get(f"/api/v1/dataset/{summary['id']}")["result"]["description"].startswith("One row per")


def test_names_outside_the_client_namespace_exit_2_and_change_nothing(
    acme: SupersetServer, sample_engine: Engine
) -> None:
    api = admin_api(acme.settings)
    gamma = api.list("security/roles", filters=[("name", "eq", "Gamma")])[0]["id"]
    api.post(
        "/api/v1/security/users/",
        {
            "username": "bob",
            "first_name": "Bob",
            "last_name": "Analyst",
            "email": "bob@example.invalid",
            "active": True,
            "password": "bob-password-1",
            "roles": [gamma],
        },
    )
    before = (_superset_state(api), _watchlists(sample_engine), _partitions())
    attempts = [
        (("clients", "add", "admin", "--password", "x"), "Superset admin user"),
        (("clients", "add", "Admin", "--password", "x"), "invalid client name"),
        (("clients", "add", "bob", "--password", "x"), "was not created by imdb-tracker"),
        (("clients", "remove", "bob"), "no client named 'bob'"),
        (("clients", "remove", "admin"), "no client named 'admin'"),
        (("movies", "add", OLD, "--client", "bad name"), "invalid client name 'bad name'"),
        (("movies", "add", OLD, "--client", "nobody"), "no client named 'nobody'"),
        (("movies", "remove", NEW, "--client", "bad name"), "invalid client name"),
        (("clients", "sync", "bad name"), "invalid client name"),
    ]
    for args, message in attempts:
        result = run_cli(*args, env=acme.env)
        assert result.returncode == 2, (args, result.stderr)
        assert message in _one_line_error(result), args
    assert (_superset_state(api), _watchlists(sample_engine), _partitions()) == before
    SupersetApi.login(acme.url, "admin", acme.env["SUPERSET_ADMIN_PASSWORD"])  # password untouched
    SupersetApi.login(acme.url, "bob", "bob-password-1")


def test_a_client_is_removed_with_its_user_role_and_rule(acme: SupersetServer) -> None:
    added = run_cli("clients", "add", "empty-co", "--password", "empty-password", env=acme.env)
    assert added.returncode == 0, added.stderr
    admin = admin_api(acme.settings)
    assert (
        _movies_per_dataset(SupersetApi.login(acme.url, "empty-co", "empty-password"))["v_movie_summary"]
        == set()
    )
    removed = run_cli("clients", "remove", "empty-co", env=acme.env)
    assert removed.returncode == 0, removed.stderr
    with pytest.raises(SupersetError, match="HTTP 401"):
        SupersetApi.login(acme.url, "empty-co", "empty-password")
    assert client_role_name("empty-co") not in {r["name"] for r in admin.list("security/roles")}
    assert rls_rule_name("empty-co") not in {r["name"] for r in admin.list("rowlevelsecurity")}


def test_a_failed_superset_update_leaves_both_sides_as_they_were(
    acme: SupersetServer, sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = admin_api(acme.settings)
    before = (_superset_state(api), _watchlists(sample_engine), _partitions())
    unreachable = {**acme.env, "SUPERSET_URL": f"http://127.0.0.1:{free_port()}"}
    for args in (("movies", "add", OLD, "--client", CLIENT), ("movies", "remove", NEW)):
        result = run_cli(*args, env=unreachable)
        assert result.returncode == 1, (args, result.stderr)
        assert "cannot reach Superset" in _one_line_error(result)
    assert (_superset_state(api), _watchlists(sample_engine), _partitions()) == before

    # Superset accepted the new rule, then a later step (the Dagster partition) fails: the rule is
    # put back and the database change rolled back.
    with dg.DagsterInstance.get() as instance:
        instance.delete_dynamic_partition(MOVIES_PARTITION, OLD)
        registry = MovieRegistry(instance, sample_engine, WatchlistSync(acme.settings))

        def refuse(*_: Any, **__: Any) -> None:
            raise RuntimeError("the Dagster instance refused the partition")

        monkeypatch.setattr(instance, "add_dynamic_partitions", refuse)
        try:
            with pytest.raises(RuntimeError, match="refused the partition"):
                registry.add([(OLD, None)], client=CLIENT)
        finally:
            monkeypatch.undo()
            instance.add_dynamic_partitions(MOVIES_PARTITION, [OLD])
    assert (_superset_state(api), _watchlists(sample_engine), _partitions()) == before


def test_drift_is_found_by_the_sensor_and_repaired_by_the_client_access_asset(
    acme: SupersetServer, sample_engine: Engine
) -> None:
    resources = pipeline_resources(
        superset_url=acme.url,
        superset_admin_user="admin",
        superset_admin_password=acme.env["SUPERSET_ADMIN_PASSWORD"],
    )
    client = SupersetApi.login(acme.url, CLIENT, CLIENT_PASSWORD)
    with dg.DagsterInstance.get() as instance:

        def tick(cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
            with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
                return client_access_drift_sensor(context)

        idle = tick()
        assert isinstance(idle, dg.SensorResult) and not idle.run_requests, idle

        # The movie is deleted as a partition in the Dagster UI: nothing told Superset.
        instance.delete_dynamic_partition(MOVIES_PARTITION, NEW)
        try:
            assert _movies_per_dataset(client)["v_movie_summary"] == {NEW}
            found = tick()
            assert isinstance(found, dg.SensorResult) and len(found.run_requests or []) == 1
            assert isinstance(tick(found.cursor), dg.SkipReason)  # one drift, one run
            result = dg.materialize([client_access], resources=resources, instance=instance)
            [materialization] = result.asset_materializations_for_node("client_access")
            repairs = materialization.metadata["repairs"].value
            assert materialization.metadata["repaired"] == dg.IntMetadataValue(2)
            assert (
                f"rule {rls_rule_name(CLIENT)}: clause \"movie_id IN ('{NEW}')\" should be '1 = 0'" in repairs
            )
            assert f"rule {rls_rule_name(CLIENT, FOCUS_COLUMN)}: clause" in repairs
            assert all(ids == set() for ids in _movies_per_dataset(client).values())
        finally:
            instance.add_dynamic_partitions(MOVIES_PARTITION, [NEW])

        # A rule edited by hand is found and put back as well.
        admin = admin_api(acme.settings)
        rule = admin.list("rowlevelsecurity", filters=[("name", "eq", rls_rule_name(CLIENT))])[0]
        admin.put(
            f"/api/v1/rowlevelsecurity/{rule['id']}",
            {
                "name": rule["name"],
                "filter_type": "Regular",
                "tables": [t["id"] for t in rule["tables"]],
                "roles": [r["id"] for r in rule["roles"]],
                "group_key": "",
                "clause": "1 = 1",
            },
        )
        found = tick()
        assert isinstance(found, dg.SensorResult) and found.run_requests
        result = dg.materialize([client_access], resources=resources, instance=instance)
        [materialization] = result.asset_materializations_for_node("client_access")
        assert "'1 = 1'" in materialization.metadata["repairs"].value
        assert all(ids == {NEW} for ids in _movies_per_dataset(client).values())
        assert isinstance(tick(), dg.SensorResult) and not tick().run_requests


def test_client_cannot_use_sql_lab(acme: SupersetServer) -> None:
    client = SupersetApi.login(acme.url, CLIENT, CLIENT_PASSWORD)
    [database] = admin_api(acme.settings).list("database", columns=["id"])
    with pytest.raises(SupersetError, match=r"HTTP 40[13]"):
        client.post(
            "/api/v1/sqllab/execute/",
            {"database_id": database["id"], "sql": "SELECT * FROM v_movie_summary", "runAsync": False},
        )
    page = client.session.get(f"{acme.url}/sqllab/", timeout=30, allow_redirects=False)
    assert page.status_code in (302, 401, 403), page.status_code
    users = admin_api(acme.settings).list("security/users", columns=["username", "roles.name"])
    [acme_user] = [u for u in users if u["username"] == CLIENT]
    assert {r["name"] for r in acme_user["roles"]} == {"Gamma", client_role_name(CLIENT), CLIENT_MARKER_ROLE}


def test_the_login_pages_last_event_log_leaves_the_session_cookie_alone(
    superset_server: SupersetServer,
) -> None:
    """As the login form is sent, Superset's front end posts its event log with the session of before
    the login. Unanswered by ``superset_config.py``, Superset redirects that post to the login page with
    a new session cookie ("Access is Denied" flashed into it), which can replace the login's cookie: a
    clean-clone CI run's client, and a local run's admin, were sent back to the login page that way."""
    browser = requests.Session()
    assert browser.get(f"{superset_server.url}/login/", timeout=60).ok and browser.cookies.get("session")
    answer = browser.post(
        f"{superset_server.url}/superset/log/?explode=events",
        data={"events": json.dumps([{"event_name": "spa_navigation", "path": "/login/"}])},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 204, (answer.status_code, answer.headers)
    assert "Set-Cookie" not in answer.headers, answer.headers


# ---------------------------------------------------------------- the dashboards in Chromium


@dataclass
class OpenedDashboard:
    """A dashboard after every chart rendered: its page and the chart-data answers by chart title."""

    page: Any
    answers: dict[str, list[dict]]
    filter_values: list[dict]


def _dashboard_charts(api: SupersetApi) -> dict[str, dict[int, str]]:
    """``{dashboard slug: {chart id: chart title}}`` of the bundle's dashboards."""
    import yaml

    ids = {
        c["uuid"]: (c["id"], c["slice_name"]) for c in api.list("chart", columns=["id", "uuid", "slice_name"])
    }
    result = {}
    for path in (default_bundle_dir() / "dashboards").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        uuids = [
            item["meta"]["uuid"]
            for item in doc["position"].values()
            if isinstance(item, dict) and item.get("type") == "CHART"
        ]
        result[doc["slug"]] = dict(ids[u] for u in uuids)
    return result


def _login(page: Any, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/login" not in u, timeout=120_000)  # a busy 2-core machine


def _open_dashboard(
    page: Any, url: str, slug: str, charts: dict[int, str], query: str = "", timeout: float = 120
) -> OpenedDashboard:
    """Open a dashboard and wait until every chart got its data and rendered; fail on any error."""
    page.goto("about:blank")  # nothing of the previous dashboard is still loading
    responses: list[Any] = []
    listener = lambda r: responses.append(r) if "/api/v1/chart/data" in r.url else None  # noqa: E731
    page.on("response", listener)
    page.goto(f"{url}/superset/dashboard/{slug}/{query}")
    answers: dict[str, list[dict]] = {}
    filter_values: list[dict] = []
    read = 0
    deadline = time.monotonic() + timeout
    while True:
        fresh, read = responses[read:], len(responses)
        for response in fresh:
            assert response.status < 400, (response.url, response.status, response.text()[:300])
            form = (response.request.post_data_json or {}).get("form_data", {})
            try:
                body = response.json()
            except PlaywrightError as exc:  # the page reloaded before the body was read: asked again
                assert "navigated away" in str(exc), exc
                continue
            for result in body["result"]:
                assert result.get("status") == "success" and not result.get("error"), result
            if "slice_id" in form:
                answers.setdefault(charts[form["slice_id"]], body["result"])
            else:
                filter_values.append(body["result"][0])
        rendering = page.evaluate(
            """() => document.querySelectorAll('[data-test="loading-indicator"]').length
                 + [...document.querySelectorAll('[data-test="chart-container"], .chart-container')]
                     .filter(e => e.innerText.includes('Waiting on')).length"""
        )
        if set(answers) == set(charts.values()) and not rendering:
            break
        if time.monotonic() > deadline:
            page.screenshot(path=ARTIFACTS / f"superset_{slug}_timeout.png", full_page=True)
            missing = set(charts.values()) - set(answers)
            raise AssertionError(f"{slug} at {page.url}: {len(responses)} answers, still loading {missing}")
        page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # echarts animations
    page.remove_listener("response", listener)
    holders = page.locator('[data-test="dashboard-component-chart-holder"]')
    assert holders.count() == len(charts)
    errors = page.locator('[data-test="error-alert"], .ant-alert-error, [role="alert"]')
    assert errors.count() == 0, errors.all_inner_texts()
    # No "row limit reached" warning: every answer holds fewer rows than its chart's limit.
    assert page.locator('[data-test="slice-header"] .anticon-warning').count() == 0
    return OpenedDashboard(page, answers, filter_values)


def _chart_text(dashboard: OpenedDashboard, title: str) -> str:
    holder = dashboard.page.locator('[data-test="dashboard-component-chart-holder"]', has_text=title).first
    return holder.inner_text()


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _movie_filter(label: str) -> str:
    state = {
        "NATIVE_FILTER-movie": {
            "id": "NATIVE_FILTER-movie",
            "extraFormData": {"filters": [{"col": "movie", "op": "IN", "val": [label]}]},
            "filterState": {"value": [label], "label": label},
            "ownState": {},
        }
    }
    return f"?native_filters={to_rison(state)}"


def _assert_reception_matches_sql(
    dashboard: OpenedDashboard, engine: Engine, movie_id: str, peers: list[str]
) -> None:
    """The numbers the Movie reception dashboard shows for ``movie_id`` equal SQL over the tables."""
    [(reviews, avg_stars, votes, grain_span)] = _rows(
        engine,
        """SELECT count(*), round(avg(rating), 2), (SELECT votes FROM movie_snapshots WHERE movie_id = :m
                  ORDER BY taken_at DESC LIMIT 1), max(submitted_at) - min(submitted_at)
           FROM reviews WHERE movie_id = :m AND removed_at IS NULL""",
        m=movie_id,
    )
    assert f"{reviews:,}" in _chart_text(dashboard, "Reviews stored")
    assert f"{avg_stars:.2f}" in _chart_text(dashboard, "Average star rating")
    header = _chart_text(dashboard, "Movie")
    assert f"from {votes:,} votes" in header and f"{reviews:,} reviews stored" in header
    assert f"one point per {'day' if grain_span <= 60 else 'year'}" in header
    [scored_by] = _rows(
        engine,
        "SELECT DISTINCT backend || '/' || model || ' (' || prompt_version || ')' FROM review_sentiments "
        "WHERE movie_id = :m",
        m=movie_id,
    )
    assert f"Sentiment scored by {scored_by[0]}" in header
    assert scored_by[0] in _chart_text(dashboard, "Who scored the sentiment")

    [bars, _] = dashboard.answers[TIMELINE]
    assert sum(row["reviews_outside_event"] + row["reviews_in_event"] for row in bars["data"]) == reviews
    [stars] = dashboard.answers["Star ratings (1–10)"]
    expected = dict(
        _rows(
            engine,
            "SELECT rating, count(*) FROM reviews WHERE movie_id = :m AND rating IS NOT NULL "
            "AND removed_at IS NULL GROUP BY rating",
            m=movie_id,
        )
    )
    assert {row["rating"]: row["reviews"] for row in stars["data"]} == expected

    averages = {
        aspect: float(
            _rows(
                engine,
                f"SELECT avg(s.{aspect}) FROM review_sentiments s JOIN reviews r USING (review_id) "
                "WHERE r.movie_id = :m AND r.removed_at IS NULL",
                m=movie_id,
            )[0][0]
        )
        for aspect in ASPECTS
    }
    [benchmark] = dashboard.answers["Aspects: this movie vs the portfolio average"]
    shown = {row["aspect"]: row for row in benchmark["data"]}
    assert set(shown) == set(ASPECT_LABELS.values())
    for aspect, label in ASPECT_LABELS.items():
        assert shown[label]["this_movie"] == pytest.approx(averages[aspect], abs=1e-9), aspect
        peer_averages = [
            float(avg)
            for (avg,) in _rows(
                engine,
                f"SELECT avg(s.{aspect}) FROM review_sentiments s JOIN reviews r USING (review_id) "
                "WHERE r.movie_id = ANY(:ids) AND r.removed_at IS NULL GROUP BY r.movie_id",
                ids=peers,
            )
        ]
        assert shown[label]["portfolio_average"] == pytest.approx(sum(peer_averages) / len(peer_averages))

    [mentions] = dashboard.answers["Share of reviews mentioning each aspect"]
    for row in mentions["data"]:
        key = next(k for k, v in ASPECT_LABELS.items() if v == row["aspect"])
        [(share,)] = _rows(
            engine,
            f"SELECT count(s.{key})::float / count(*) FROM review_sentiments s "
            "JOIN reviews r USING (review_id) WHERE r.movie_id = :m AND r.removed_at IS NULL",
            m=movie_id,
        )
        assert row["mention_share"] == pytest.approx(share)

    [helpful] = dashboard.answers["Most helpful reviews"]
    [(top_up, top_down)] = _rows(
        engine,
        "SELECT helpful_up, helpful_down FROM reviews WHERE movie_id = :m AND removed_at IS NULL "
        "ORDER BY helpful_up DESC, helpful_down LIMIT 1",
        m=movie_id,
    )
    assert helpful["data"][0]["found_helpful"] == f"{top_up:,} of {top_up + top_down:,}"
    assert f"{top_up:,} of" in _chart_text(dashboard, "Most helpful reviews")
    [latest] = dashboard.answers["Latest reviews"]
    assert len(latest["data"]) == min(20, reviews)


def _day(epoch_ms: int) -> date:
    """A DATE column as the chart-data API returns it (epoch milliseconds, UTC)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).date()


def _event_red_pixels(dashboard: OpenedDashboard, title: str) -> int:
    """Pixels of the event colour in the plot area of a chart's canvas (below its legend)."""
    holder = dashboard.page.locator('[data-test="dashboard-component-chart-holder"]', has_text=title).first
    return holder.evaluate(
        """(holder, red) => {
            let found = 0;
            for (const canvas of holder.querySelectorAll('canvas')) {
                const top = Math.floor(canvas.height * 0.2);
                const pixels = canvas.getContext('2d')
                    .getImageData(0, top, canvas.width, canvas.height - top).data;
                for (let i = 0; i < pixels.length; i += 4) {
                    if (pixels[i] === red[0] && pixels[i + 1] === red[1] && pixels[i + 2] === red[2]) found++;
                }
            }
            return found;
        }""",
        list(EVENT_RED),
    )


def _assert_reception_insights_match_sql(dashboard: OpenedDashboard, engine: Engine, movie_id: str) -> None:
    """The timeline marks exactly the reviews published inside a detected event's window, the movie's
    events table lists its events, and the quotes are the stored ones, with the review and summary."""
    [bars, stars] = dashboard.answers[TIMELINE]
    in_event = dict(
        _rows(
            engine,
            """SELECT r.submitted_at, count(*) FROM reviews r
               WHERE r.movie_id = :m AND r.removed_at IS NULL AND EXISTS (
                   SELECT 1 FROM reception_events e WHERE e.movie_id = r.movie_id
                   AND r.submitted_at BETWEEN e.window_start AND e.window_end)
               GROUP BY r.submitted_at""",
            m=movie_id,
        )
    )
    [(grain,)] = _rows(engine, "SELECT DISTINCT grain FROM mv_review_periods WHERE movie_id = :m", m=movie_id)
    marked = {
        _day(row["period_start"]): row["reviews_in_event"] for row in bars["data"] if row["reviews_in_event"]
    }
    if grain == "day":
        assert marked == in_event
    assert sum(marked.values()) == sum(in_event.values())
    expected_stars = dict(
        _rows(
            engine,
            "SELECT date_trunc(:g, submitted_at::timestamp)::date, avg(rating) FROM reviews "
            "WHERE movie_id = :m AND removed_at IS NULL AND rating IS NOT NULL GROUP BY 1",
            g=grain,
            m=movie_id,
        )
    )
    shown_stars = {_day(row["period_start"]): row["avg_star_rating"] for row in stars["data"]}
    assert shown_stars == pytest.approx({day: float(avg) for day, avg in expected_stars.items()})

    events = _rows(
        engine,
        "SELECT kind, window_start, window_end, strength, strong, summary FROM reception_events "
        "WHERE movie_id = :m ORDER BY window_start DESC, window_end DESC, strength DESC, event_id DESC",
        m=movie_id,
    )
    [listed] = dashboard.answers["Reception events of this movie"]
    assert [
        (
            row["kind_label"],
            _day(row["window_start"]),
            _day(row["window_end"]),
            row["strength"],
            row["summary"],
        )
        for row in listed["data"]
    ] == [(KIND_LABELS[e.kind], e.window_start, e.window_end, e.strength, e.summary) for e in events]
    if events:
        assert _event_red_pixels(dashboard, TIMELINE) > 1000
        assert KIND_LABELS[events[0].kind] in _chart_text(dashboard, "Reception events of this movie")
    else:
        assert _event_red_pixels(dashboard, TIMELINE) == 0
        assert "No results" in _chart_text(dashboard, "Reception events of this movie")

    quotes = _rows(
        engine,
        """SELECT q.aspect, q.polarity, q.rank, q.sentence, r.author, r.rating, r.submitted_at,
                  r.helpful_up, r.helpful_down, s.summary
           FROM aspect_quotes q JOIN reviews r USING (review_id)
           LEFT JOIN aspect_summaries s ON s.movie_id = q.movie_id AND s.aspect = q.aspect
           WHERE q.movie_id = :m
           ORDER BY array_position(:aspects, q.aspect::text), q.polarity DESC, q.rank""",
        m=movie_id,
        aspects=list(ASPECTS),
    )
    assert quotes
    [said] = dashboard.answers["What people say about each aspect"]
    assert [
        (row["aspect"], row["polarity"], row["rank"], row["sentence"], row["author"], row["rating"],
         _day(row["submitted_at"]), row["found_helpful"], row["aspect_summary"])
        for row in said["data"]
    ] == [
        (q.aspect, q.polarity, q.rank, q.sentence, q.author, q.rating, q.submitted_at,
         f"{q.helpful_up:,} of {q.helpful_up + q.helpful_down:,}", q.summary)
        for q in quotes
    ]  # fmt: skip
    text_shown = " ".join(_chart_text(dashboard, "What people say about each aspect").split())
    for aspect in {q.aspect for q in quotes}:
        assert f"What people say about the {ASPECT_TOPICS[aspect]}" in text_shown
    for q in quotes:
        assert f"“{' '.join(q.sentence.split())}”" in text_shown
        assert f"{q.helpful_up:,} of {q.helpful_up + q.helpful_down:,} found it helpful" in text_shown
    summaries = {" ".join(q.summary.split()) for q in quotes if q.summary}
    assert all(summary in text_shown for summary in summaries)
    assert ("Summary (language model)" in text_shown) == bool(summaries)


def _assert_portfolio_events_match_sql(
    dashboard: OpenedDashboard, engine: Engine, movie_ids: list[str]
) -> None:
    """The events table lists the visible movies' events newest window first, as stored; the big
    number counts the strong ones first detected in the last 30 days."""
    events = _rows(
        engine,
        f"""SELECT {SQL_MOVIE_LABEL} AS movie, e.kind, e.window_start, e.window_end, e.strength,
                   e.strong, e.summary
            FROM reception_events e JOIN movies m USING (movie_id)
            WHERE e.movie_id = ANY(:ids)
            ORDER BY e.window_start DESC, e.window_end DESC, e.strength DESC, e.event_id DESC""",
        ids=movie_ids,
    )
    assert events
    [listed] = dashboard.answers["Recent reception events"]
    assert [
        (row["movie"], row["kind_label"], _day(row["window_start"]), _day(row["window_end"]), row["strength"],
         row["severity"], row["summary"])
        for row in listed["data"]
    ] == [
        (e.movie, KIND_LABELS[e.kind], e.window_start, e.window_end, e.strength,
         "strong" if e.strong else "candidate", e.summary)
        for e in events
    ]  # fmt: skip
    table = _chart_text(dashboard, "Recent reception events")
    [bombing] = [e for e in events if e.kind == "review_bombing_candidate"]
    row_text = next(line for line in table.splitlines() if "review-bombing candidate" in line)
    assert f"{bombing.window_start}\t{bombing.window_end}\t{bombing.movie}" in row_text
    assert f"\t{bombing.strength:,.1f}\t" in row_text and "candidate" in row_text
    assert table.count("IMDb reviews") == len(events)
    [(strong_recent,)] = _rows(
        engine,
        "SELECT count(*) FROM reception_events WHERE movie_id = ANY(:ids) AND strong "
        "AND first_detected_at >= now() - interval '30 days'",
        ids=movie_ids,
    )
    [big_number] = dashboard.answers["Strong events, last 30 days"]
    assert big_number["data"] == [{"strong_events_30d": strong_recent}] and strong_recent > 0
    assert f"\n{strong_recent}\n" in _chart_text(dashboard, "Strong events, last 30 days")


def _shown_movies(answers: dict[str, list[dict]], extra: list[dict]) -> set[str]:
    """Every movie id or label in the data the browser received."""
    shown = set()
    for result in [r for results in answers.values() for r in results] + extra:
        for row in result["data"]:
            for key in ("movie_id", "movie", "compared_movie", "title"):
                if isinstance(row.get(key), str):
                    shown.add(row[key])
    return shown


def test_dashboards_in_chromium_as_admin_and_as_the_client(
    acme: SupersetServer, sample_engine: Engine
) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    charts = _dashboard_charts(admin_api(acme.settings))
    # Asked directly, past the dashboard's movie filter, the client gets no other movie's quotes or events.
    admin, client = admin_api(acme.settings), SupersetApi.login(acme.url, CLIENT, CLIENT_PASSWORD)
    for dataset, column in (("v_aspect_quotes", "sentence"), ("v_reception_events", "summary")):
        for label in (OLD_LABEL, NEW_LABEL):
            admin_rows = _dataset_rows(admin, dataset, column, label)
            assert _dataset_rows(client, dataset, column, label) == (admin_rows if label == NEW_LABEL else [])
            assert admin_rows or (dataset, label) == ("v_reception_events", OLD_LABEL)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 2600})
            _login(page, acme.url, "admin", acme.env["SUPERSET_ADMIN_PASSWORD"])
            reception = _open_dashboard(page, acme.url, "movie-reception", charts["movie-reception"])
            page.screenshot(path=ARTIFACTS / "superset_movie_reception_admin.png", full_page=True)
            assert NEW_LABEL in page.inner_text('[data-test="filter-bar"]')
            _assert_reception_matches_sql(reception, sample_engine, NEW, [OLD, NEW])
            _assert_reception_insights_match_sql(reception, sample_engine, NEW)

            classic = _open_dashboard(
                page, acme.url, "movie-reception", charts["movie-reception"], _movie_filter(OLD_LABEL)
            )
            page.screenshot(path=ARTIFACTS / "superset_movie_reception_1937_admin.png", full_page=True)
            _assert_reception_matches_sql(classic, sample_engine, OLD, [OLD, NEW])
            _assert_reception_insights_match_sql(classic, sample_engine, OLD)

            portfolio = _open_dashboard(page, acme.url, "portfolio", charts["portfolio"])
            page.screenshot(path=ARTIFACTS / "superset_portfolio_admin.png", full_page=True)
            grid = page.inner_text('[data-test="grid-content"]')
            assert NEW_LABEL in grid and OLD_LABEL in grid and "379,000" in grid and "208,000" in grid
            assert _shown_movies(portfolio.answers, []) >= {NEW_LABEL, OLD_LABEL}
            _assert_portfolio_events_match_sql(portfolio, sample_engine, [OLD, NEW])

            client_page = browser.new_page(viewport={"width": 1600, "height": 2600})
            _login(client_page, acme.url, CLIENT, CLIENT_PASSWORD)
            reception = _open_dashboard(client_page, acme.url, "movie-reception", charts["movie-reception"])
            client_page.screenshot(path=ARTIFACTS / "superset_movie_reception_client.png", full_page=True)
            _assert_reception_matches_sql(reception, sample_engine, NEW, [NEW])
            _assert_reception_insights_match_sql(reception, sample_engine, NEW)
            assert _shown_movies(reception.answers, reception.filter_values) <= {NEW, NEW_LABEL, "Snow White"}

            portfolio = _open_dashboard(client_page, acme.url, "portfolio", charts["portfolio"])
            client_page.screenshot(path=ARTIFACTS / "superset_portfolio_client.png", full_page=True)
            grid = client_page.inner_text('[data-test="grid-content"]')
            assert NEW_LABEL in grid and OLD_LABEL not in grid
            assert _shown_movies(portfolio.answers, []) <= {NEW, NEW_LABEL, "Snow White"}
            _assert_portfolio_events_match_sql(portfolio, sample_engine, [NEW])
        finally:
            browser.close()


def test_a_wheel_in_a_fresh_venv_tracks_a_movie_and_provisions_superset(
    superset_server: SupersetServer, imdb_replica: Replica, tmp_path: Path
) -> None:
    """The package as users install it: ``pip wheel .``, installed into a new virtual environment,
    run in a folder with no source tree, on its own embedded database. Everything it reads
    (dagster.yaml, migrations, the dashboards bundle, the offline model) must come from the wheel.

    Runs last in this module: provisioning points Superset's database at the wheel's home, and the
    ``finally`` points it back at the session database."""
    wheels, venv, workdir = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    workdir.mkdir()
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = wheels.glob("imdb_tracker-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    cli = str(venv / "bin" / "imdb-tracker")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DAGSTER_HOME", "DATABASE_URL", "DB_HOST", "VIRTUAL_ENV", "PYTHONPATH")
    }
    env |= {
        **superset_server.env,
        "IMDB_TRACKER_HOME": str(tmp_path / "home"),
        "IMDB_BASE_URL": imdb_replica.base_url,
        "IMDB_REQUESTS_PER_SECOND": "50",
        "SENTIMENT_BACKEND": "offline",
        "PATH": f"{venv / 'bin'}:{env['PATH']}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [cli, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-3000:])
        return result

    try:
        located = subprocess.check_output(
            [str(venv / "bin" / "python"), "-c", "import imdb_tracker; print(imdb_tracker.__file__)"],
            cwd=workdir,
            env=env,
            text=True,
        )
        assert located.startswith(str(venv)), located  # the wheel, not the source tree
        run("movies", "add", OLD)
        assert f"{OLD}: done" in run("run", OLD).stdout
        [listed] = [json.loads(line) for line in run("movies", "list", "--json").stdout.splitlines()]
        assert (listed["title"], listed["reviews_stored"]) == ("Snow White and the Seven Dwarfs", 429)
        provisioned = run("superset", "provision")
        assert "dashboard Movie reception:" in provisioned.stdout
        api = admin_api(superset_server.settings)
        [database] = api.list("database", filters=[("database_name", "eq", TRACKER_DATABASE)], columns=["id"])
        uri = api.get(f"/api/v1/database/{database['id']}/connection")["result"]["sqlalchemy_uri"]
        assert str(tmp_path / "home") in unquote(uri)  # the wheel's own database
    finally:
        subprocess.run([cli, "db", "stop"], cwd=workdir, env=env, capture_output=True, timeout=120)
        # 1.1 GB that a failed test's folders (tmp_path_retention_policy) would otherwise keep.
        shutil.rmtree(venv, ignore_errors=True)
        restored = run_cli("superset", "provision", env=superset_server.env)
        assert restored.returncode == 0, restored.stderr
