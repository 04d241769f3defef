"""Per-client access in Superset: a role, a row-level-security rule from the watchlist, and a user.

For client ``acme`` Superset holds:

- role ``client_acme`` with ``datasource_access`` on every dataset of the bundle, listed in the
  ``roles`` of every dashboard of the bundle (``DASHBOARD_RBAC``);
- rule ``client_acme_watchlist`` (filter type Regular) on every dataset, for that role, with the
  clause ``movie_id IN ('tt…', …)`` (``1 = 0`` for an empty watchlist), and rule
  ``client_acme_watchlist_focus`` with ``focus_movie_id IN (…)`` on the datasets that compare a
  focus movie with the others (``v_aspect_benchmark``), so neither side of a comparison can be a
  movie the client does not watch;
- user ``acme`` with the roles ``Gamma`` (Superset's read-only base role), ``client_acme`` and the
  marker role ``imdb_tracker_client``.

The marker role is the clients' namespace: a Superset user without it was not created by
imdb-tracker, and is never modified or deleted (:class:`ForeignUserError`).

A caller that changes the database in the same command takes a :func:`client_snapshot` first, so
it can put Superset back (:func:`restore_client`) when its transaction fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from imdb_tracker.db.clients import validate_client_name
from imdb_tracker.superset_client.api import SupersetApi, SupersetError
from imdb_tracker.superset_client.bundle import bundle_uuids

BASE_ROLE = "Gamma"
CLIENT_MARKER_ROLE = "imdb_tracker_client"
"""Given to every user imdb-tracker creates; users without it are left alone."""
CLIENT_ROLE_PREFIX = "client_"
RULE_SUFFIX = "_watchlist"
MOVIE_COLUMN = "movie_id"
FOCUS_COLUMN = "focus_movie_id"
FOCUS_DATASETS = ("v_aspect_benchmark",)
"""Datasets with a second movie column (the movie the others are compared with)."""
RULE_COLUMNS = {MOVIE_COLUMN: RULE_SUFFIX, FOCUS_COLUMN: f"{RULE_SUFFIX}_focus"}
EMPTY_CLAUSE = "1 = 0"
_MOVIE_ID = re.compile(r"^tt[0-9]{7,9}$")


class ForeignUserError(ValueError):
    """The client name belongs to a Superset user imdb-tracker did not create."""


def client_role_name(client: str) -> str:
    """Name of the Superset role of a client."""
    return f"{CLIENT_ROLE_PREFIX}{client}"


def rls_rule_name(client: str, column: str = MOVIE_COLUMN) -> str:
    """Name of the client's row-level-security rule on ``column``."""
    return f"{CLIENT_ROLE_PREFIX}{client}{RULE_COLUMNS[column]}"


def client_of_rule(rule_name: str) -> str | None:
    """The client a rule name belongs to, or None when it is not a client rule."""
    if not rule_name.startswith(CLIENT_ROLE_PREFIX):
        return None
    for suffix in sorted(RULE_COLUMNS.values(), key=len, reverse=True):
        if rule_name.endswith(suffix):
            return rule_name[len(CLIENT_ROLE_PREFIX) : -len(suffix)] or None
    return None


def watchlist_clause(movie_ids: tuple[str, ...] | list[str], column: str = MOVIE_COLUMN) -> str:
    """SQL condition keeping the rows whose ``column`` is one of ``movie_ids`` (none when empty)."""
    for movie_id in movie_ids:
        if not _MOVIE_ID.match(movie_id):
            raise ValueError(f"not an IMDb title id: {movie_id!r}")
    if not movie_ids:
        return EMPTY_CLAUSE
    return f"{column} IN (" + ", ".join(f"'{m}'" for m in sorted(movie_ids)) + ")"


@dataclass(frozen=True)
class BundleObjects:
    """Superset ids of the datasets and dashboards that came from the bundle."""

    dataset_ids: tuple[int, ...]
    focus_dataset_ids: tuple[int, ...]
    dashboard_ids: tuple[int, ...]

    def rule_datasets(self, column: str) -> tuple[int, ...]:
        """The datasets a client's rule on ``column`` covers."""
        return self.dataset_ids if column == MOVIE_COLUMN else self.focus_dataset_ids


@dataclass(frozen=True)
class ClientAccess:
    """What a client can see, as applied to Superset."""

    client: str
    role_id: int
    movie_ids: tuple[str, ...]
    clause: str


@dataclass(frozen=True)
class ClientSnapshot:
    """A client's role and rule clauses before a change (:func:`restore_client`)."""

    client: str
    role_id: int | None
    clauses: dict[str, str]
    """Clause of each rule that existed, by rule name."""


@dataclass(frozen=True)
class SupersetUser:
    """A Superset user as far as client management cares."""

    id: int
    username: str
    roles: tuple[str, ...]
    active: bool

    @property
    def is_client(self) -> bool:
        """True when imdb-tracker created this user (it has the marker role)."""
        return CLIENT_MARKER_ROLE in self.roles


