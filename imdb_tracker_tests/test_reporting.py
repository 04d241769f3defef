"""The reporting views (migrations 0002, 0005), their refresh, and the read-only role, on real PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from imdb_tracker.db import migrate
from imdb_tracker.db.reporting import (
    MATERIALIZED_VIEWS,
    REPORTING_VIEWS,
    ReadonlyRoleError,
    ensure_readonly_role,
    refresh_reporting,
)
from imdb_tracker.db.server import DatabaseUrls, ensure_database, start_embedded_server
from imdb_tracker.sentiment.models import SCORE_FIELDS
from imdb_tracker_tests.cli_support import run_cli
from imdb_tracker_tests.sample_data import load_sample, sample_reviews, sample_sentiments

OLD = "tt0029583"
NEW = "tt6208148"


def scored_by_label() -> str:
    """``backend/model (prompt version)`` of the sample's scores, as the sentiment package prints it."""
    [label] = {f"{s['backend']}/{s['model']} ({s['prompt_version']})" for s in sample_sentiments()}
    return label


@pytest.fixture
def sample_db(clean_db: Engine) -> Engine:
    """The tracker database holding the two sample movies, reporting refreshed."""
    load_sample(clean_db)
    return clean_db


def _rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def test_movie_summary_has_one_row_per_movie_with_latest_snapshot_and_counts(sample_db: Engine) -> None:
    rows = {r.movie_id: r for r in _rows(sample_db, "SELECT * FROM v_movie_summary")}
    assert set(rows) == {OLD, NEW}
    expected_counts = Counter(r["movie_id"] for r in sample_reviews())
    new = rows[NEW]
    assert new.movie == "Snow White (2025)"
    assert rows[OLD].movie == "Snow White and the Seven Dwarfs (1937)"
    assert (new.reviews_stored, rows[OLD].reviews_stored) == (expected_counts[NEW], expected_counts[OLD])
    assert float(new.latest_rating) == 1.6 and new.latest_votes == 379_000
    assert 4.9 <= float(new.hours_since_scrape) <= 5.5
    ratings = [r["rating"] for r in sample_reviews() if r["movie_id"] == NEW and r["rating"] is not None]
    assert float(new.avg_review_rating) == pytest.approx(sum(ratings) / len(ratings), abs=0.01)
    overall = [s["overall"] for s in sample_sentiments() if s["movie_id"] == NEW]
    assert float(new.overall_avg) == pytest.approx(sum(overall) / len(overall), abs=0.01)
    assert new.overall_reviews == len(overall)


def test_fact_views_cover_every_stored_review_with_its_movie(sample_db: Engine) -> None:
    total = len(sample_reviews())
    [(count, without_movie, analysed)] = _rows(
        sample_db,
        "SELECT count(*), count(*) FILTER (WHERE movie_id IS NULL), count(overall) FROM v_reviews",
    )
    assert (count, without_movie, analysed) == (total, 0, total)
    [(daily_total,)] = _rows(sample_db, "SELECT sum(reviews) FROM v_reviews_weekly")
    assert daily_total == total
    history = _rows(
        sample_db, "SELECT rating FROM v_rating_history WHERE movie_id = :m ORDER BY taken_at", m=NEW
    )
    assert [float(r.rating) for r in history] == [2.3, 1.9, 1.7, 1.6, 1.6]


def test_aspect_views_count_each_score_of_each_aspect(sample_db: Engine) -> None:
    expected = Counter(
        (s["movie_id"], name, s[name])
        for s in sample_sentiments()
        for name in SCORE_FIELDS
        if s[name] is not None
    )
    histogram = {
        (r.movie_id, r.aspect, r.score): r.reviews
        for r in _rows(sample_db, "SELECT movie_id, aspect, score, reviews FROM v_aspect_histogram")
    }
    assert histogram == dict(expected)
    per_review = Counter(
        (r.movie_id, r.aspect, r.score)
        for r in _rows(sample_db, "SELECT movie_id, aspect, score FROM v_aspect_scores")
    )
    assert per_review == expected
    assert {score for (_, _, score) in histogram} <= {-2, -1, 0, 1, 2}


