"""Client names and watchlist changes through the CLI when Superset cannot take part: bad input is
refused with one line and nothing is written (the Superset side: test_superset.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from imdb_tracker.db.clients import InvalidClientName, create_client, link_client, validate_client_name
from imdb_tracker.db.schema import client_movies, clients, movies
from imdb_tracker.imdb.posters import PosterRejected, checked_poster, sized_poster_url
from imdb_tracker.superset_client.access import client_of_rule, rls_rule_name, watchlist_clause
from imdb_tracker_tests.cli_support import run_cli

SUPERSET_ENV = (
    "SUPERSET_URL",
    "SUPERSET_ADMIN_USER",
    "SUPERSET_ADMIN_PASSWORD",
    "SUPERSET_READONLY_PASSWORD",
)


@pytest.mark.fast
@pytest.mark.parametrize("name", ["acme", "a", "studio-9", "north.star", "ops@acme", "x" * 57])
def test_usable_client_names(name: str) -> None:
    assert validate_client_name(name) == name


@pytest.mark.fast
@pytest.mark.parametrize(
    "name", ["", "bad name", "Acme", "-acme", "acme/../x", "x" * 58, "acme'--", "ümlaut"]
)
def test_unusable_client_names(name: str) -> None:
    with pytest.raises(InvalidClientName, match="invalid client name"):
        validate_client_name(name)


@pytest.mark.fast
def test_rule_names_and_clauses_belong_to_one_client() -> None:
    assert client_of_rule(rls_rule_name("acme")) == "acme"
    assert client_of_rule(rls_rule_name("acme", "focus_movie_id")) == "acme"
    assert client_of_rule("client_a_watchlist_focus_watchlist") == "a_watchlist_focus"
    assert client_of_rule("marketing_watchlist") is None
    assert watchlist_clause(["tt6208148"], "focus_movie_id") == "focus_movie_id IN ('tt6208148')"
    assert watchlist_clause([], "focus_movie_id") == "1 = 0"


@pytest.mark.fast
def test_posters_are_asked_at_dashboard_size_and_checked() -> None:
    imdb = "https://m.media-amazon.com/images/M/MV5BOWVlOTU2MzktN2Q0Ny00Y2M5LTkzY2QtNjBjOWRhZTQwMmQxXkEyXkFqcGc@._V1_.jpg"
    assert sized_poster_url(imdb) == imdb.replace("._V1_.jpg", "._V1_UX300_.jpg")
    resized = imdb.replace("._V1_.jpg", "._V1_QL75_UX190_CR0,0,190,281_.jpg")
    assert sized_poster_url(resized) == imdb.replace("._V1_.jpg", "._V1_UX300_.jpg")
    assert sized_poster_url("http://127.0.0.1:8000/images/tt0029583.jpg").endswith("/tt0029583.jpg")
    assert checked_poster(b"\x89PNG...", "image/png; charset=binary", "u").content_type == "image/png"
    with pytest.raises(PosterRejected, match="text/html, not an image"):
        checked_poster(b"<html>", "text/html", "u")
    with pytest.raises(PosterRejected, match="2 MiB"):
        checked_poster(b"x" * (2 * 1024 * 1024 + 1), "image/jpeg", "u")


def _state(engine: Engine) -> tuple:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        partitions = sorted(instance.get_dynamic_partitions("movies"))
    with engine.connect() as conn:
        return (
            partitions,
            sorted(conn.execute(select(movies.c.movie_id)).scalars()),
            sorted(conn.execute(select(clients.c.name)).scalars()),
            sorted(
                tuple(r) for r in conn.execute(select(client_movies.c.client_id, client_movies.c.movie_id))
            ),
        )


def _cli(tmp_path: Path, *args: str):
    """The CLI with no Superset configured (and no .env of the checkout)."""
    return run_cli(*args, drop_env=SUPERSET_ENV, cwd=tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ("movies", "add", "tt0111161", "--client", "bad name"),
        ("movies", "remove", "tt0111161", "--client", "Acme"),
        ("movies", "list", "--client", "a b"),
        ("clients", "add", "x y", "--password", "pw"),
        ("clients", "remove", "no/slash"),
        ("clients", "sync", "UPPER"),
    ],
)
def test_a_bad_client_name_exits_2_at_every_entry_point(
    clean_db: Engine, no_tracked_movies: None, tmp_path: Path, args: tuple[str, ...]
) -> None:
    before = _state(clean_db)
    result = _cli(tmp_path, *args)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: invalid client name"), line
    assert _state(clean_db) == before


def test_a_watchlist_change_that_superset_cannot_take_writes_nothing(
    clean_db: Engine, no_tracked_movies: None, tmp_path: Path
) -> None:
    from dagster import DagsterInstance

    with clean_db.begin() as conn:
        conn.execute(insert(movies).values(movie_id="tt0029583", title="Snow White and the Seven Dwarfs"))
        create_client(conn, "acme")
        link_client(conn, "acme", "tt0029583")
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("movies", ["tt0029583"])
    before = _state(clean_db)
    for args in (
        ("movies", "add", "tt0033467", "--client", "acme"),  # acme would see a new movie
        ("movies", "remove", "tt0029583"),  # acme would stop seeing it
        ("movies", "remove", "tt0029583", "--purge"),
        ("movies", "remove", "tt0029583", "--client", "acme"),
    ):
        result = _cli(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: SUPERSET_ADMIN_PASSWORD is not set"), line
        assert _state(clean_db) == before, args

    unknown = _cli(tmp_path, "movies", "add", "tt0033467", "--client", "nobody")
    assert unknown.returncode == 2 and "no client named 'nobody'" in unknown.stderr
    assert _state(clean_db) == before

    # A change no client sees needs no Superset.
    untouched = _cli(tmp_path, "movies", "add", "tt0033467")
    assert untouched.returncode == 0, untouched.stderr
    listed = _cli(tmp_path, "movies", "list", "--client", "acme")
    assert listed.returncode == 0 and listed.stdout.startswith("tt0029583\t"), listed.stdout
