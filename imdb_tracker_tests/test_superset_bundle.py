"""The dashboards-as-code bundle is consistent, zips for import, and the CLI refuses missing secrets."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import make_url

from imdb_tracker.cli.clients import clients_group
from imdb_tracker.cli.common import Runtime
from imdb_tracker.cli.superset import superset_group
from imdb_tracker.db.reporting import READONLY_ROLE, REPORTING_VIEWS
from imdb_tracker.db.server import DatabaseUrls
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.access import watchlist_clause
from imdb_tracker.superset_client.bundle import (
    DATABASE_FILE,
    PASSWORD_MASK,
    ZIP_ROOT,
    BundleError,
    build_bundle_zip,
    bundle_files,
    default_bundle_dir,
)
from imdb_tracker.superset_client.service import reader_sqlalchemy_uri

SOCKET_URL = "postgresql+psycopg2://postgres:@/imdb_tracker?host=%2Ftmp%2Fhome%2Fpgdata"


def _load(kind: str) -> dict[str, dict]:
    return {
        name: yaml.safe_load(path.read_text())
        for name, path in bundle_files().items()
        if name.startswith(f"{kind}/")
    }


@pytest.mark.fast
def test_zip_has_one_top_folder_and_the_reader_uri() -> None:
    uri = reader_sqlalchemy_uri(SOCKET_URL)
    with zipfile.ZipFile(io.BytesIO(build_bundle_zip(uri))) as archive:
        names = archive.namelist()
        database = yaml.safe_load(archive.read(f"{ZIP_ROOT}/{DATABASE_FILE}"))
    assert {name.split("/")[0] for name in names} == {ZIP_ROOT}
    assert f"{ZIP_ROOT}/metadata.yaml" in names
    assert len(names) == len(bundle_files())
    url = make_url(database["sqlalchemy_uri"])
    assert (url.username, url.password, url.database) == (READONLY_ROLE, PASSWORD_MASK, "imdb_tracker")
    assert url.query["host"] == "/tmp/home/pgdata"


@pytest.mark.fast
def test_reader_uri_keeps_host_and_drops_the_pipeline_credentials() -> None:
    uri = reader_sqlalchemy_uri("postgresql://tracker:s3cret@db.internal:5433/imdb")
    assert uri == f"postgresql+psycopg2://{READONLY_ROLE}:{PASSWORD_MASK}@db.internal:5433/imdb"


@pytest.mark.fast
def test_git_holds_no_connection_secret() -> None:
    text = (default_bundle_dir() / DATABASE_FILE).read_text()
    assert "sqlalchemy_uri: ${READER_SQLALCHEMY_URI}" in text
    assert "password" not in text.lower()


@pytest.mark.fast
def test_missing_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no Superset bundle"):
        build_bundle_zip("postgresql://x", tmp_path)


@pytest.mark.fast
def test_every_dataset_is_a_reporting_view_with_movie_columns() -> None:
    datasets = _load("datasets")
    [database] = _load("databases").values()
    assert {d["table_name"] for d in datasets.values()} == set(REPORTING_VIEWS)
    for dataset in datasets.values():
        columns = {c["column_name"] for c in dataset["columns"]}
        assert {"movie_id", "movie"} <= columns, dataset["table_name"]  # RLS clause and movie filter
        assert dataset["database_uuid"] == database["uuid"]


def _chart_columns(params: dict) -> set[str]:
    """Every dataset column a chart's params name (x-axis, groups, raw columns, filters, sorting)."""
    named: set[str] = set(params.get("all_columns", []))
    for key in ("x_axis", "groupby", "groupby_b"):
        value = params.get(key) or []
        named |= {value} if isinstance(value, str) else set(value)
    for key in ("adhoc_filters", "adhoc_filters_b"):
        named |= {f["subject"] for f in params.get(key, [])}
    return named


