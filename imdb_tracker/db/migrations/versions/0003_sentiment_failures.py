"""sentiment failures with attempt counts; sentiment fingerprints cover only what the backend reads

``sentiment_failures`` remembers, per review, how often scoring failed with the current
fingerprint (backend, model, prompt version, input hash) and the last error, so a review that keeps
failing is retried a bounded number of times and then reported instead of being re-sent forever.

``review_sentiments.content_hash`` now hashes what the backend reads (title and text for the LLM;
title, text and rating for the offline analyser) instead of the whole review (which included the
star rating and the spoiler flag). Scores of LLM backends that were computed from the review as
it is stored get the new hash here, so the upgrade itself triggers no paid re-scoring; offline
scores are recomputed anyway (new analyser version). The downgrade drops the table and leaves the
hashes as they are (the old code would re-score those reviews once).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT_ONLY_HASH = "encode(sha256(convert_to(concat(coalesce(r.title, ''), chr(31), r.text), 'UTF8')), 'hex')"


def upgrade() -> None:
    op.create_table(
        "sentiment_failures",
        sa.Column("review_id", sa.String(length=16), nullable=False),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=32), nullable=False),
        sa.Column(
            "content_hash", sa.String(length=64), nullable=False, comment="hash of what the backend read"
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column(
            "first_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "last_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("attempts >= 1", name="attempts_positive"),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.review_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index("ix_sentiment_failures_movie", "sentiment_failures", ["movie_id"], unique=False)
    op.alter_column(
        "review_sentiments",
        "content_hash",
        comment="hash of what the backend read",
        existing_nullable=False,
        existing_type=sa.String(length=64),
    )
    op.execute(
        f"UPDATE review_sentiments s SET content_hash = {TEXT_ONLY_HASH} FROM reviews r "
        "WHERE r.review_id = s.review_id AND s.backend <> 'offline' AND s.content_hash = r.content_hash"
    )


def downgrade() -> None:
    op.alter_column(
        "review_sentiments",
        "content_hash",
        comment=None,
        existing_nullable=False,
        existing_type=sa.String(length=64),
    )
    op.drop_index("ix_sentiment_failures_movie", table_name="sentiment_failures")
    op.drop_table("sentiment_failures")