def test_refresh_drops_removed_reviews_from_the_aggregates(sample_db: Engine) -> None:
    victim = next(r for r in sample_reviews() if r["movie_id"] == OLD)
    with sample_db.begin() as conn:
        conn.execute(
            text("UPDATE reviews SET removed_at = now() WHERE review_id = :r"), {"r": victim["review_id"]}
        )
        refresh_reporting(conn)
    [(stored,)] = _rows(sample_db, "SELECT reviews_stored FROM v_movie_summary WHERE movie_id = :m", m=OLD)
    assert stored == Counter(r["movie_id"] for r in sample_reviews())[OLD] - 1
    assert not _rows(sample_db, "SELECT 1 FROM v_reviews WHERE review_id = :r", r=victim["review_id"])


def test_time_charts_use_one_grain_per_movie_from_how_long_it_has_been_reviewed(sample_db: Engine) -> None:
    grains = dict(_rows(sample_db, "SELECT movie_id, time_grain FROM v_movie_overview"))
    assert grains == {NEW: "day", OLD: "year"}  # 19 days of reviews; 1998-2025
    periods = _rows(
        sample_db,
        "SELECT movie_id, period_start, sum(reviews) AS n FROM v_review_periods GROUP BY 1, 2 ORDER BY 1, 2",
    )
    expected = Counter(
        (
            r["movie_id"],
            r["submitted_at"] if r["movie_id"] == NEW else r["submitted_at"].replace(month=1, day=1),
        )
        for r in sample_reviews()
    )
    assert {(p.movie_id, p.period_start): p.n for p in periods} == dict(expected)
    stars = Counter((r["movie_id"], r["rating"]) for r in sample_reviews())
    shown = _rows(sample_db, "SELECT movie_id, rating, sum(reviews) AS n FROM v_review_periods GROUP BY 1, 2")
    assert {(r.movie_id, r.rating): r.n for r in shown} == dict(stars)


@pytest.mark.parametrize(
    ("span_days", "grain"),
    [(0, "day"), (60, "day"), (61, "week"), (547, "week"), (548, "month"), (2190, "month"), (2191, "year")],
)
def test_grain_thresholds(clean_db: Engine, span_days: int, grain: str) -> None:
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO movies (movie_id, title) VALUES ('tt1000001', 'Span')"))
        for number, day in enumerate((date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=span_days))):
            conn.execute(
                text(
                    "INSERT INTO reviews (review_id, movie_id, author, text, submitted_at, content_hash) "
                    "VALUES (:r, 'tt1000001', 'a', 't', :d, 'h')"
                ),
                {"r": f"rw{number + 1}", "d": day},
            )
        refresh_reporting(conn)
    assert _rows(clean_db, "SELECT time_grain FROM v_movie_overview")[0].time_grain == grain


