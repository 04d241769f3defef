"""Foundation: ids, settings, migrations, the movie registry CLI and the shared Dagster instance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from imdb_tracker.db import migrate
from imdb_tracker.db.schema import client_movies, clients, movies
from imdb_tracker.db.server import DatabaseUrls
from imdb_tracker.imdb.errors import InvalidMovieId
from imdb_tracker.imdb.ids import is_id_like, parse_movie_id
from imdb_tracker.settings import Settings
from imdb_tracker_tests.cli_support import run_cli

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.fast
@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("tt0033467", "tt0033467"),
        ("0033467", "tt0033467"),
        (" tt10872600 ", "tt10872600"),
        ("https://www.imdb.com/title/tt0033467/", "tt0033467"),
        ("https://www.imdb.com/title/tt0033467/reviews/?ref_=tt_ql_2", "tt0033467"),
        ("https://m.imdb.com/fr/title/tt0033467", "tt0033467"),
        ("www.imdb.com/title/tt0033467", "tt0033467"),
        ("https://www.imdb.com/es-es/title/tt0033467/?ref_=nv_sr_srsg_0", "tt0033467"),
        ("TT0033467", "tt0033467"),
        ("tt00133093", "tt0133093"),  # a zero too many: IMDb's form has seven digits at least
        ("https://www.imdb.com/title/tt00133093/", "tt0133093"),
    ],
)
def test_parse_movie_id_accepts_the_three_forms(ref: str, expected: str) -> None:
    assert parse_movie_id(ref) == expected


@pytest.mark.fast
@pytest.mark.parametrize(
    "ref", ["tt12", "abc", "https://example.com/x", "tt0033467x", "https://www.imdb.com/name/nm0000126/"]
)
def test_parse_movie_id_rejects_malformed(ref: str) -> None:
    with pytest.raises(InvalidMovieId):
        parse_movie_id(ref)


@pytest.mark.fast
def test_titles_are_not_id_like() -> None:
    assert not is_id_like("Citizen Kane")
    assert not is_id_like("abc")
    # Titles with digits or a slash are searched for, not rejected as malformed ids.
    assert not any(is_id_like(title) for title in ("1917", "300", "Face/Off", "Fahrenheit 9/11"))
    assert is_id_like("tt12") and is_id_like("https://example.com/x") and is_id_like("0033467")


@pytest.mark.fast
def test_settings_mask_secrets_and_url_passwords() -> None:
    settings = Settings(
        database_url="postgresql://tracker:hunter2@db.example/imdb",
        openai_api_key="sk-very-secret",
        aws_secret_access_key="aws-secret",
    )
    shown = json.dumps(settings.masked())
    assert "hunter2" not in shown and "sk-very-secret" not in shown and "aws-secret" not in shown
    assert "postgresql://tracker:****@db.example/imdb" in shown


def test_settings_show_cli_masks_secrets(tracker_home: Path) -> None:
    result = run_cli("settings", "show", env={"OPENAI_API_KEY": "sk-from-env-123", "DB_PASSWORD": "pw-456"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["openai_api_key"] == "****" and shown["db_password"] == "****"
    assert "sk-from-env-123" not in result.stdout + result.stderr
    assert shown["home"] == str(tracker_home)


def test_migrations_up_from_empty_and_down_again(create_database) -> None:
    url = create_database("migration_check")
    engine = create_engine(url)
    try:
        migrate.upgrade(url)
        assert migrate.current_revision(url) is not None
        tables = set(inspect(engine).get_table_names())
        assert {
            "movies",
            "movie_snapshots",
            "reviews",
            "review_sentiments",
            "clients",
            "client_movies",
        } <= tables
        review_pk = inspect(engine).get_pk_constraint("reviews")["constrained_columns"]
        assert review_pk == ["review_id"]
        migrate.upgrade(url)  # idempotent
        migrate.downgrade(url, "base")
        assert migrate.current_revision(url) is None
        engine.dispose()
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def _partition_keys() -> set[str]:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        return set(instance.get_dynamic_partitions("movies"))


def test_movies_add_list_remove_through_the_cli(clean_db, no_tracked_movies) -> None:
    added = run_cli(
        "movies",
        "add",
        "tt0029583",
        "0033467",
        "https://www.imdb.com/title/tt6208148/reviews/",
    )
    assert added.returncode == 0, added.stderr
    assert "added: tt0029583" in added.stdout and "added: tt0033467" in added.stdout

    # The Dagster instance (the one the UI and the daemon use) sees the partitions the CLI added.
    assert {"tt0029583", "tt0033467", "tt6208148"} <= _partition_keys()

    listed = run_cli("movies", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["movie_id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert set(rows) >= {"tt0029583", "tt0033467", "tt6208148"}
    assert rows["tt0033467"]["clients"] == []

    again = run_cli("movies", "add", "tt0033467")
    assert again.returncode == 0 and "already tracked: tt0033467" in again.stdout

    removed = run_cli("movies", "remove", "https://www.imdb.com/title/tt0033467/")
    assert removed.returncode == 0, removed.stderr
    assert "tt0033467" not in _partition_keys()
    with clean_db.connect() as conn:  # data kept without --purge
        assert (
            conn.execute(select(movies.c.movie_id).where(movies.c.movie_id == "tt0033467")).scalar()
            == "tt0033467"
        )

    purged = run_cli("movies", "remove", "tt6208148", "--purge")
    assert purged.returncode == 0, purged.stderr
    with clean_db.connect() as conn:
        assert (
            conn.execute(select(movies.c.movie_id).where(movies.c.movie_id == "tt6208148")).scalar() is None
        )
        assert (
            conn.execute(
                select(client_movies.c.movie_id).where(client_movies.c.movie_id == "tt6208148")
            ).all()
            == []
        )
    run_cli("movies", "remove", "tt0029583", "--purge")


@pytest.mark.parametrize("bad", ["tt12", "https://example.com/x", "tt0033467/../x"])
def test_bad_ids_exit_2_and_write_nothing(clean_db, database_urls: DatabaseUrls, bad: str) -> None:
    before = _partition_keys()
    result = run_cli("movies", "add", "tt0111161", bad, "--client", "acme")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    assert _partition_keys() == before
    with clean_db.connect() as conn:
        assert conn.execute(select(movies.c.movie_id)).all() == []
        assert conn.execute(select(clients.c.name)).all() == []


def test_embedded_server_is_reused_across_commands(database_urls: DatabaseUrls, tracker_home: Path) -> None:
    first = run_cli("db", "status")
    second = run_cli("db", "status")
    assert first.returncode == 0 and first.stdout == second.stdout
    assert str(tracker_home / "pgdata").replace("/", "%2F") in first.stdout
    with create_engine(database_urls.tracker).connect() as conn:
        assert conn.execute(text("SHOW server_version")).scalar().startswith("18.")


def test_dagster_definitions_validate(database_urls: DatabaseUrls) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "definitions",
            "validate",
            "-w",
            str(REPO / "workspace.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_movies_add_by_title_resolves_through_imdb_search(clean_db, no_tracked_movies, imdb_replica) -> None:
    env = {"IMDB_BASE_URL": imdb_replica.base_url, "IMDB_REQUESTS_PER_SECOND": "50"}
    exact = run_cli("movies", "add", "Snow White and the Seven Dwarfs", env=env)
    assert exact.returncode == 0, exact.stderr
    assert "added: tt0029583 (Snow White and the Seven Dwarfs)" in exact.stdout

    ambiguous = run_cli("movies", "add", "snow", env=env)
    assert ambiguous.returncode == 2
    assert "tt0029583" in ambiguous.stderr and "tt6208148" in ambiguous.stderr
    assert ambiguous.stderr.strip().splitlines()[-1].startswith("error: 'snow' is ambiguous")

    unknown = run_cli("movies", "add", "abc", env=env)
    assert unknown.returncode == 2 and unknown.stderr.strip() == "error: no IMDb movie matches 'abc'"
    # A title made of digits or with a slash is searched for, not refused as a malformed id.
    for title in ("1917", "Face/Off"):
        searched = run_cli("movies", "add", title, env=env)
        assert searched.stderr.strip() == f"error: no IMDb movie matches {title!r}", searched.stderr
    assert "tt6208148" not in _partition_keys()
    run_cli("movies", "remove", "tt0029583", "--purge")
