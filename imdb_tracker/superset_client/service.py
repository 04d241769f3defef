"""What the CLI and the pipeline call: provisioning the dashboards and managing clients, from settings.

Admin credentials and the read-only role's password come from :class:`~imdb_tracker.settings.Settings`
(``SUPERSET_ADMIN_PASSWORD``, ``SUPERSET_READONLY_PASSWORD``); nothing has a default password.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, make_url

from imdb_tracker.db.clients import (
    client_movie_ids,
    client_watchlists,
    create_client,
    delete_client,
    require_client,
    validate_client_name,
)
from imdb_tracker.db.reporting import READONLY_ROLE, ensure_readonly_role
from imdb_tracker.settings import Settings
from imdb_tracker.superset_client.access import (
    ClientAccess,
    ClientSnapshot,
    SupersetUser,
    apply_client_access,
    bundle_objects,
    check_client_name_is_free,
    client_snapshot,
    ensure_client_user,
    find_user,
    remove_client_user,
    remove_role,
    remove_rule,
    restore_client,
)
from imdb_tracker.superset_client.api import SupersetApi, SupersetError
from imdb_tracker.superset_client.bundle import DATABASE_FILE, PASSWORD_MASK, build_bundle_zip, bundle_uuids
from imdb_tracker.superset_client.reconcile import Drift, invalid_clients, reconcile


class SupersetConfigError(Exception):
    """A setting Superset needs is missing; the message names it."""


@dataclass(frozen=True)
class ProvisionReport:
    """What a provisioning run imported and re-applied."""

    dashboards: dict[str, int]
    charts: int
    datasets: int
    clients: int
    repaired: list[Drift]


@dataclass(frozen=True)
class ClientStatus:
    """A client of the tracker database, what it sees, and its Superset user."""

    name: str
    visible: tuple[str, ...]
    """Movies on its watchlist that are tracked: what its dashboards show."""
    untracked: tuple[str, ...]
    """Movies on its watchlist that are not tracked (hidden until tracked again)."""
    user: SupersetUser | None


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


def provision(
    settings: Settings, engine: Engine, tracked: Collection[str], database_uri: str | None = None
) -> ProvisionReport:
    """Create the read-only role, import the bundle (overwrite) and repair every client's access
    (``tracked``: the tracked movie ids; a client sees the tracked movies of its watchlist).

    ``database_uri`` is the tracker database as Superset reaches it, when that differs from
    ``engine``'s URL (e.g. another host name inside Docker); its credentials are replaced.
    Idempotent: a second run leaves Superset as the first one did.
    """
    password = readonly_password(settings)
    with engine.begin() as conn:
        ensure_readonly_role(conn, READONLY_ROLE, password)
    api = admin_api(settings)
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
    with engine.connect() as conn:
        watchlists = client_watchlists(conn, tracked)
    return ProvisionReport(
        dashboards=dashboards,
        charts=len(bundle_uuids("charts")),
        datasets=len(bundle_uuids("datasets")),
        clients=len(watchlists),
        repaired=reconcile(api, watchlists),
    )


class WatchlistSync:
    """Publishes changed client watchlists to Superset within a database transaction.

    It logs in to Superset only when a watchlist changes; :meth:`transaction` puts every client it
    changed back as it was when the transaction fails (a later step, or the commit itself).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._api: SupersetApi | None = None
        self._snapshots: list[ClientSnapshot] = []

    def api(self) -> SupersetApi:
        """The admin session, opened on first use."""
        if self._api is None:
            self._api = admin_api(self.settings)
        return self._api

    def publish(self, watchlists: Mapping[str, tuple[str, ...]]) -> list[ClientAccess]:
        """Apply ``{client: visible movie ids}`` to Superset (clients with unusable names skipped)."""
        skipped = set(invalid_clients(watchlists))
        wanted = {name: ids for name, ids in sorted(watchlists.items()) if name not in skipped}
        if not wanted:
            return []
        api = self.api()
        objects = bundle_objects(api)
        applied = []
        for client, movie_ids in wanted.items():
            self._snapshots.append(client_snapshot(api, client))
            applied.append(apply_client_access(api, client, movie_ids, objects))
        return applied

    def remember(self, snapshot: ClientSnapshot) -> None:
        """Record a client's state before a change made outside :meth:`publish`."""
        self._snapshots.append(snapshot)

    @contextmanager
    def transaction(self, engine: Engine) -> Iterator[Connection]:
        """A database transaction; when anything in it fails, Superset is put back too."""
        self._snapshots = []
        try:
            with engine.begin() as conn:
                yield conn
        except BaseException as exc:
            self._restore(exc)
            raise
        finally:
            self._snapshots = []

    def _restore(self, cause: BaseException) -> None:
        if not self._snapshots:
            return
        try:
            for snapshot in reversed(self._snapshots):
                restore_client(self.api(), snapshot)
        except SupersetError as exc:
            raise SupersetError(
                f"{cause}; putting Superset back failed too ({exc}): run `imdb-tracker clients sync`"
            ) from cause


def add_client(
    settings: Settings, engine: Engine, tracked: Collection[str], name: str, password: str
) -> ClientAccess:
    """Register client ``name``: database row, Superset role + RLS rule on its watchlist, and a user
    with ``password``. Refuses (:class:`ForeignUserError`) a name that belongs to a Superset user
    imdb-tracker did not create; nothing changes on either side when any step fails."""
    validate_client_name(name)
    if not password:
        raise ValueError("the client's password must not be empty")
    sync = WatchlistSync(settings)
    check_client_name_is_free(sync.api(), name, settings.superset_admin_user)
    with sync.transaction(engine) as conn:
        create_client(conn, name)
        [access] = sync.publish({name: client_watchlists(conn, tracked)[name]})
        ensure_client_user(sync.api(), name, password, settings.superset_admin_user)
    return access


def remove_client(settings: Settings, engine: Engine, name: str) -> bool:
    """Delete client ``name``: its Superset user (only one imdb-tracker created), role and rule, then
    its database row and watchlist. False when there is no such client."""
    with engine.begin() as conn:
        if not delete_client(conn, name):
            validate_client_name(name)
            return False
        api = admin_api(settings)
        remove_client_user(api, name)
        remove_role(api, name)
        remove_rule(api, name)
    return True


def sync_clients(
    settings: Settings, engine: Engine, tracked: Collection[str], names: Collection[str] = ()
) -> list[Drift]:
    """Repair the Superset access of ``names`` (default: every client and what removed clients
    left behind); the drift that was found and repaired."""
    with engine.connect() as conn:
        for name in names:
            validate_client_name(name)
            require_client(conn, name)
        watchlists = client_watchlists(conn, tracked)
    return reconcile(admin_api(settings), watchlists, only=names)


def list_clients(settings: Settings, engine: Engine, tracked: Collection[str]) -> list[ClientStatus]:
    """Every client with what it sees, what is hidden (untracked) and its Superset user."""
    api = admin_api(settings)
    with engine.connect() as conn:
        watchlists = client_watchlists(conn, tracked)
        return [
            ClientStatus(
                name,
                visible,
                tuple(m for m in client_movie_ids(conn, name) if m not in visible),
                find_user(api, name),
            )
            for name, visible in sorted(watchlists.items())
        ]