def test_aspect_views_give_each_movies_average_share_and_benchmark(sample_db: Engine) -> None:
    sentiments = sample_sentiments()
    labels = dict(_rows(sample_db, "SELECT DISTINCT aspect_key, aspect FROM v_aspect_periods"))
    assert labels["cinematography"] == "Cinematography & visual style" and len(labels) == len(SCORE_FIELDS)
    rows = {
        (r.movie_id, r.aspect_key): r
        for r in _rows(
            sample_db,
            "SELECT movie_id, aspect_key, sum(score_sum)::float / sum(mentions) AS average, "
            "sum(mentions)::float / sum(analysed_reviews) AS share FROM v_aspect_periods GROUP BY 1, 2",
        )
    }
    averages = {}
    for movie_id in (OLD, NEW):
        mine = [s for s in sentiments if s["movie_id"] == movie_id]
        for name in SCORE_FIELDS:
            values = [s[name] for s in mine if s[name] is not None]
            averages[movie_id, name] = sum(values) / len(values)
            assert rows[movie_id, name].average == pytest.approx(averages[movie_id, name])
            assert rows[movie_id, name].share == pytest.approx(len(values) / len(mine))
    benchmark = _rows(
        sample_db,
        "SELECT aspect_key, sum(CASE WHEN is_focus THEN score_sum END)::float "
        "/ sum(CASE WHEN is_focus THEN mentions END) AS this_movie, avg(average) AS portfolio "
        "FROM v_aspect_benchmark WHERE focus_movie_id = :m GROUP BY aspect_key",
        m=NEW,
    )
    for row in benchmark:
        assert row.this_movie == pytest.approx(averages[NEW, row.aspect_key])
        portfolio = (averages[NEW, row.aspect_key] + averages[OLD, row.aspect_key]) / 2
        assert float(row.portfolio) == pytest.approx(portfolio, abs=1e-3)  # averages rounded to 3 places
    # A client's rules keep rows whose compared movie and focus movie it watches: nothing else.
    [(visible,)] = _rows(
        sample_db,
        "SELECT count(DISTINCT movie) FROM v_aspect_benchmark "
        "WHERE movie_id IN (:m) AND focus_movie_id IN (:m)",
        m=NEW,
    )
    assert visible == 1


def test_review_tables_are_bounded_ordered_and_carry_excerpt_and_provenance(sample_db: Engine) -> None:
    for movie_id in (OLD, NEW):
        mine = [r for r in sample_reviews() if r["movie_id"] == movie_id]
        latest = _rows(
            sample_db, "SELECT * FROM v_latest_reviews WHERE movie_id = :m ORDER BY position", m=movie_id
        )
        newest = sorted(mine, key=lambda r: (r["submitted_at"], r["review_id"]), reverse=True)[:20]
        assert [r.review_id for r in latest] == [r["review_id"] for r in newest]
        helpful = _rows(
            sample_db, "SELECT * FROM v_helpful_reviews WHERE movie_id = :m ORDER BY position", m=movie_id
        )
        assert len(helpful) == 10
        top = max(mine, key=lambda r: (r["helpful_up"], -r["helpful_down"]))
        up, down = top["helpful_up"], top["helpful_down"]
        assert helpful[0].found_helpful == f"{up:,} of {up + down:,}"
        texts = {r["review_id"]: " ".join(r["text"].split()) for r in mine}
        for row in [*latest, *helpful]:
            assert row.scored_by == scored_by_label()
            text_ = texts[row.review_id]
            if len(text_) <= 280:
                assert row.excerpt == text_
            else:
                assert row.excerpt.endswith(" …") and len(row.excerpt) <= 282
                assert text_.startswith(row.excerpt[:-2]) and text_[len(row.excerpt) - 2] == " "
        assert any(len(texts[row.review_id]) > 280 for row in helpful)


def test_overview_shows_poster_votes_and_who_scored(sample_db: Engine) -> None:
    rows = {r.movie_id: r for r in _rows(sample_db, "SELECT * FROM v_movie_overview")}
    assert rows[NEW].votes_label == "379,000" and rows[OLD].reviews_label == "429"
    assert rows[NEW].poster_src.startswith("data:image/png;base64,iVBORw0KGgo")
    assert rows[NEW].scored_by == scored_by_label()
    provenance = _rows(sample_db, "SELECT movie_id, backend, reviews, method FROM v_sentiment_provenance")
    counts = Counter(r["movie_id"] for r in sample_reviews())
    assert {(p.movie_id, p.backend, p.reviews) for p in provenance} == {
        (OLD, "offline", counts[OLD]),
        (NEW, "offline", counts[NEW]),
    }
    with sample_db.begin() as conn:
        conn.execute(text("DELETE FROM movie_posters WHERE movie_id = :m"), {"m": NEW})
    # Without a stored image only a real (https) IMDb image URL is used; a replica's URL never is.
    [(src,)] = _rows(sample_db, "SELECT poster_src FROM v_movie_overview WHERE movie_id = :m", m=NEW)
    assert src == "https://m.media-amazon.com/images/M/snow-white-2025.jpg"


