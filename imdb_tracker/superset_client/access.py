"""Per-client access in Superset: a role, a user, and a row-level-security rule from the watchlist.

For client ``acme`` Superset holds:

- role ``client_acme`` with ``datasource_access`` on every dataset of the bundle, listed in the
  ``roles`` of every dashboard of the bundle (``DASHBOARD_RBAC``);
- rule ``client_acme_watchlist`` (filter type Regular) on every dataset, for that role, with the
  clause ``movie_id IN ('tt…', …)`` made from ``client_movies`` (``1 = 0`` for an empty watchlist);
- user ``acme`` with the roles ``Gamma`` (Superset's read-only base role) and ``client_acme``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from imdb_tracker.db.movies import client_movie_ids
from imdb_tracker.db.schema import clients
from imdb_tracker.superset_client.api import SupersetApi, SupersetError
from imdb_tracker.superset_client.bundle import bundle_uuids

BASE_ROLE = "Gamma"
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_MOVIE_ID = re.compile(r"^tt[0-9]{7,9}$")


def validate_client_name(name: str) -> str:
    """``name`` if usable as a Superset username and role suffix, else ValueError."""
    if not _CLIENT_NAME.match(name):
        raise ValueError(
            f"invalid client name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def client_role_name(client: str) -> str:
    """Name of the Superset role of a client."""
    return f"client_{client}"


def rls_rule_name(client: str) -> str:
    """Name of the row-level-security rule of a client."""
    return f"client_{client}_watchlist"


def watchlist_clause(movie_ids: list[str]) -> str:
    """SQL condition keeping the rows of ``movie_ids`` only (none when the list is empty)."""
    for movie_id in movie_ids:
        if not _MOVIE_ID.match(movie_id):
            raise ValueError(f"not an IMDb title id: {movie_id!r}")
    if not movie_ids:
        return "1 = 0"
    return "movie_id IN (" + ", ".join(f"'{m}'" for m in sorted(movie_ids)) + ")"


@dataclass(frozen=True)
class BundleObjects:
    """Superset ids of the datasets and dashboards that came from the bundle."""

    dataset_ids: tuple[int, ...]
    dashboard_ids: tuple[int, ...]


@dataclass(frozen=True)
class ClientAccess:
    """What a client can see, as applied to Superset."""

    client: str
    role_id: int
    movie_ids: tuple[str, ...]
    clause: str


def bundle_objects(api: SupersetApi) -> BundleObjects:
    """Look up the imported datasets and dashboards; SupersetError if the bundle was not provisioned."""
    found = {}
    for kind, resource in (("datasets", "dataset"), ("dashboards", "dashboard")):
        wanted = bundle_uuids(kind)
        ids = {row["uuid"]: row["id"] for row in api.list(resource, columns=["id", "uuid"])}
        missing = sorted(name for name, uuid in wanted.items() if uuid not in ids)
        if missing:
            raise SupersetError(
                f"{resource}s {', '.join(missing)} are not in Superset: run `imdb-tracker superset provision`"
            )
        found[kind] = tuple(sorted(ids[uuid] for uuid in wanted.values()))
    return BundleObjects(found["datasets"], found["dashboards"])


def role_id(api: SupersetApi, name: str) -> int | None:
    """Id of the Superset role ``name``, or None."""
    rows = api.list("security/roles", filters=[("name", "eq", name)])
    return rows[0]["id"] if rows else None


def ensure_role(api: SupersetApi, name: str) -> int:
    """Id of the Superset role ``name``, created when absent."""
    existing = role_id(api, name)
    return existing if existing is not None else api.post("/api/v1/security/roles/", {"name": name})["id"]


def user_id(api: SupersetApi, username: str) -> int | None:
    """Id of the Superset user ``username``, or None."""
    rows = api.list("security/users", filters=[("username", "eq", username)], columns=["id", "username"])
    return rows[0]["id"] if rows else None


def apply_client_access(api: SupersetApi, conn: Connection, client: str) -> ClientAccess:
    """Make Superset's role, permissions, RLS rule and dashboard roles of ``client`` match the database."""
    validate_client_name(client)
    objects = bundle_objects(api)
    movie_ids = client_movie_ids(conn, client)
    clause = watchlist_clause(movie_ids)
    role = ensure_role(api, client_role_name(client))
    _grant_datasets(api, role, objects.dataset_ids)
    _put_rls_rule(api, client, role, objects.dataset_ids, clause)
    for dashboard in objects.dashboard_ids:
        _set_dashboard_role(api, dashboard, role, present=True)
    return ClientAccess(client, role, tuple(movie_ids), clause)


