"""the request budget every process shares: the next free request slot per IMDb host

One row per host (``name[:port]``): ``next_slot_at`` is when the next request to it may start.
A process takes a slot by moving it forward by one request interval in a single atomic upsert
(:mod:`imdb_tracker.db.request_budget`), so every run, sensor and CLI command together stay within
the configured requests per second, however many run at once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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


def downgrade() -> None:
    op.drop_table("imdb_request_budget")