@pytest.fixture
def reader_engine(sample_db: Engine, database_urls: DatabaseUrls):
    """An engine connected as the read-only role (the embedded server trusts its socket)."""
    with sample_db.begin() as conn:
        ensure_readonly_role(conn, "imdb_reader_test", "not-checked-on-a-trusted-socket")
    url = make_url(database_urls.tracker).set(username="imdb_reader_test", password=None)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_readonly_role_selects_every_view(reader_engine: Engine) -> None:
    with reader_engine.connect() as conn:
        for view in REPORTING_VIEWS:
            conn.execute(text(f"SELECT * FROM {view} LIMIT 1")).all()
        assert conn.execute(text("SELECT count(*) FROM v_movie_summary")).scalar() == 2


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM reviews LIMIT 1",
        "SELECT * FROM review_sentiments LIMIT 1",
        "SELECT * FROM mv_movie_review_stats LIMIT 1",
        "SELECT * FROM clients LIMIT 1",
        "SELECT * FROM movie_posters LIMIT 1",
        "SELECT * FROM mv_review_periods LIMIT 1",
        "INSERT INTO movies (movie_id) VALUES ('tt9999999')",
        "DELETE FROM reviews",
        "UPDATE movies SET title = 'x'",
        "CREATE TABLE reader_owned (x int)",
        "CREATE VIEW reader_view AS SELECT 1",
        "REFRESH MATERIALIZED VIEW mv_review_weekly",
    ],
)
def test_readonly_role_cannot_touch_anything_else(reader_engine: Engine, statement: str) -> None:
    with (
        reader_engine.connect() as conn,
        pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
    ):
        conn.execute(text(statement))


def test_readonly_role_owns_nothing_and_is_idempotent(sample_db: Engine) -> None:
    with sample_db.begin() as conn:
        ensure_readonly_role(conn, "imdb_reader_test", None)
        ensure_readonly_role(conn, "imdb_reader_test", "again")
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = :r"
            ),
            {"r": "imdb_reader_test"},
        ).scalar()
        readable = conn.execute(
            text(
                "SELECT table_name FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND privilege_type = 'SELECT' ORDER BY table_name"
            ),
            {"r": "imdb_reader_test"},
        ).scalars()
        assert owned == 0
        assert list(readable) == sorted(REPORTING_VIEWS)


def test_readonly_role_name_is_validated(sample_db: Engine) -> None:
    with sample_db.begin() as conn, pytest.raises(ValueError, match="invalid role name"):
        ensure_readonly_role(conn, "reader; DROP TABLE movies", None)


def test_reporting_migration_goes_down_and_up(create_database) -> None:
    url = create_database("reporting_migration")
    migrate.upgrade(url)
    views_sql = (
        "SELECT count(*) FROM pg_class WHERE relkind IN ('v', 'm') AND relnamespace = 'public'::regnamespace"
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text(views_sql)).scalar() == len(REPORTING_VIEWS) + len(MATERIALIZED_VIEWS)
        migrate.downgrade(url, "0001")
        with engine.connect() as conn:
            assert conn.execute(text(views_sql)).scalar() == 0
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM v_movie_summary")).scalar() == 0
    finally:
        engine.dispose()


# -- The read-only role made by an ordinary owner (docker-compose, managed PostgreSQL) ---------------


READERS = ("reader_by_owner", "reader_by_admin")