def bundle_objects(api: SupersetApi) -> BundleObjects:
    """Look up the imported datasets and dashboards; SupersetError if the bundle was not provisioned."""
    found: dict[str, dict[str, int]] = {}
    for kind, resource in (("datasets", "dataset"), ("dashboards", "dashboard")):
        wanted = bundle_uuids(kind)
        ids = {row["uuid"]: row["id"] for row in api.list(resource, columns=["id", "uuid"])}
        missing = sorted(name for name, uuid in wanted.items() if uuid not in ids)
        if missing:
            raise SupersetError(
                f"{resource}s {', '.join(missing)} are not in Superset: run `imdb-tracker superset provision`"
            )
        found[kind] = {name: ids[uuid] for name, uuid in wanted.items()}
    datasets, dashboards = found["datasets"], found["dashboards"]
    return BundleObjects(
        tuple(sorted(datasets.values())),
        tuple(sorted(datasets[name] for name in FOCUS_DATASETS if name in datasets)),
        tuple(sorted(dashboards.values())),
    )


def role_id(api: SupersetApi, name: str) -> int | None:
    """Id of the Superset role ``name``, or None."""
    rows = api.list("security/roles", filters=[("name", "eq", name)])
    return rows[0]["id"] if rows else None


def ensure_role(api: SupersetApi, name: str) -> tuple[int, bool]:
    """``(id, created)`` of the Superset role ``name``, created when absent."""
    existing = role_id(api, name)
    if existing is not None:
        return existing, False
    return api.post("/api/v1/security/roles/", {"name": name})["id"], True


def find_user(api: SupersetApi, username: str) -> SupersetUser | None:
    """The Superset user called ``username`` (compared case-insensitively, as Superset logs in), or None."""
    rows = api.list(
        "security/users",
        filters=[("username", "ct", username)],
        columns=["id", "username", "active", "roles.name"],
    )
    for row in rows:
        if row["username"].lower() == username.lower():
            roles = tuple(sorted(role["name"] for role in row.get("roles", [])))
            return SupersetUser(row["id"], row["username"], roles, bool(row.get("active", True)))
    return None


def client_users(api: SupersetApi) -> list[SupersetUser]:
    """Every Superset user imdb-tracker created (those with the marker role)."""
    marker = role_id(api, CLIENT_MARKER_ROLE)
    if marker is None:
        return []
    rows = api.list(
        "security/users",
        filters=[("roles", "rel_m_m", marker)],
        columns=["id", "username", "active", "roles.name"],
    )
    return [
        SupersetUser(
            r["id"], r["username"], tuple(sorted(x["name"] for x in r.get("roles", []))), bool(r["active"])
        )
        for r in rows
    ]


def check_client_name_is_free(api: SupersetApi, client: str, admin_user: str) -> SupersetUser | None:
    """The client's existing user (None when there is none); :class:`ForeignUserError` when the name
    is taken by a user imdb-tracker did not create, or is the configured admin's."""
    validate_client_name(client)
    if client.lower() == admin_user.lower():
        raise ForeignUserError(f"{client!r} is the Superset admin user: pick another client name")
    user = find_user(api, client)
    if user is not None and not user.is_client:
        raise ForeignUserError(
            f"Superset user {user.username!r} was not created by imdb-tracker: pick another client name"
        )
    return user


def client_rules(api: SupersetApi, client: str) -> dict[str, dict[str, Any]]:
    """The client's row-level-security rules as Superset lists them, by name."""
    names = {rls_rule_name(client, column) for column in RULE_COLUMNS}
    return {r["name"]: r for r in api.list("rowlevelsecurity") if r["name"] in names}


def apply_client_access(
    api: SupersetApi, client: str, movie_ids: tuple[str, ...], objects: BundleObjects | None = None
) -> ClientAccess:
    """Make the client's role, RLS rule, dataset permissions and dashboard roles match ``movie_ids``.

    The rule is written before the role gets any dataset permission, so the role never reads
    unfiltered rows.
    """
    validate_client_name(client)
    objects = objects or bundle_objects(api)
    role, _ = ensure_role(api, client_role_name(client))
    existing = client_rules(api, client)
    for column in RULE_COLUMNS:
        name = rls_rule_name(client, column)
        clause = watchlist_clause(movie_ids, column)
        _put_rule(api, name, client, [role], objects.rule_datasets(column), clause, existing.get(name))
    _grant_datasets(api, role, objects.dataset_ids)
    for dashboard in objects.dashboard_ids:
        set_dashboard_role(api, dashboard, role, present=True)
    return ClientAccess(client, role, tuple(movie_ids), watchlist_clause(movie_ids))


def client_snapshot(api: SupersetApi, client: str) -> ClientSnapshot:
    """The client's role and rule clauses as they are now."""
    clauses = {name: found["clause"] for name, found in client_rules(api, client).items()}
    return ClientSnapshot(client, role_id(api, client_role_name(client)), clauses)


