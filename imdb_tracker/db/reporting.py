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


class ReadonlyRoleError(Exception):
    """The connected role cannot create or fix the read-only role; the message says what it lacks."""


# Attributes the read-only role must not have, as (pg_roles column, clause that removes it).
_FORBIDDEN_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("rolsuper", "NOSUPERUSER"),
    ("rolcreatedb", "NOCREATEDB"),
    ("rolcreaterole", "NOCREATEROLE"),
    ("rolreplication", "NOREPLICATION"),
    ("rolbypassrls", "NOBYPASSRLS"),
    ("rolinherit", "NOINHERIT"),
)


def ensure_readonly_role(conn: Connection, role: str, password: str | None) -> None:
    """Create or update login role ``role`` that can only SELECT the reporting views.

    The role owns nothing: it gets USAGE on the schema and SELECT on :data:`REPORTING_VIEWS`,
    and any other privilege it had on the schema's tables is revoked. The views belong to the
    pipeline's role, so they read the base tables with that role's rights. Re-run after a
    migration recreates the views (grants go with a dropped view).

    Works as a superuser or as an ordinary owner with ``CREATEROLE``: only the attributes that
    differ from the wanted ones are changed (PostgreSQL lets only a superuser, or a holder of the
    attribute itself, name SUPERUSER, REPLICATION, BYPASSRLS or CREATEDB in ``ALTER ROLE``). On
    PostgreSQL 16+ a ``CREATEROLE`` owner may alter only roles it holds ADMIN OPTION on (it gets it
    on roles it creates). A role an administrator created without granting that is used as it is,
    password included, if it is safe (a login without the attributes above). Raises
    :class:`ReadonlyRoleError` naming the missing privilege otherwise.
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"invalid role name {role!r}: use lowercase letters, digits and _")
    me = conn.execute(
        text(
            "SELECT current_user AS name, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    existing = conn.execute(
        text(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
            "rolinherit, pg_has_role(current_user, oid, 'USAGE WITH ADMIN OPTION') AS is_admin "
            "FROM pg_roles WHERE rolname = :r"
        ),
        {"r": role},
    ).one_or_none()
    password_clause = "" if password is None else f" PASSWORD {_quote_literal(conn, password)}"
    if existing is None:
        if not (me.rolsuper or me.rolcreaterole):
            raise ReadonlyRoleError(
                f"database role {me.name} lacks the CREATEROLE privilege needed to create the read-only "
                f"role {role}: grant it (ALTER ROLE {me.name} CREATEROLE) or have an administrator "
                f"create {role} (see README, Managed PostgreSQL)"
            )
        conn.execute(text(f"CREATE ROLE {role} LOGIN NOINHERIT{password_clause}"))
    else:
        changes = [clause for column, clause in _FORBIDDEN_ATTRIBUTES if getattr(existing, column)]
        if not existing.rolcanlogin:
            changes.insert(0, "LOGIN")
        server_version = conn.execute(text("SHOW server_version_num")).scalar_one()
        can_alter = me.rolsuper or (
            me.rolcreaterole
            and not (existing.rolsuper or existing.rolreplication or existing.rolbypassrls)
            and (int(server_version) < 160000 or existing.is_admin)
        )
        if can_alter and (changes or password_clause):
            conn.execute(text(f"ALTER ROLE {role} {' '.join(changes)}{password_clause}"))
        elif changes:
            raise ReadonlyRoleError(
                f"database role {me.name} cannot alter role {role} ({' '.join(changes)} needed): "
                f"it needs CREATEROLE and ADMIN OPTION on {role} (GRANT {role} TO {me.name} WITH ADMIN "
                f"OPTION), or an administrator must make {role} a plain login role"
            )
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'REVOKE CREATE ON SCHEMA "{schema}" FROM {role}'))
    conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
    conn.execute(text(f"GRANT SELECT ON {', '.join(REPORTING_VIEWS)} TO {role}"))


def _quote_literal(conn: Connection, value: str) -> str:
    return conn.execute(text("SELECT quote_literal(:p)"), {"p": value}).scalar_one()
