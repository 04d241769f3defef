"""Session fixtures: one real embedded PostgreSQL server and one Dagster home for the whole run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from imdb_tracker.db.schema import metadata
from imdb_tracker.db.server import DatabaseUrls
from imdb_tracker.settings import Settings, get_settings

pytest_plugins = [
    "imdb_tracker_tests.backup_support",
    "imdb_tracker_tests.fakes",
]

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IMDB_TRACKER_SHARED", REPO.parent / "shared"))
SAMPLE_CSV = SHARED / "sample" / "reviews_raw_2025-04-11.csv"
OWNER_ROLE = "tracker_owner"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--deploy",
        action="store_true",
        help="run imdb_tracker_tests/deploy: the docker-compose stack on the Docker engine of "
        "DOCKER_HOST (what `make test-deploy` starts); skipped otherwise",
    )
    parser.addoption(
        "--db-owner",
        action="store_true",
        help=f"connect as {OWNER_ROLE}, an ordinary role with CREATEROLE that owns the tracker and "
        "Dagster databases (as on docker-compose or a managed server), not as the embedded superuser",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--db-owner`` only the tests that connect through the session's database run: that
    connection is all the option changes, so any other test would only repeat itself (e.g. one that
    starts a cluster of its own, with an owner role of its own)."""
    if not config.getoption("--db-owner"):
        return
    repeated = [item for item in items if "database_urls" not in getattr(item, "fixturenames", ())]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = [item for item in items if item not in repeated]


def stop_child_processes(timeout: float = 10.0) -> None:
    """End what the tests started and left running (Dagster code servers, browsers), so that no
    process outlives the session or holds its output open."""
    import psutil

    children = [p for p in psutil.Process().children(recursive=True) if "postgres" not in p.name()]
    for child in children:
        child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        child.kill()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The deploy checks need their own Docker engine: collected only with ``--deploy``."""
    if collection_path.name == "deploy" and collection_path.parent == Path(__file__).parent:
        return not config.getoption("--deploy")
    return None


@pytest.fixture(scope="session")
def tracker_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh ``IMDB_TRACKER_HOME`` for the test session (inherited by CLI subprocesses)."""
    home = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in ("IMDB_TRACKER_HOME", "DAGSTER_HOME", "DATABASE_URL", "DB_HOST")}
    os.environ["IMDB_TRACKER_HOME"] = str(home)
    for key in ("DATABASE_URL", "DB_HOST", "OPENAI_API_KEY"):
        os.environ.pop(key, None)
    get_settings.cache_clear()
    yield home
    stop_child_processes()
    from imdb_tracker.db.server import stop_embedded_server

    stop_embedded_server(Settings().database_config())
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def superuser_url(tracker_home: Path) -> str:
    """The embedded server of the session as its superuser ``postgres`` (database ``postgres``)."""
    from imdb_tracker.db.server import start_embedded_server

    pgdata = get_settings().database_config().pgdata
    return start_embedded_server(pgdata).get_uri("postgres", driver="psycopg2")


def make_owner_databases(superuser_url: str, settings: Settings) -> str:
    """Role :data:`OWNER_ROLE` (LOGIN CREATEROLE, nothing more) owning fresh tracker and Dagster
    databases; returns the tracker database URL as that role."""
    from imdb_tracker.db.server import DAGSTER_DATABASE, ensure_database

    admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": OWNER_ROLE})
            if not exists.scalar():
                conn.execute(text(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEROLE"))
    finally:
        admin.dispose()
    for name in (settings.db_name, DAGSTER_DATABASE):
        ensure_database(superuser_url, name, owner=OWNER_ROLE)
    url = make_url(superuser_url).set(username=OWNER_ROLE, database=settings.db_name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_urls(request: pytest.FixtureRequest, superuser_url: str) -> DatabaseUrls:
    """The embedded server of the session, schema at head, Dagster home prepared.

    With ``--db-owner`` every connection of the session (and of the CLI subprocesses, through
    ``DATABASE_URL``) is made as :data:`OWNER_ROLE` instead of the superuser.
    """
    from imdb_tracker.instance import dagster_storage_url, prepare

    if request.config.getoption("--db-owner"):
        os.environ["DATABASE_URL"] = make_owner_databases(superuser_url, get_settings())
        get_settings.cache_clear()
        dagster_storage_url.cache_clear()
    urls = prepare(get_settings())
    if request.config.getoption("--db-owner"):  # the tier is what it says, or it proves nothing
        for url in (urls.tracker, urls.dagster):
            check = create_engine(url)
            with check.connect() as conn:
                role = conn.execute(
                    text("SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
                ).one()
            check.dispose()
            assert tuple(role) == (OWNER_ROLE, False, True), f"--db-owner connects as {tuple(role)}"
    return urls


@pytest.fixture(scope="session")
def create_database(superuser_url: str, database_urls: DatabaseUrls) -> Callable[[str], str]:
    """``create_database(name)`` makes an empty database owned by the session's role; returns its URL."""
    from imdb_tracker.db.server import ensure_database

    owner = make_url(database_urls.tracker).username

    def create(name: str) -> str:
        ensure_database(superuser_url, name, owner=owner)
        return make_url(database_urls.tracker).set(database=name).render_as_string(hide_password=False)

    return create


@pytest.fixture(scope="session")
def engine(database_urls: DatabaseUrls) -> Iterator[Engine]:
    """Engine on the tracker database."""
    eng = create_engine(database_urls.tracker)
    yield eng
    eng.dispose()


@pytest.fixture
def clean_db(engine: Engine) -> Engine:
    """The tracker database with every table emptied."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture
def no_tracked_movies(database_urls: DatabaseUrls) -> Iterator[None]:
    """The shared Dagster instance with no ``movies`` partition and no run left to resume, before
    the test and after it (so a test's movies and runs never leak into another test)."""
    untrack_all_movies()
    settle_leftover_runs()
    yield
    untrack_all_movies()
    settle_leftover_runs()


def untrack_all_movies() -> None:
    """Delete every ``movies`` partition of the session's Dagster instance."""
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        for movie_id in instance.get_dynamic_partitions("movies"):
            instance.delete_dynamic_partition("movies", movie_id)


def settle_leftover_runs() -> None:
    """Runs of a daemon that a test has stopped: those still unfinished are marked canceled, and
    failed ones are marked not to be retried. Otherwise ``run_retries`` (dagster.yaml) makes the
    next test's daemon launch them again, into that test's runs and rows: an interrupted metadata
    run of a sample movie added a second snapshot to the hung-run test."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
    from dagster._core.storage.tags import WILL_RETRY_TAG

    unfinished = [
        DagsterRunStatus.QUEUED,
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
        DagsterRunStatus.CANCELING,
    ]
    with DagsterInstance.get() as instance:
        for run in instance.get_runs(RunsFilter(statuses=unfinished)):
            instance.report_run_canceled(run, message="left unfinished by a stopped test daemon")
        for run in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE])):
            if run.tags.get(WILL_RETRY_TAG) != "false":
                instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: "false"})


@pytest.fixture
def sample_partitions(no_tracked_movies) -> Iterator:
    """The shared Dagster instance tracking exactly the two sample movies (untracked afterwards)."""
    from dagster import DagsterInstance

    sample = ["tt0029583", "tt6208148"]
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("movies", sample)
        yield instance
        for movie_id in sample:
            instance.delete_dynamic_partition("movies", movie_id)
