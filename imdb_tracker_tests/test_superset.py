"""Superset for real: installed by superset/run.sh, provisioned twice, dashboards opened in Chromium.

The first run installs Superset into superset/.venv (about a minute); later runs reuse it.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import Engine, text

from imdb_tracker.db.movies import link_client, unlink_client
from imdb_tracker.db.schema import metadata
from imdb_tracker.imdb.session import launch_chromium
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.access import client_role_name, rls_rule_name
from imdb_tracker.superset_client.api import SupersetApi, SupersetError
from imdb_tracker.superset_client.bundle import bundle_uuids
from imdb_tracker.superset_client.service import (
    add_client,
    admin_api,
    provision,
    remove_client,
    sync_client_access,
)
from imdb_tracker_tests.conftest import REPO
from imdb_tracker_tests.sample_data import load_sample

pytestmark = pytest.mark.superset

RUN_SH = REPO / "superset" / "run.sh"
ARTIFACTS = REPO / "test-artifacts"
NEW, OLD = "tt6208148", "tt0029583"
NEW_LABEL, OLD_LABEL = "Snow White (2025)", "Snow White and the Seven Dwarfs (1937)"
RECEPTION_CHARTS = sum(1 for key in bundle_uuids("charts") if key.startswith("reception_"))
PORTFOLIO_CHARTS = sum(1 for key in bundle_uuids("charts") if key.startswith("portfolio_"))


@dataclass(frozen=True)
class SupersetServer:
    """A running Superset and the settings that point the tracker at it."""

    url: str
    settings: Settings
    admin_password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """The tracker database holding exactly the two sample movies."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    load_sample(engine)
    return engine


@pytest.fixture(scope="module")
def superset_server(
    tmp_path_factory: pytest.TempPathFactory, sample_engine: Engine
) -> Iterator[SupersetServer]:
    """Superset installed and initialised by ``superset/run.sh``, served on a free loopback port."""
    home = tmp_path_factory.mktemp("superset")
    port = _free_port()
    admin_password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
        "SUPERSET_ADMIN_USER": "admin",
        "SUPERSET_ADMIN_PASSWORD": admin_password,
        "SUPERSET_BIND": f"127.0.0.1:{port}",
        "SUPERSET_WORKERS": "2",
    }
    subprocess.run([str(RUN_SH), "init"], env=env, check=True, timeout=900, capture_output=True)
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [str(RUN_SH), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        settings = Settings(
            superset_url=url,
            superset_admin_user="admin",
            superset_admin_password=admin_password,
            superset_readonly_password=secrets.token_urlsafe(12),
        )
        yield SupersetServer(url, settings, admin_password)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _superset_state(api: SupersetApi) -> dict:
    """Everything provisioning touches, in comparable form."""
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
    }


@pytest.fixture(scope="module")
def provisioned(superset_server: SupersetServer, sample_engine: Engine) -> SupersetServer:
    """Bundle imported, client ``acme`` watching the 2025 movie only."""
    with sample_engine.begin() as conn:
        link_client(conn, "acme", NEW)
    provision(superset_server.settings, sample_engine)
    add_client(superset_server.settings, sample_engine, "acme", "acme-password")
    return superset_server


def test_provisioning_twice_changes_nothing(provisioned: SupersetServer, sample_engine: Engine) -> None:
    api = admin_api(provisioned.settings)
    before = _superset_state(api)
    report = provision(provisioned.settings, sample_engine)
    after = _superset_state(api)
    assert set(report.dashboards) == {"Movie reception", "Portfolio"}
    assert len(before["charts"]) == report.charts == RECEPTION_CHARTS + PORTFOLIO_CHARTS
    assert len(before["datasets"]) == report.datasets
    assert ("client_acme_watchlist", f"movie_id IN ('{NEW}')") in before["rls"]
    assert after == before


def test_provisioning_restores_what_was_changed_in_the_ui(
    provisioned: SupersetServer, sample_engine: Engine
) -> None:
    api = admin_api(provisioned.settings)
    [chart] = api.list("chart", filters=[("slice_name", "eq", "Latest reviews")], columns=["id"])
    api.put(f"/api/v1/chart/{chart['id']}", {"slice_name": "Edited by hand"})
    [summary] = api.list("dataset", filters=[("table_name", "eq", "v_movie_summary")], columns=["id"])
    api.put(f"/api/v1/dataset/{summary['id']}", {"description": "edited"})
    provision(provisioned.settings, sample_engine)
    assert api.get(f"/api/v1/chart/{chart['id']}")["result"]["slice_name"] == "Latest reviews"
    assert api.get(f"/api/v1/dataset/{summary['id']}")["result"]["description"].startswith("One row per")


def _chart_data(api: SupersetApi, dataset_id: int) -> list[dict]:
    query = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [
            {"columns": ["movie_id"], "metrics": ["reviews_stored"], "orderby": [], "row_limit": 100}
        ],
        "result_format": "json",
        "result_type": "full",
    }
    return api.post("/api/v1/chart/data", query)["result"][0]["data"]


def test_client_sees_only_its_watchlist_through_the_chart_data_api(
    provisioned: SupersetServer, sample_engine: Engine
) -> None:
    admin = admin_api(provisioned.settings)
    [summary] = [
        d["id"]
        for d in admin.list("dataset", columns=["id", "table_name"])
        if d["table_name"] == "v_movie_summary"
    ]
    client = SupersetApi.login(provisioned.url, "acme", "acme-password")
    assert {r["movie_id"] for r in _chart_data(admin, summary)} == {NEW, OLD}
    assert _chart_data(client, summary) == [{"movie_id": NEW, "reviews_stored": 2027}]