def restore_client(api: SupersetApi, snapshot: ClientSnapshot) -> None:
    """Put a client's access back as :func:`client_snapshot` saw it: a role that did not exist goes
    (with its rules); otherwise each rule gets its old clause (``1 = 0`` if it did not exist)."""
    if snapshot.role_id is None:
        remove_role(api, snapshot.client)
        remove_rule(api, snapshot.client)
        return
    for name, existing in client_rules(api, snapshot.client).items():
        clause = snapshot.clauses.get(name, EMPTY_CLAUSE)
        if existing["clause"] != clause:
            tables = tuple(table["id"] for table in existing.get("tables", []))
            roles = [r["id"] for r in existing.get("roles", [])] or [snapshot.role_id]
            _put_rule(api, name, snapshot.client, roles, tables, clause, existing)


def ensure_client_user(api: SupersetApi, client: str, password: str, admin_user: str) -> int:
    """Create or update user ``client`` (roles Gamma + the client's role + the marker, the given
    password); :class:`ForeignUserError` when the name belongs to a user imdb-tracker did not create."""
    existing = check_client_name_is_free(api, client, admin_user)
    base = role_id(api, BASE_ROLE)
    if base is None:
        raise SupersetError(f"Superset has no {BASE_ROLE} role: run `superset init` first")
    own, _ = ensure_role(api, client_role_name(client))
    marker, _ = ensure_role(api, CLIENT_MARKER_ROLE)
    payload = {
        "username": client,
        "first_name": client,
        "last_name": "(client)",
        "email": f"{client}@clients.imdb-tracker.invalid",
        "active": True,
        "password": password,
        "roles": [base, own, marker],
    }
    if existing is None:
        return api.post("/api/v1/security/users/", payload)["id"]
    api.put(f"/api/v1/security/users/{existing.id}", payload)
    return existing.id


def remove_client_user(api: SupersetApi, client: str) -> bool:
    """Delete the client's user if imdb-tracker created it; True when one was deleted."""
    user = find_user(api, client)
    if user is None or not user.is_client:
        return False
    api.delete(f"/api/v1/security/users/{user.id}")
    return True


def remove_rule(api: SupersetApi, client: str) -> bool:
    """Delete the client's RLS rules; True when one existed."""
    existing = client_rules(api, client)
    for found in existing.values():
        api.delete(f"/api/v1/rowlevelsecurity/{found['id']}")
    return bool(existing)


def remove_role(api: SupersetApi, client: str) -> bool:
    """Delete the client's role (and its place in the dashboards' roles); True when it existed."""
    role = role_id(api, client_role_name(client))
    if role is None:
        return False
    for dashboard in api.list("dashboard", columns=["id"]):
        set_dashboard_role(api, dashboard["id"], role, present=False)
    api.delete(f"/api/v1/security/roles/{role}")
    return True


def dataset_permission_ids(api: SupersetApi, dataset_ids: tuple[int, ...]) -> list[int]:
    """Ids of the ``datasource_access`` permissions on ``dataset_ids``."""
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
    return permission_ids


def role_permission_ids(api: SupersetApi, role: int) -> set[int]:
    """Ids of the permissions a role holds."""
    return {row["id"] for row in api.get(f"/api/v1/security/roles/{role}/permissions/")["result"]}


def dashboard_role_ids(api: SupersetApi, dashboard: int) -> set[int]:
    """Ids of the roles a dashboard is shared with."""
    return {r["id"] for r in api.get(f"/api/v1/dashboard/{dashboard}")["result"].get("roles", [])}


def set_dashboard_role(api: SupersetApi, dashboard: int, role: int, present: bool) -> None:
    """Add ``role`` to (or take it off) the roles a dashboard is shared with."""
    current = dashboard_role_ids(api, dashboard)
    wanted = current | {role} if present else current - {role}
    if wanted != current:
        api.put(f"/api/v1/dashboard/{dashboard}", {"roles": sorted(wanted)})


def _grant_datasets(api: SupersetApi, role: int, dataset_ids: tuple[int, ...]) -> None:
    api.post(
        f"/api/v1/security/roles/{role}/permissions",
        {"permission_view_menu_ids": dataset_permission_ids(api, dataset_ids)},
    )


def _put_rule(
    api: SupersetApi,
    name: str,
    client: str,
    roles: list[int],
    dataset_ids: tuple[int, ...],
    clause: str,
    existing: dict[str, Any] | None,
) -> None:
    # Always the whole rule: Superset's PUT empties the tables and roles a payload leaves out.
    payload = {
        "name": name,
        "description": f"Rows of the movies on {client}'s watchlist (managed by imdb-tracker)",
        "filter_type": "Regular",
        "tables": list(dataset_ids),
        "roles": roles,
        "group_key": "",
        "clause": clause,
    }
    if existing:
        api.put(f"/api/v1/rowlevelsecurity/{existing['id']}", payload)
    else:
        api.post("/api/v1/rowlevelsecurity/", payload)
