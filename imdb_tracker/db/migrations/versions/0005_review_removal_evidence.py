"""evidence before a review is marked removed: complete scrapes in a row that missed it

``reviews.missed_scrapes`` counts the complete scrapes in a row that did not return the review
(a scrape that returns it resets the count). A review is marked removed only when it reaches two,
so neither one scrape that IMDb cut short nor IMDb's announced count drifting hides a live review.

``ix_reviews_movie_first_seen`` lets the "reviews keep arriving" check find a movie's newest
arrival without scanning its reviews.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