@pytest.fixture
def as_role(superuser_url: str, sample_db: Engine) -> Iterator[Callable[[str, str], Engine]]:
    """``as_role(name, attributes)`` makes login role ``name`` with ``attributes``, a member of the
    tracker database's owner (so it may grant on the views), and returns an engine connected as it."""
    admin = create_engine(
        make_url(superuser_url).set(database=sample_db.url.database), isolation_level="AUTOCOMMIT"
    )
    owner = sample_db.url.username
    made: list[str] = []
    engines: list[Engine] = []

    def make(name: str, attributes: str) -> Engine:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {name} LOGIN {attributes}"))
            conn.execute(text(f"GRANT {owner} TO {name}"))
        made.append(name)
        engines.append(create_engine(sample_db.url.set(username=name)))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
    with admin.connect() as conn:
        for name in [*READERS, *made]:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).scalar():
                conn.execute(text(f"DROP OWNED BY {name}"))
                conn.execute(text(f"DROP ROLE {name}"))
    admin.dispose()


def _attributes(engine: Engine, role: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
                "rolinherit FROM pg_roles WHERE rolname = :r"
            ),
            {"r": role},
        ).one()
    return dict(row._mapping)


PLAIN_LOGIN = {
    "rolcanlogin": True,
    "rolsuper": False,
    "rolcreatedb": False,
    "rolcreaterole": False,
    "rolreplication": False,
    "rolbypassrls": False,
    "rolinherit": False,
}


def test_an_owner_with_createrole_creates_and_updates_the_reader(as_role, superuser_url: str) -> None:
    owner = as_role("owner_createrole", "CREATEROLE")
    with owner.begin() as conn:
        ensure_readonly_role(conn, "reader_by_owner", "first")
    with owner.begin() as conn:
        ensure_readonly_role(conn, "reader_by_owner", "second")  # ALTER: ADMIN OPTION on 16+
    assert _attributes(owner, "reader_by_owner") == PLAIN_LOGIN
    with owner.connect() as conn:
        granted = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'reader_by_owner'"
            )
        ).scalar()
    assert granted == len(REPORTING_VIEWS)


def test_a_reader_precreated_by_an_administrator_is_used_as_it_is(as_role, superuser_url: str) -> None:
    admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE ROLE reader_by_admin LOGIN NOINHERIT PASSWORD 'set-by-the-admin'"))
        hash_before = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = 'reader_by_admin'")
        )
        hash_before = hash_before.scalar()
    owner = as_role("owner_without_admin_option", "CREATEROLE")
    with owner.begin() as conn:
        ensure_readonly_role(conn, "reader_by_admin", "ignored")
    with admin.connect() as conn:
        hash_after = conn.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = 'reader_by_admin'"))
        assert hash_after.scalar() == hash_before
    admin.dispose()
    assert _attributes(owner, "reader_by_admin") == PLAIN_LOGIN


def test_a_precreated_reader_with_more_rights_than_reading_is_refused(as_role, superuser_url: str) -> None:
    admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE ROLE reader_by_admin LOGIN CREATEDB"))
    admin.dispose()
    owner = as_role("owner_without_admin_option", "CREATEROLE")
    with owner.begin() as conn, pytest.raises(ReadonlyRoleError, match=r"NOCREATEDB NOINHERIT.*ADMIN OPTION"):
        ensure_readonly_role(conn, "reader_by_admin", None)


def test_an_owner_without_createrole_is_told_what_it_lacks(as_role) -> None:
    owner = as_role("owner_plain", "")
    with owner.begin() as conn, pytest.raises(ReadonlyRoleError, match="owner_plain lacks the CREATEROLE"):
        ensure_readonly_role(conn, "reader_by_owner", "x")