def ensure_client_user(api: SupersetApi, client: str, password: str) -> int:
    """Create or update user ``client`` (roles Gamma + the client's role, the given password)."""
    base = role_id(api, BASE_ROLE)
    own = ensure_role(api, client_role_name(client))
    if base is None:
        raise SupersetError(f"Superset has no {BASE_ROLE} role: run `superset init` first")
    payload = {
        "username": client,
        "first_name": client,
        "last_name": "(client)",
        "email": f"{client}@clients.imdb-tracker.invalid",
        "active": True,
        "password": password,
        "roles": [base, own],
    }
    existing = user_id(api, client)
    if existing is None:
        return api.post("/api/v1/security/users/", payload)["id"]
    api.put(f"/api/v1/security/users/{existing}", payload)
    return existing


def remove_client_access(api: SupersetApi, client: str) -> bool:
    """Delete the client's user, RLS rule and role (and its dashboard grants); True if any existed."""
    removed = False
    for rule in api.list("rowlevelsecurity", filters=[("name", "eq", rls_rule_name(client))]):
        api.delete(f"/api/v1/rowlevelsecurity/{rule['id']}")
        removed = True
    existing_user = user_id(api, client)
    if existing_user is not None:
        api.delete(f"/api/v1/security/users/{existing_user}")
        removed = True
    role = role_id(api, client_role_name(client))
    if role is not None:
        for dashboard in api.list("dashboard", columns=["id"]):
            _set_dashboard_role(api, dashboard["id"], role, present=False)
        api.delete(f"/api/v1/security/roles/{role}")
        removed = True
    return removed


def client_names(conn: Connection) -> list[str]:
    """Every client of the tracker database, sorted."""
    return list(conn.execute(select(clients.c.name).order_by(clients.c.name)).scalars())


def sync_all_clients(api: SupersetApi, engine: Engine) -> list[ClientAccess]:
    """Re-apply the access of every client of the database."""
    with engine.connect() as conn:
        return [apply_client_access(api, conn, name) for name in client_names(conn)]


def _grant_datasets(api: SupersetApi, role: int, dataset_ids: tuple[int, ...]) -> None:
    [access] = api.list("security/permissions", filters=[("name", "eq", "datasource_access")])
    suffixes = {f"(id:{i})" for i in dataset_ids}
    permission_ids = sorted(
        row["id"]
        for row in api.list(
            "security/permissions-resources", filters=[("permission", "rel_o_m", access["id"])]
        )
        if any(row["view_menu"]["name"].endswith(s) for s in suffixes)
    )
    if len(permission_ids) != len(dataset_ids):
        raise SupersetError(
            f"found {len(permission_ids)} datasource permissions for {len(dataset_ids)} datasets"
        )
    api.post(f"/api/v1/security/roles/{role}/permissions", {"permission_view_menu_ids": permission_ids})


def _put_rls_rule(
    api: SupersetApi, client: str, role: int, dataset_ids: tuple[int, ...], clause: str
) -> None:
    name = rls_rule_name(client)
    payload = {
        "name": name,
        "description": f"Rows of the movies on {client}'s watchlist (imdb-tracker clients sync)",
        "filter_type": "Regular",
        "tables": list(dataset_ids),
        "roles": [role],
        "group_key": "",
        "clause": clause,
    }
    existing = api.list("rowlevelsecurity", filters=[("name", "eq", name)])
    if existing:
        api.put(f"/api/v1/rowlevelsecurity/{existing[0]['id']}", payload)
    else:
        api.post("/api/v1/rowlevelsecurity/", payload)


def _set_dashboard_role(api: SupersetApi, dashboard: int, role: int, present: bool) -> None:
    current = [r["id"] for r in api.get(f"/api/v1/dashboard/{dashboard}")["result"].get("roles", [])]
    wanted = sorted(set(current) | {role}) if present else sorted(set(current) - {role})
    if wanted != sorted(current):
        api.put(f"/api/v1/dashboard/{dashboard}", {"roles": wanted})
