"""reporting views for the Superset dashboards

Plain views join the facts with the movie they belong to (every row has ``movie_id``, ``title`` and
``movie`` = "Title (year)", the label the dashboards filter on). Aggregates that would scan every
review on each dashboard load are kept in three materialized views, refreshed by
:func:`imdb_tracker.db.reporting.refresh_reporting` after each pipeline run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ASPECTS = ("storytelling", "acting", "cinematography", "music_sound", "themes", "overall")


def movie_label(alias: str) -> str:
    """``Title (year)`` of a ``movies`` row; immutable, so an index on it gives the planner statistics."""
    m = f"{alias}." if alias else ""
    return f"coalesce({m}title, {m}movie_id::text) || coalesce(' (' || {m}year::text || ')', '')"


MOVIE_LABEL = movie_label("m")

_ASPECT_VALUES = ", ".join(f"('{name}', {order}, s.{name})" for order, name in enumerate(ASPECTS, 1))

MATERIALIZED = {
    # Reviews and their ratings per movie and publication week (starting on Monday).
    "mv_review_weekly": """
        SELECT r.movie_id, date_trunc('week', r.submitted_at)::date AS week,
               count(*) AS reviews, count(r.rating) AS rated_reviews, sum(r.rating) AS rating_sum
        FROM reviews r
        WHERE r.removed_at IS NULL
        GROUP BY r.movie_id, date_trunc('week', r.submitted_at)::date
    """,
    # The same per publication month (the monthly charts over every movie read 4x fewer rows).
    "mv_review_monthly": """
        SELECT r.movie_id, date_trunc('month', r.submitted_at)::date AS month,
               count(*) AS reviews, count(r.rating) AS rated_reviews, sum(r.rating) AS rating_sum
        FROM reviews r
        WHERE r.removed_at IS NULL
        GROUP BY r.movie_id, date_trunc('month', r.submitted_at)::date
    """,
    # How many stored reviews give each score (-2..2) to each aspect of a movie.
    "mv_aspect_histogram": f"""
        SELECT s.movie_id, a.aspect, a.aspect_order, a.score, count(*) AS reviews
        FROM review_sentiments s
        JOIN reviews r ON r.review_id = s.review_id AND r.removed_at IS NULL
        CROSS JOIN LATERAL (VALUES {_ASPECT_VALUES}) AS a (aspect, aspect_order, score)
        WHERE a.score IS NOT NULL
        GROUP BY s.movie_id, a.aspect, a.aspect_order, a.score
    """,
    # Per-movie totals: stored reviews, their ratings, and the sum/count of each aspect score.
    "mv_movie_review_stats": """
        SELECT r.movie_id,
               count(*) AS reviews_stored,
               count(r.rating) AS rated_reviews,
               sum(r.rating) AS rating_sum,
               count(s.review_id) AS analysed_reviews,
               max(r.submitted_at) AS latest_review_on,
               """
    + ",\n               ".join(f"sum(s.{a}) AS {a}_sum, count(s.{a}) AS {a}_reviews" for a in ASPECTS)
    + """
        FROM reviews r
        LEFT JOIN review_sentiments s ON s.review_id = r.review_id
        WHERE r.removed_at IS NULL
        GROUP BY r.movie_id
    """,
}

UNIQUE_KEYS = {
    "mv_review_weekly": "movie_id, week",
    "mv_review_monthly": "movie_id, month",
    "mv_aspect_histogram": "movie_id, aspect, score",
    "mv_movie_review_stats": "movie_id",
}

VIEWS = {
    "v_movie_summary": f"""
        SELECT m.movie_id, {MOVIE_LABEL} AS movie, m.title, m.year, m.poster_url,
               'https://www.imdb.com/title/' || m.movie_id || '/' AS imdb_url,
               snap.rating AS latest_rating, snap.votes AS latest_votes,
               snap.review_count AS imdb_review_count, snap.taken_at AS rating_taken_at,
               coalesce(st.reviews_stored, 0) AS reviews_stored,
               coalesce(st.rated_reviews, 0) AS rated_reviews,
               coalesce(st.rating_sum, 0) AS rating_sum,
               round(st.rating_sum::numeric / nullif(st.rated_reviews, 0), 2) AS avg_review_rating,
               coalesce(st.analysed_reviews, 0) AS analysed_reviews,
               st.latest_review_on,
               greatest(m.last_metadata_at, m.last_reviews_at) AS last_scraped_at,
               round((extract(epoch FROM now() - greatest(m.last_metadata_at, m.last_reviews_at))
                      / 3600)::numeric, 1) AS hours_since_scrape,
               """
    + ",\n               ".join(
        f"coalesce(st.{a}_sum, 0) AS {a}_sum, coalesce(st.{a}_reviews, 0) AS {a}_reviews, "
        f"round(st.{a}_sum::numeric / nullif(st.{a}_reviews, 0), 2) AS {a}_avg"
        for a in ASPECTS
    )
    + """
        FROM movies m
        LEFT JOIN LATERAL (
            SELECT ms.rating, ms.votes, ms.review_count, ms.taken_at
            FROM movie_snapshots ms
            WHERE ms.movie_id = m.movie_id
            ORDER BY ms.taken_at DESC
            LIMIT 1
        ) snap ON true
        LEFT JOIN mv_movie_review_stats st ON st.movie_id = m.movie_id
    """,
    "v_reviews": f"""
        SELECT r.review_id, r.movie_id, {MOVIE_LABEL} AS movie, m.title,
               r.submitted_at, r.author, r.rating, r.title AS review_title, r.text AS review_text,
               r.helpful_up, r.helpful_down, r.spoiler, r.first_seen_at, r.last_seen_at,
               """
    + ", ".join(f"s.{a}" for a in ASPECTS)
    + """, s.backend AS sentiment_backend, s.analysed_at
        FROM reviews r
        JOIN movies m ON m.movie_id = r.movie_id
        LEFT JOIN review_sentiments s ON s.review_id = r.review_id
        WHERE r.removed_at IS NULL
    """,
    "v_rating_history": f"""
        SELECT ms.snapshot_id, ms.movie_id, {MOVIE_LABEL} AS movie, m.title, ms.taken_at,
               ms.rating, ms.votes, ms.review_count, ms.metascore, ms.popularity
        FROM movie_snapshots ms
        JOIN movies m ON m.movie_id = ms.movie_id
    """,
    "v_aspect_scores": f"""
        SELECT r.review_id, r.movie_id, {MOVIE_LABEL} AS movie, m.title, r.submitted_at,
               a.aspect, a.aspect_order, a.score
        FROM reviews r
        JOIN movies m ON m.movie_id = r.movie_id
        JOIN review_sentiments s ON s.review_id = r.review_id
        CROSS JOIN LATERAL (VALUES {_ASPECT_VALUES}) AS a (aspect, aspect_order, score)
        WHERE r.removed_at IS NULL AND a.score IS NOT NULL
    """,
    "v_aspect_histogram": f"""
        SELECT h.movie_id, {MOVIE_LABEL} AS movie, m.title, h.aspect, h.aspect_order, h.score, h.reviews
        FROM mv_aspect_histogram h
        JOIN movies m ON m.movie_id = h.movie_id
    """,
    "v_reviews_weekly": f"""
        SELECT w.movie_id, {MOVIE_LABEL} AS movie, m.title, w.week,
               w.reviews, w.rated_reviews, w.rating_sum
        FROM mv_review_weekly w
        JOIN movies m ON m.movie_id = w.movie_id
    """,
    "v_reviews_monthly": f"""
        SELECT mo.movie_id, {MOVIE_LABEL} AS movie, m.title, mo.month,
               mo.reviews, mo.rated_reviews, mo.rating_sum
        FROM mv_review_monthly mo
        JOIN movies m ON m.movie_id = mo.movie_id
    """,
}


def upgrade() -> None:
    # Serves "latest reviews" over every movie (ORDER BY submitted_at DESC LIMIT n).
    op.create_index("ix_reviews_submitted", "reviews", ["submitted_at"])
    op.execute(f"CREATE INDEX ix_movies_label ON movies (({movie_label('')}))")
    for name, query in MATERIALIZED.items():
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        op.execute(f"CREATE UNIQUE INDEX ux_{name} ON {name} ({UNIQUE_KEYS[name]})")
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name in reversed(MATERIALIZED):
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {name}")
    op.drop_index("ix_movies_label", table_name="movies")
    op.drop_index("ix_reviews_submitted", table_name="reviews")
