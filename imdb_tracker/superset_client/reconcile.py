"""Drift between the clients' watchlists and Superset: found, listed, repaired.

:func:`find_drift` only reads Superset and says, one line per problem, what differs from the
watchlists (a rule edited by hand, a movie removed from tracking in the Dagster UI, a role that
lost its dataset access, a client removed from the database behind the tool's back …);
:func:`reconcile` repairs every client concerned and returns the same list.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from imdb_tracker.db.clients import InvalidClientName, validate_client_name
from imdb_tracker.superset_client.access import (
    RULE_COLUMNS,
    BundleObjects,
    apply_client_access,
    bundle_objects,
    client_of_rule,
    client_role_name,
    client_users,
    dashboard_role_ids,
    dataset_permission_ids,
    remove_role,
    remove_rule,
    rls_rule_name,
    role_permission_ids,
    watchlist_clause,
)
from imdb_tracker.superset_client.api import SupersetApi


@dataclass(frozen=True)
class Drift:
    """One difference between a client's watchlist and Superset."""

    client: str
    problem: str

    def __str__(self) -> str:
        return f"{self.client}: {self.problem}"


def find_drift(
    api: SupersetApi,
    watchlists: Mapping[str, tuple[str, ...]],
    objects: BundleObjects | None = None,
    only: Collection[str] = (),
) -> list[Drift]:
    """Every difference between ``watchlists`` (``{client: visible movie ids}``, every client of the
    database) and Superset; with ``only``, the differences of those clients.

    Clients whose name cannot be a Superset user are skipped (see :func:`invalid_clients`).
    """
    objects = objects or bundle_objects(api)
    rules = {r["name"]: r for r in api.list("rowlevelsecurity")}
    roles = {r["name"]: r["id"] for r in api.list("security/roles")}
    dataset_permissions = set(dataset_permission_ids(api, objects.dataset_ids))
    shared_with = {dashboard: dashboard_role_ids(api, dashboard) for dashboard in objects.dashboard_ids}
    drift: list[Drift] = []
    valid = {name: ids for name, ids in watchlists.items() if name not in invalid_clients(watchlists)}
    for client, movie_ids in sorted(valid.items()):
        role = roles.get(client_role_name(client))
        if role is None:
            drift.append(Drift(client, f"role {client_role_name(client)} missing"))
        for column in RULE_COLUMNS:
            name = rls_rule_name(client, column)
            problem = _rule_problem(
                rules.get(name), watchlist_clause(movie_ids, column), objects, column, role
            )
            if problem:
                drift.append(Drift(client, f"rule {name}: {problem}"))
        if role is None:
            continue
        if role_permission_ids(api, role) != dataset_permissions:
            drift.append(Drift(client, "role's dataset permissions differ from the bundle's datasets"))
        if any(role not in ids for ids in shared_with.values()):
            drift.append(Drift(client, "a dashboard is not shared with the client's role"))
    owners = {client_of_rule(name) for name in rules}
    for client in sorted(c for c in owners if c is not None and c not in watchlists):
        drift.append(Drift(client, "rules and role of a client that no longer exists"))
    for user in client_users(api):
        if user.active and user.username not in watchlists:
            drift.append(Drift(user.username, "active user of a client that no longer exists"))
    return [d for d in drift if not only or d.client in only]


def _rule_problem(
    rule: dict | None, clause: str, objects: BundleObjects, column: str, role: int | None
) -> str | None:
    """What is wrong with one of a client's rules, or None."""
    if rule is None:
        return f"missing (should be {clause!r})"
    if rule["clause"] != clause:
        return f"clause {rule['clause']!r} should be {clause!r}"
    tables = sorted(t["id"] for t in rule.get("tables", []))
    if tables != sorted(objects.rule_datasets(column)) or [r["id"] for r in rule.get("roles", [])] != [role]:
        return "does not cover its datasets for the client's role only"
    return None


def reconcile(
    api: SupersetApi, watchlists: Mapping[str, tuple[str, ...]], only: Collection[str] = ()
) -> list[Drift]:
    """Repair every client with drift (re-apply its access, or remove what a deleted client left:
    rule, role, and the login of the user imdb-tracker created); the drift found. ``watchlists``
    holds every client of the database; ``only`` limits the repair to some of them."""
    objects = bundle_objects(api)
    drift = find_drift(api, watchlists, objects, only)
    for client in sorted({d.client for d in drift}):
        if client in watchlists:
            apply_client_access(api, client, watchlists[client], objects)
            continue
        remove_role(api, client)
        remove_rule(api, client)
        for user in client_users(api):
            if user.username == client and user.active:
                api.put(f"/api/v1/security/users/{user.id}", {"active": False})
    return drift


def invalid_clients(watchlists: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Clients whose name cannot be used in Superset (stored before names were checked)."""
    invalid = []
    for name in watchlists:
        try:
            validate_client_name(name)
        except InvalidClientName:
            invalid.append(name)
    return sorted(invalid)
