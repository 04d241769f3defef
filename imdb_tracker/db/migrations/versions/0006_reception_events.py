"""reception events, aspect quotes and summaries, and the reporting views over them

``reception_events`` holds what the reception detectors found per movie (kind, window, strength,
evidence as JSON) and the webhook delivery state of each event. ``aspect_quotes`` keeps the most
representative positive and negative sentences per movie and aspect, ``aspect_summaries`` the
LLM-written per-aspect summaries with the hash of the reviews they were built from.

Reporting views for the dashboards (read by the read-only role, see
``imdb_tracker.db.reporting.REPORTING_VIEWS``): ``v_reception_events`` (events across the
portfolio), ``v_reception_daily`` (per movie and day: review volume, review rating, 1★/10★
shares, the IMDb rating of that day and the events covering it; pre-aggregated in the
materialized view ``mv_reception_daily``, refreshed with the others by ``reporting_views``) and
``v_aspect_quotes`` (the quotes with their review and the aspect's summary).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# "Title (year)", the label the dashboards filter on (as in 0002, repeated to keep this self-contained).
MOVIE_LABEL = "coalesce(m.title, m.movie_id::text) || coalesce(' (' || m.year::text || ')', '')"
ASPECT_ORDER = "(VALUES ('storytelling', 1), ('acting', 2), ('cinematography', 3), ('music_sound', 4), ('themes', 5), ('overall', 6))"  # noqa: E501

KIND_LABEL = """CASE e.kind
            WHEN 'volume_burst' THEN 'review volume burst'
            WHEN 'polarisation_jump' THEN 'rating polarisation jump'
            WHEN 'aspect_drift' THEN 'aspect sentiment drift'
            WHEN 'rating_shift' THEN 'IMDb rating shift with a vote jump'
            WHEN 'review_bombing_candidate' THEN 'review-bombing candidate'
        END"""

MATERIALIZED = {
    # Per movie and day: the reviews submitted (count, stars, 1★/10★) and the day's last IMDb
    # snapshot; a day appears when it has either.
    "mv_reception_daily": """
        WITH review_days AS (
            SELECT r.movie_id, r.submitted_at AS day, count(*) AS reviews, count(r.rating) AS rated_reviews,
                   coalesce(sum(r.rating), 0) AS rating_sum,
                   count(*) FILTER (WHERE r.rating = 1) AS one_star,
                   count(*) FILTER (WHERE r.rating = 10) AS ten_star
            FROM reviews r
            WHERE r.removed_at IS NULL
            GROUP BY r.movie_id, r.submitted_at
        ), snapshot_days AS (
            SELECT DISTINCT ON (ms.movie_id, ms.taken_at::date)
                   ms.movie_id, ms.taken_at::date AS day, ms.rating, ms.votes
            FROM movie_snapshots ms
            ORDER BY ms.movie_id, ms.taken_at::date, ms.taken_at DESC
        )
        SELECT coalesce(d.movie_id, s.movie_id) AS movie_id, coalesce(d.day, s.day) AS day,
               coalesce(d.reviews, 0) AS reviews, coalesce(d.rated_reviews, 0) AS rated_reviews,
               coalesce(d.rating_sum, 0) AS rating_sum, coalesce(d.one_star, 0) AS one_star,
               coalesce(d.ten_star, 0) AS ten_star, s.rating AS imdb_rating, s.votes AS imdb_votes
        FROM review_days d
        FULL JOIN snapshot_days s ON s.movie_id = d.movie_id AND s.day = d.day
    """,
}
UNIQUE_KEYS = {"mv_reception_daily": "movie_id, day"}

VIEWS = {
    "v_reception_events": f"""
        SELECT e.event_id, e.movie_id, {MOVIE_LABEL} AS movie, m.title, e.kind,
               {KIND_LABEL} AS kind_label,
               e.subject, e.window_start, e.window_end, e.window_end - e.window_start + 1 AS days,
               e.strength, e.strong, CASE WHEN e.strong THEN 'strong' ELSE 'candidate' END AS severity,
               e.summary, e.evidence::text AS evidence, e.first_detected_at, e.last_detected_at,
               e.notify_state, e.notified_at,
               'https://www.imdb.com/title/' || e.movie_id || '/reviews/' AS imdb_reviews_url
        FROM reception_events e
        JOIN movies m ON m.movie_id = e.movie_id
    """,
    "v_reception_daily": f"""
        SELECT x.movie_id, {MOVIE_LABEL} AS movie, m.title, x.day, x.reviews, x.rated_reviews,
               x.rating_sum, x.one_star, x.ten_star,
               round(x.rating_sum::numeric / nullif(x.rated_reviews, 0), 2) AS avg_review_rating,
               round(x.one_star::numeric / nullif(x.rated_reviews, 0), 3) AS one_star_share,
               round(x.ten_star::numeric / nullif(x.rated_reviews, 0), 3) AS ten_star_share,
               x.imdb_rating, x.imdb_votes,
               ev.kinds AS event_kinds,
               CASE WHEN ev.kinds IS NOT NULL THEN x.reviews END AS reviews_in_event
        FROM mv_reception_daily x
        JOIN movies m ON m.movie_id = x.movie_id
        LEFT JOIN LATERAL (
            SELECT string_agg(DISTINCT e.kind, ', ' ORDER BY e.kind) AS kinds
            FROM reception_events e
            WHERE e.movie_id = x.movie_id AND x.day BETWEEN e.window_start AND e.window_end
        ) ev ON true
    """,
    "v_aspect_quotes": f"""
        SELECT q.movie_id, {MOVIE_LABEL} AS movie, m.title, q.aspect, o.aspect_order, q.polarity,
               q.rank, q.sentence, q.strength, q.helpfulness, round((q.strength * q.helpfulness)::numeric, 3) AS score,
               q.review_id, r.title AS review_title, r.author, r.rating, r.submitted_at,
               r.helpful_up, r.helpful_down,
               'https://www.imdb.com/review/' || q.review_id || '/' AS review_url,
               s.summary AS aspect_summary, q.computed_at
        FROM aspect_quotes q
        JOIN movies m ON m.movie_id = q.movie_id
        JOIN reviews r ON r.review_id = q.review_id
        JOIN {ASPECT_ORDER} AS o (aspect, aspect_order) ON o.aspect = q.aspect
        LEFT JOIN aspect_summaries s ON s.movie_id = q.movie_id AND s.aspect = q.aspect
    """,  # noqa: E501
}


def upgrade() -> None:
    op.create_table(
        "reception_events",
        sa.Column("event_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "subject",
            sa.String(length=32),
            nullable=False,
            comment="what moved: reviews, one_star, an aspect …",
        ),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False, comment="effect / detection threshold (>= 1)"),
        sa.Column("strong", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column(
            "first_detected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "last_detected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("notify_state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("notify_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notify_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notify_error", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('volume_burst', 'polarisation_jump', 'aspect_drift', 'rating_shift', "
            "'review_bombing_candidate')",
            name="kind_known",
        ),
        sa.CheckConstraint("window_start <= window_end", name="window_ordered"),
        sa.CheckConstraint(
            "notify_state IN ('pending', 'sent', 'failed', 'stale')", name="notify_state_known"
        ),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_reception_events_movie", "reception_events", ["movie_id", "kind", "subject", "window_start"]
    )
    op.create_index(
        "ix_reception_events_pending",
        "reception_events",
        ["event_id"],
        postgresql_where=sa.text("notify_state = 'pending'"),
    )
    op.create_table(
        "aspect_quotes",
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("aspect", sa.String(length=16), nullable=False),
        sa.Column("polarity", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("review_id", sa.String(length=16), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False, comment="|polarity log-odds| of the sentence"),
        sa.Column("helpfulness", sa.Float(), nullable=False, comment="(up + 1) / (up + down + 2)"),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("polarity IN ('positive', 'negative')", name="polarity_known"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.review_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("movie_id", "aspect", "polarity", "rank"),
    )
    op.create_table(
        "aspect_summaries",
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("aspect", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "reviews_hash",
            sa.String(length=64),
            nullable=False,
            comment="hash of the reviews it was built from",
        ),
        sa.Column("reviews_used", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("movie_id", "aspect"),
    )
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
    op.drop_table("aspect_summaries")
    op.drop_table("aspect_quotes")
    op.drop_index("ix_reception_events_pending", table_name="reception_events")
    op.drop_index("ix_reception_events_movie", table_name="reception_events")
    op.drop_table("reception_events")
