"""The reporting views (migration 0002), their refresh, and the read-only role, on real PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from imdb_tracker.db import migrate
from imdb_tracker.db.reporting import (
    MATERIALIZED_VIEWS,
    REPORTING_VIEWS,
    ensure_readonly_role,
    refresh_reporting,
)
from imdb_tracker.db.server import DatabaseUrls, ensure_database
from imdb_tracker.sentiment.models import SCORE_FIELDS
from imdb_tracker_tests.sample_data import load_sample, sample_reviews, sample_sentiments

OLD = "tt0029583"
NEW = "tt6208148"


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


def test_reporting_migration_goes_down_and_up(database_urls: DatabaseUrls) -> None:
    admin_url = make_url(database_urls.tracker).set(database="postgres").render_as_string(hide_password=False)
    ensure_database(admin_url, "reporting_migration")
    url = (
        make_url(database_urls.tracker)
        .set(database="reporting_migration")
        .render_as_string(hide_password=False)
    )
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
