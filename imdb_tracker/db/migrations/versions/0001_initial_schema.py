"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "movies",
        sa.Column("movie_id", sa.String(length=12), nullable=False, comment="IMDb title id, tt…"),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("original_title", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("runtime_minutes", sa.Integer(), nullable=True),
        sa.Column("genres", sa.ARRAY(sa.Text()), nullable=True),
        sa.Column("plot", sa.Text(), nullable=True),
        sa.Column("poster_url", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_metadata_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reviews_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("movie_id ~ '^tt[0-9]{7,9}$'", name="movie_id_format"),
        sa.PrimaryKeyConstraint("movie_id"),
    )
    op.create_table(
        "client_movies",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "movie_id"),
    )
    op.create_index("ix_client_movies_movie", "client_movies", ["movie_id"], unique=False)
    op.create_table(
        "movie_snapshots",
        sa.Column("snapshot_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("rating", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=True),
        sa.Column("metascore", sa.Integer(), nullable=True),
        sa.Column("popularity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("snapshot_id"),
    )
    op.create_index(
        "ix_movie_snapshots_movie_taken", "movie_snapshots", ["movie_id", "taken_at"], unique=False
    )
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(length=16), nullable=False, comment="IMDb review id, rw…"),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=16), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.Date(), nullable=False),
        sa.Column("helpful_up", sa.Integer(), server_default="0", nullable=False),
        sa.Column("helpful_down", sa.Integer(), server_default="0", nullable=False),
        sa.Column("spoiler", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "first_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("review_id ~ '^rw[0-9]+$'", name="review_id_format"),
        sa.CheckConstraint("rating BETWEEN 1 AND 10", name="rating_range"),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index("ix_reviews_movie_submitted", "reviews", ["movie_id", "submitted_at"], unique=False)
    op.create_table(
        "review_sentiments",
        sa.Column("review_id", sa.String(length=16), nullable=False),
        sa.Column("movie_id", sa.String(length=12), nullable=False),
        sa.Column("storytelling", sa.SmallInteger(), nullable=True),
        sa.Column("acting", sa.SmallInteger(), nullable=True),
        sa.Column("cinematography", sa.SmallInteger(), nullable=True),
        sa.Column("music_sound", sa.SmallInteger(), nullable=True),
        sa.Column("themes", sa.SmallInteger(), nullable=True),
        sa.Column("overall", sa.SmallInteger(), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("acting BETWEEN -2 AND 2", name="acting_range"),
        sa.CheckConstraint("cinematography BETWEEN -2 AND 2", name="cinematography_range"),
        sa.CheckConstraint("music_sound BETWEEN -2 AND 2", name="music_sound_range"),
        sa.CheckConstraint("overall BETWEEN -2 AND 2", name="overall_range"),
        sa.CheckConstraint("storytelling BETWEEN -2 AND 2", name="storytelling_range"),
        sa.CheckConstraint("themes BETWEEN -2 AND 2", name="themes_range"),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.movie_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.review_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index("ix_review_sentiments_movie", "review_sentiments", ["movie_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_review_sentiments_movie", table_name="review_sentiments")
    op.drop_table("review_sentiments")
    op.drop_index("ix_reviews_movie_submitted", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_movie_snapshots_movie_taken", table_name="movie_snapshots")
    op.drop_table("movie_snapshots")
    op.drop_index("ix_client_movies_movie", table_name="client_movies")
    op.drop_table("client_movies")
    op.drop_table("movies")
    op.drop_table("clients")