@pytest.mark.fast
def test_every_chart_sits_on_a_dashboard_and_uses_known_metrics_and_columns() -> None:
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    charts = {c["uuid"]: c for c in _load("charts").values()}
    placed: list[str] = []
    for dashboard in _load("dashboards").values():
        for item in dashboard["position"].values():
            if isinstance(item, dict) and item.get("type") == "CHART":
                placed.append(item["meta"]["uuid"])
        for native in dashboard["metadata"]["native_filter_configuration"]:
            for target in native["targets"]:
                if "datasetUuid" in target:
                    columns = {c["column_name"] for c in datasets[target["datasetUuid"]]["columns"]}
                    assert target["column"]["name"] in columns
    assert sorted(placed) == sorted(charts)
    for chart in charts.values():
        dataset = datasets[chart["dataset_uuid"]]
        known = {m["metric_name"] for m in dataset["metrics"]}
        params = chart["params"]
        used = set(params.get("metrics", [])) | set(params.get("metrics_b", []))
        used |= {params["metric"]} if "metric" in params else set()
        assert used <= known, (chart["slice_name"], used - known)
        columns = {c["column_name"] for c in dataset["columns"]}
        assert _chart_columns(params) <= columns, (chart["slice_name"], _chart_columns(params) - columns)
        sort = params.get("x_axis_sort")
        assert sort is None or sort in known | columns, chart["slice_name"]
        for field in re.findall(
            r"{{(?:#if |formatNumber |dateFormat )?(\w+)", params.get("handlebarsTemplate", "")
        ):
            assert field in set(params["all_columns"]) | {"each", "data"}, (chart["slice_name"], field)


@pytest.mark.fast
def test_the_date_filter_reaches_exactly_the_charts_that_count_reviews_by_date() -> None:
    charts = {c["uuid"]: c for c in _load("charts").values()}
    dashboard = _load("dashboards")["dashboards/movie_reception.yaml"]
    placed = {
        item["meta"]["chartId"]: charts[item["meta"]["uuid"]]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    }
    [dates] = [
        f for f in dashboard["metadata"]["native_filter_configuration"] if f["filterType"] == "filter_time"
    ]
    in_scope = {chart_id for chart_id in placed if chart_id not in dates["scope"]["excluded"]}
    assert set(dates["scope"]["excluded"]) <= set(placed)
    dated = {
        chart_id
        for chart_id, chart in placed.items()
        if any(
            f["operator"] == "TEMPORAL_RANGE" and f["subject"] in ("period_start", "submitted_at")
            for f in chart["params"].get("adhoc_filters", [])
        )
    }
    assert in_scope == dated and len(dated) == 5


@pytest.mark.fast
def test_series_colours_name_series_that_exist() -> None:
    metrics = {m["metric_name"] for d in _load("datasets").values() for m in d["metrics"]}
    for dashboard in _load("dashboards").values():
        assert set(dashboard["metadata"]["label_colors"]) <= metrics


@pytest.mark.fast
def test_uuids_are_unique() -> None:
    uuids = [
        doc["uuid"]
        for kind in ("databases", "datasets", "charts", "dashboards")
        for doc in _load(kind).values()
    ]
    assert len(uuids) == len(set(uuids))


@pytest.mark.fast
def test_watchlist_clause_is_built_from_ids_only() -> None:
    assert watchlist_clause(["tt6208148", "tt0029583"]) == "movie_id IN ('tt0029583', 'tt6208148')"
    assert watchlist_clause([]) == "1 = 0"
    with pytest.raises(ValueError, match="not an IMDb title id"):
        watchlist_clause(["tt1'); DROP TABLE movies; --"])


@pytest.mark.parametrize(
    ("group", "args"),
    [(superset_group, ["provision"]), (clients_group, ["add", "acme", "--password", "pw"])],
)
def test_cli_fails_in_one_line_without_admin_password(
    database_urls: DatabaseUrls, group, args: list[str]
) -> None:
    settings = Settings(superset_admin_password=None, superset_readonly_password="reader-password")
    result = CliRunner().invoke(group, args, obj=Runtime(settings))
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: SUPERSET_ADMIN_PASSWORD is not set")
