"""What the CLI and the pipeline call: provisioning the dashboards and managing clients, from settings.

Admin credentials and the read-only role's password come from :class:`~imdb_tracker.settings.Settings`
(``SUPERSET_ADMIN_PASSWORD``, ``SUPERSET_READONLY_PASSWORD``); nothing has a default password.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine, delete, make_url

from imdb_tracker.db.movies import client_movie_ids, ensure_client
from imdb_tracker.db.reporting import READONLY_ROLE, ensure_readonly_role
from imdb_tracker.db.schema import clients
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.access import (
    ClientAccess,
    apply_client_access,
    client_names,
    ensure_client_user,
    remove_client_access,
    sync_all_clients,
    user_id,
    validate_client_name,
)
from imdb_tracker.superset_client.api import SupersetApi
from imdb_tracker.superset_client.bundle import DATABASE_FILE, PASSWORD_MASK, build_bundle_zip, bundle_uuids


class SupersetConfigError(Exception):
    """A setting Superset needs is missing; the message names it."""


@dataclass(frozen=True)
class ProvisionReport:
    """What a provisioning run imported and re-applied."""

    dashboards: dict[str, int]
    charts: int
    datasets: int
    clients: list[ClientAccess]


@dataclass(frozen=True)
class ClientStatus:
    """A client of the tracker database and whether Superset knows it."""

    name: str
    movie_ids: tuple[str, ...]
    has_superset_user: bool


def admin_api(settings: Settings) -> SupersetApi:
    """A session on ``SUPERSET_URL`` as the admin user of the settings."""
    if settings.superset_admin_password is None:
        raise SupersetConfigError(
            "SUPERSET_ADMIN_PASSWORD is not set: put the Superset admin password in the environment or .env"
        )
    return SupersetApi.login(
        settings.superset_url,
        settings.superset_admin_user,
        settings.superset_admin_password.get_secret_value(),
    )


def readonly_password(settings: Settings) -> str:
    """The read-only database role's password (required: Superset connects with it)."""
    if settings.superset_readonly_password is None:
        raise SupersetConfigError(
            "SUPERSET_READONLY_PASSWORD is not set: choose a password for the read-only database role "
            f"{READONLY_ROLE} and put it in the environment or .env"
        )
    return settings.superset_readonly_password.get_secret_value()


def reader_sqlalchemy_uri(tracker_url: str, role: str = READONLY_ROLE) -> str:
    """The tracker database URL as the read-only role, password masked (Superset's import fills it)."""
    url = make_url(tracker_url).set(drivername="postgresql+psycopg2", username=role, password=PASSWORD_MASK)
    return url.render_as_string(hide_password=False)


def provision(settings: Settings, engine: Engine, database_uri: str | None = None) -> ProvisionReport:
    """Create the read-only role, import the bundle (overwrite) and re-apply every client's access.

    ``database_uri`` is the tracker database as Superset reaches it, when that differs from
    ``engine``'s URL (e.g. another host name inside Docker); its credentials are replaced.
    Idempotent: a second run leaves Superset as the first one did.
    """
    password = readonly_password(settings)
    api = admin_api(settings)
    with engine.begin() as conn:
        ensure_readonly_role(conn, READONLY_ROLE, password)
    source = database_uri or engine.url.render_as_string(hide_password=False)
    # The assets endpoint overwrites databases, datasets, charts and dashboards alike; the dashboard
    # endpoint overwrites only the dashboards and keeps stale charts and datasets.
    bundle = build_bundle_zip(reader_sqlalchemy_uri(source), metadata_type="assets")
    api.request(
        "POST",
        "/api/v1/assets/import/",
        files={"bundle": ("imdb_tracker_dashboards.zip", bundle, "application/zip")},
        data={"passwords": json.dumps({DATABASE_FILE: password})},
    )
    wanted = set(bundle_uuids("dashboards").values())
    dashboards = {
        row["dashboard_title"]: row["id"]
        for row in api.list("dashboard", columns=["id", "uuid", "dashboard_title"])
        if row["uuid"] in wanted
    }
    return ProvisionReport(
        dashboards=dashboards,
        charts=len(bundle_uuids("charts")),
        datasets=len(bundle_uuids("datasets")),
        clients=sync_all_clients(api, engine),
    )


def sync_client_access(settings: Settings, engine: Engine, client_name: str) -> ClientAccess:
    """Re-apply one client's Superset access from its watchlist (call after ``movies add --client``)."""
    api = admin_api(settings)
    with engine.connect() as conn:
        return apply_client_access(api, conn, client_name)


def add_client(settings: Settings, engine: Engine, name: str, password: str) -> ClientAccess:
    """Register client ``name`` (database and Superset user + role + RLS rule), password as given."""
    validate_client_name(name)
    if not password:
        raise ValueError("the client's password must not be empty")
    api = admin_api(settings)
    with engine.begin() as conn:
        ensure_client(conn, name)
        access = apply_client_access(api, conn, name)
    ensure_client_user(api, name, password)
    return access


def remove_client(settings: Settings, engine: Engine, name: str) -> bool:
    """Delete client ``name`` from Superset and from the database (its watchlist goes too)."""
    api = admin_api(settings)
    removed = remove_client_access(api, name)
    with engine.begin() as conn:
        removed = conn.execute(delete(clients).where(clients.c.name == name)).rowcount > 0 or removed
    return removed


def client_names_in_database(engine: Engine) -> list[str]:
    """Every client of the tracker database, sorted."""
    with engine.connect() as conn:
        return client_names(conn)


def list_clients(settings: Settings, engine: Engine) -> list[ClientStatus]:
    """Every client of the database with its watchlist and whether it has a Superset user."""
    api = admin_api(settings)
    with engine.connect() as conn:
        return [
            ClientStatus(name, tuple(client_movie_ids(conn, name)), user_id(api, name) is not None)
            for name in client_names(conn)
        ]
