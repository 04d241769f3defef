"""unattended operation: the request budget every process shares, and evidence before a removal

``imdb_request_budget``: one row per IMDb host (``name[:port]``) with the time its next request may
start. A process takes a slot by moving it forward by one request interval in a single atomic
upsert (:mod:`imdb_tracker.db.request_budget`), so every run, sensor and CLI command together stay
within the configured requests per second, however many run at once.

``reviews.missed_scrapes`` counts the complete scrapes in a row that did not return the review (a
scrape that returns it resets the count). A review is marked removed only when it reaches two, so
neither one scrape that IMDb cut short nor IMDb's announced count drifting hides a live review.
``ix_reviews_movie_first_seen`` lets the "reviews keep arriving" check find a movie's newest
arrival without scanning its reviews.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imdb_request_budget",
        sa.Column("host", sa.Text(), nullable=False, comment="IMDb host, name[:port]"),
        sa.Column(
            "next_slot_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when the next request to the host may start (database clock)",
        ),
        sa.PrimaryKeyConstraint("host"),
    )
    op.add_column(
        "reviews",
        sa.Column(
            "missed_scrapes",
            sa.SmallInteger(),
            server_default="0",
            nullable=False,
            comment="complete scrapes in a row that did not return the review",
        ),
    )
    op.create_index("ix_reviews_movie_first_seen", "reviews", ["movie_id", "first_seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reviews_movie_first_seen", table_name="reviews")
    op.drop_column("reviews", "missed_scrapes")
    op.drop_table("imdb_request_budget")