@pytest.fixture
def cluster_owned_by(tmp_path: Path) -> Iterator[Callable[[str, str], tuple[str, dict[str, str]]]]:
    """A fresh home of its own (so no ``imdb_reader`` exists yet) with its embedded server started by
    the CLI. ``cluster_owned_by(role, attributes)`` makes login role ``role`` with ``attributes`` and
    its tracker and Dagster databases (``<role>_tracker``, ``<role>_dagster``); returns the
    superuser URL and the CLI's environment as that role, with Superset unreachable."""
    home = {"IMDB_TRACKER_HOME": str(tmp_path / "home")}
    dropped = ("DATABASE_URL", "DAGSTER_DATABASE_URL", "DB_HOST")
    assert run_cli("db", "status", env=home, drop_env=dropped).returncode == 0  # starts the embedded server
    superuser_url = start_embedded_server(tmp_path / "home" / "pgdata").get_uri("postgres", driver="psycopg2")

    def make(role: str, attributes: str) -> tuple[str, dict[str, str]]:
        admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN {attributes}"))
        admin.dispose()
        for database in (f"{role}_tracker", f"{role}_dagster"):
            ensure_database(superuser_url, database, owner=role)
        owner_url = make_url(superuser_url).set(username=role)
        env = {
            **home,
            "DATABASE_URL": owner_url.set(database=f"{role}_tracker").render_as_string(hide_password=False),
            "DAGSTER_DATABASE_URL": owner_url.set(database=f"{role}_dagster").render_as_string(
                hide_password=False
            ),
            "SUPERSET_URL": "http://127.0.0.1:9",
            "SUPERSET_ADMIN_PASSWORD": "unused",
        }
        return superuser_url, env

    try:
        yield make
    finally:
        run_cli("db", "stop", env=home, drop_env=dropped)


def test_provision_as_an_owner_without_createrole_fails_in_one_line_naming_it(cluster_owned_by) -> None:
    """The tracker database owned by a role without CREATEROLE."""
    _, env = cluster_owned_by("plain_owner", "")
    result = run_cli("superset", "provision", env={**env, "SUPERSET_READONLY_PASSWORD": "unused"})
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: database role plain_owner lacks the CREATEROLE privilege")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_provision_through_the_cli_as_an_owner_with_createrole_makes_and_updates_the_reader(
    cluster_owned_by,
) -> None:
    """What docker-compose and a managed server do: a fresh cluster whose tracker and Dagster databases
    belong to an ordinary role with CREATEROLE. ``db upgrade`` and two ``superset provision`` runs as
    that role: the first creates ``imdb_reader``, the second alters it (new password). Superset is
    unreachable here, so each run ends with Superset's one-line error *after* the role step, which is
    committed first. The old ``CREATE/ALTER ROLE … NOSUPERUSER …`` fails the second run."""
    superuser_url, env = cluster_owned_by("createrole_owner", "CREATEROLE")
    admin = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    password_hashes = []
    for password in ("first-reader-password", "second-reader-password"):
        result = run_cli("superset", "provision", env={**env, "SUPERSET_READONLY_PASSWORD": password})
        assert result.returncode == 1 and result.stderr.startswith("error: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "127.0.0.1:9" in result.stderr, result.stderr  # Superset's error, not the role's
        with admin.connect() as conn:
            password_hashes.append(
                conn.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = 'imdb_reader'")).scalar()
            )
    with admin.connect() as conn:
        owner_is_superuser = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = 'createrole_owner'")
        ).scalar()
    reader = _attributes(admin, "imdb_reader")
    admin.dispose()
    owned = create_engine(env["DATABASE_URL"])
    with owned.connect() as conn:
        readable = conn.execute(
            text(
                "SELECT table_name FROM information_schema.role_table_grants "
                "WHERE grantee = 'imdb_reader' AND privilege_type = 'SELECT'"
            )
        ).scalars()
        readable = set(readable)
    owned.dispose()
    assert owner_is_superuser is False
    assert reader == PLAIN_LOGIN
    assert readable == set(REPORTING_VIEWS)
    assert None not in password_hashes and password_hashes[0] != password_hashes[1]  # ALTER ran
