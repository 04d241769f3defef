"""reception timeline at each movie's own time grain

``v_reception_periods``: per movie and *period* — the grain ``mv_review_periods`` chose for the
movie (day, week, month or year by how long it has been reviewed) — the reviews published, their
star sum and 1★/10★ counts, and how many of them fall on a day some reception event covers
(``reviews_in_event``; the rest are ``reviews_outside_event``). The Movie reception dashboard's
timeline stacks the two and draws the average stars over them, so a detected event shows as a red
part of the bars at the grain of the movie's other time charts. Built on ``mv_reception_daily``
(migration 0006), so it needs no refresh of its own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# "Title (year)", the label the dashboards filter on (as in 0002, repeated to keep this self-contained).
MOVIE_LABEL = "coalesce(m.title, m.movie_id::text) || coalesce(' (' || m.year::text || ')', '')"

VIEWS = {
    # Grouped by movies.movie_id (the key), so the label is functionally dependent on it and a
    # filter on the label or the id reaches the daily rows of that movie only.
    "v_reception_periods": f"""
        SELECT m.movie_id, {MOVIE_LABEL} AS movie, m.title, g.grain,
               date_trunc(g.grain, d.day::timestamp)::date AS period_start,
               sum(d.reviews) AS reviews, sum(d.rated_reviews) AS rated_reviews,
               sum(d.rating_sum) AS rating_sum, sum(d.one_star) AS one_star, sum(d.ten_star) AS ten_star,
               coalesce(sum(d.reviews) FILTER (WHERE ev.covered), 0) AS reviews_in_event,
               sum(d.reviews) - coalesce(sum(d.reviews) FILTER (WHERE ev.covered), 0)
                   AS reviews_outside_event
        FROM mv_reception_daily d
        JOIN movies m ON m.movie_id = d.movie_id
        CROSS JOIN LATERAL (
            SELECT coalesce(
                (SELECT rp.grain FROM mv_review_periods rp WHERE rp.movie_id = d.movie_id LIMIT 1), 'day'
            ) AS grain
        ) g
        LEFT JOIN LATERAL (
            SELECT true AS covered
            FROM reception_events e
            WHERE e.movie_id = d.movie_id AND d.day BETWEEN e.window_start AND e.window_end
            LIMIT 1
        ) ev ON true
        WHERE d.reviews > 0
        GROUP BY m.movie_id, g.grain, date_trunc(g.grain, d.day::timestamp)::date
    """,
}


def upgrade() -> None:
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