def test_sync_follows_the_watchlist(provisioned: SupersetServer, sample_engine: Engine) -> None:
    admin = admin_api(provisioned.settings)
    [summary] = admin.list("dataset", filters=[("table_name", "eq", "v_movie_summary")], columns=["id"])
    client = SupersetApi.login(provisioned.url, "acme", "acme-password")
    with sample_engine.begin() as conn:
        link_client(conn, "acme", OLD)
    try:
        access = sync_client_access(provisioned.settings, sample_engine, "acme")
        assert access.clause == f"movie_id IN ('{OLD}', '{NEW}')"
        assert {r["movie_id"] for r in _chart_data(client, summary["id"])} == {OLD, NEW}
    finally:
        with sample_engine.begin() as conn:
            unlink_client(conn, "acme", OLD)
        sync_client_access(provisioned.settings, sample_engine, "acme")
    assert [r["movie_id"] for r in _chart_data(client, summary["id"])] == [NEW]


def test_client_without_movies_sees_nothing_and_removal_revokes_login(
    provisioned: SupersetServer, sample_engine: Engine
) -> None:
    settings = provisioned.settings
    access = add_client(settings, sample_engine, "empty-co", "empty-password")
    assert access.clause == "1 = 0"
    admin = admin_api(settings)
    [summary] = [
        d["id"]
        for d in admin.list("dataset", columns=["id", "table_name"])
        if d["table_name"] == "v_movie_summary"
    ]
    assert _chart_data(SupersetApi.login(provisioned.url, "empty-co", "empty-password"), summary) == []
    assert remove_client(settings, sample_engine, "empty-co")
    with pytest.raises(SupersetError, match="HTTP 401"):
        SupersetApi.login(provisioned.url, "empty-co", "empty-password")
    assert client_role_name("empty-co") not in {r["name"] for r in admin.list("security/roles")}
    assert rls_rule_name("empty-co") not in {r["name"] for r in admin.list("rowlevelsecurity")}


def _open_dashboard(page, url: str, slug: str, charts: int) -> dict:
    """Open a dashboard, wait until every chart has rendered; the chart-data answers seen."""
    answers: dict[str, int] = {}
    page.on(
        "response",
        lambda r: answers.__setitem__(r.url, r.status) if "/api/v1/chart/data" in r.url else None,
    )
    page.goto(f"{url}/superset/dashboard/{slug}/")
    page.wait_for_function(
        """n => document.querySelectorAll('[data-test="slice-container"]').length >= n
             && !document.querySelector('[data-test="loading-indicator"]')""",
        arg=charts,
        timeout=90_000,
    )
    page.wait_for_load_state("networkidle")
    return answers


def _login(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/login" not in u, timeout=30_000)


def _assert_no_chart_error(page, answers: dict) -> None:
    assert answers and all(status < 400 for status in answers.values()), answers
    errors = page.locator('[data-test="error-alert"], .ant-alert-error, [role="alert"]')
    assert errors.count() == 0, errors.all_inner_texts()


def test_dashboards_render_in_chromium(provisioned: SupersetServer) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 2600})
            _login(page, provisioned.url, "admin", provisioned.admin_password)
            answers = _open_dashboard(page, provisioned.url, "movie-reception", RECEPTION_CHARTS)
            page.screenshot(path=ARTIFACTS / "superset_movie_reception.png", full_page=True)
            _assert_no_chart_error(page, answers)
            body = page.inner_text("body")
            # The movie filter defaults to the first title: the 2025 remake and its 2,027 reviews.
            assert NEW_LABEL in body and "Snow White (2025)" in page.inner_text('[data-test="filter-bar"]')
            assert "2,027" in body and "Last scraped 5" in body
            assert OLD_LABEL not in page.inner_text('[data-test="grid-content"]')
            for aspect in ("Storytelling", "Acting", "Cinematography", "Music & sound", "Themes", "Overall"):
                assert aspect in body
            assert page.locator("canvas, svg").count() >= 9  # the echarts time series and histograms

            answers = _open_dashboard(page, provisioned.url, "portfolio", PORTFOLIO_CHARTS)
            page.screenshot(path=ARTIFACTS / "superset_portfolio.png", full_page=True)
            _assert_no_chart_error(page, answers)
            grid = page.inner_text('[data-test="grid-content"]')
            assert NEW_LABEL in grid and OLD_LABEL in grid

            client_page = browser.new_page(viewport={"width": 1600, "height": 2600})
            _login(client_page, provisioned.url, "acme", "acme-password")
            answers = _open_dashboard(client_page, provisioned.url, "portfolio", PORTFOLIO_CHARTS)
            client_page.screenshot(path=ARTIFACTS / "superset_portfolio_client.png", full_page=True)
            _assert_no_chart_error(client_page, answers)
            grid = client_page.inner_text('[data-test="grid-content"]')
            assert NEW_LABEL in grid and OLD_LABEL not in grid
        finally:
            browser.close()
    for name in ("superset_movie_reception.png", "superset_portfolio.png", "superset_portfolio_client.png"):
        assert (ARTIFACTS / name).stat().st_size > 50_000, name
