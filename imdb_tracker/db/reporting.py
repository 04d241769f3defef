"""The reporting layer the dashboards read: view names, their refresh, and the read-only role.

The views themselves are created by migrations ``0002_reporting_views``,
``0005_client_names_posters_reception_views``, (reception events, daily timeline, aspect quotes)
``0006_reception_events`` and (the timeline at each movie's grain) ``0007_reception_timeline``.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

READONLY_ROLE = "imdb_reader"

REPORTING_VIEWS: tuple[str, ...] = (
    "v_movie_summary",
    "v_reviews",
    "v_rating_history",
    "v_aspect_scores",
    "v_aspect_histogram",
    "v_reviews_weekly",
    "v_reviews_monthly",
    "v_movie_overview",
    "v_review_periods",
    "v_aspect_periods",
    "v_aspect_benchmark",
    "v_sentiment_provenance",
    "v_latest_reviews",
    "v_helpful_reviews",
    "v_reception_events",
    "v_reception_daily",
    "v_aspect_quotes",
    "v_reception_periods",
)
"""The views a read-only reader may SELECT (and the only objects it may read)."""

MATERIALIZED_VIEWS: tuple[str, ...] = (
    "mv_review_weekly",
    "mv_review_monthly",
    "mv_aspect_histogram",
    "mv_movie_review_stats",
    "mv_review_periods",
    "mv_sentiment_provenance",
    "mv_reception_daily",
)
"""Pre-aggregated reviews and sentiments behind the views; see :func:`refresh_reporting`."""

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def refresh_reporting(conn: Connection) -> None:
    """Recompute the materialized aggregates; call after reviews or sentiments changed.

    ``CONCURRENTLY`` keeps the dashboards readable while the refresh runs.
    """
    for name in MATERIALIZED_VIEWS:
        conn.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name}"))


def ensure_readonly_role(conn: Connection, role: str, password: str | None) -> None:
    """Create or update login role ``role`` that can only SELECT the reporting views.

    The role owns nothing: it gets USAGE on the schema and SELECT on :data:`REPORTING_VIEWS`,
    and any other privilege it had on the schema's tables is revoked. The views belong to the
    pipeline's role, so they read the base tables with that role's rights. Re-run after a
    migration recreates the views (grants go with a dropped view).
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"invalid role name {role!r}: use lowercase letters, digits and _")
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    verb = "ALTER" if exists else "CREATE"
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
    if password is None:
        conn.execute(text(f"{verb} ROLE {role} {options}"))
    else:
        quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
        conn.execute(text(f"{verb} ROLE {role} {options} PASSWORD {quoted}"))
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'REVOKE CREATE ON SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
    conn.execute(text(f"GRANT SELECT ON {', '.join(REPORTING_VIEWS)} TO {role}"))
