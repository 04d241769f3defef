"""``imdb-tracker movies add|remove|list``: the tracked movies (Dagster ``movies`` partitions)."""

from __future__ import annotations

import json

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, access_errors, fail, pass_runtime
from imdb_tracker.db.clients import InvalidClientName, validate_client_name
from imdb_tracker.imdb.errors import ImdbError, InvalidMovieId
from imdb_tracker.imdb.ids import is_id_like, parse_movie_id


@click.group("movies")
def movies_group() -> None:
    """Add, remove and list the tracked movies."""


def _registry(runtime: Runtime):  # -> MovieRegistry; Dagster is imported only when needed
    from imdb_tracker.registry import MovieRegistry
    from imdb_tracker.superset_client.service import WatchlistSync

    return MovieRegistry(runtime.instance, runtime.engine, WatchlistSync(runtime.settings))


def _check_client(client: str | None) -> None:
    """Exit 2 on a malformed client name before anything else happens."""
    if client is not None:
        try:
            validate_client_name(client)
        except InvalidClientName as exc:
            fail(str(exc), EXIT_BAD_INPUT)


def resolve_movie_ref(runtime: Runtime, ref: str) -> tuple[str, str | None]:
    """``(movie_id, title)`` for an id, URL or title; exits 2 when invalid or ambiguous."""
    if is_id_like(ref):
        try:
            return parse_movie_id(ref), None
        except InvalidMovieId as exc:
            fail(str(exc), EXIT_BAD_INPUT)
    from imdb_tracker.db.request_budget import SharedRequestBudget
    from imdb_tracker.imdb.factory import browser_from_settings
    from imdb_tracker.imdb.search import best_movie_match

    budget = SharedRequestBudget(runtime.engine, runtime.settings.imdb_requests_per_second)
    try:
        with browser_from_settings(runtime.settings, budget=budget) as browser:
            suggestions = browser.search_titles(ref)
    except ImdbError as exc:
        fail(f"could not search IMDb for {ref!r}: {exc}")
    match = best_movie_match(ref, suggestions)
    if isinstance(match, list):
        if not match:
            fail(f"no IMDb movie matches {ref!r}", EXIT_BAD_INPUT)
        for candidate in match:
            click.echo(
                f"{candidate.movie_id}\t{candidate.title} ({candidate.year or '?'})\t{candidate.kind}",
                err=True,
            )
        if len(match) == 1:
            fail(f"no IMDb movie is titled {ref!r}; the nearest is above: add it by its id", EXIT_BAD_INPUT)
        fail(f"{ref!r} is ambiguous: pick one of the ids above", EXIT_BAD_INPUT)
    return match.movie_id, match.title


@movies_group.command("add")
@click.argument("refs", nargs=-1, required=True)
@click.option(
    "--client",
    help="Also put the movies on this client's watchlist: its dashboards show them at once.",
)
@pass_runtime
def movies_add(runtime: Runtime, refs: tuple[str, ...], client: str | None) -> None:
    """Track movies given as ids (tt0033467, 0033467), IMDb URLs or titles ("Citizen Kane").

    Every reference is checked before anything is written; with --client, the client's Superset
    access is updated in the same command (or nothing changes).
    """
    _check_client(client)
    resolved = [resolve_movie_ref(runtime, ref) for ref in refs]
    with access_errors():
        added = _registry(runtime).add(resolved, client=client)
    for (movie_id, title), is_new in zip(resolved, added, strict=True):
        label = f"{movie_id} ({title})" if title else movie_id
        click.echo(
            f"{'added' if is_new else 'already tracked'}: {label}"
            + (f"; on {client}'s watchlist and dashboards" if client else "")
        )


@movies_group.command("remove")
@click.argument("refs", nargs=-1, required=True)
@click.option("--purge", is_flag=True, help="Also delete every stored row of the movies.")
@click.option("--client", help="Only take the movies off this client's watchlist (and dashboards).")
@pass_runtime
def movies_remove(runtime: Runtime, refs: tuple[str, ...], purge: bool, client: str | None) -> None:
    """Stop tracking movies; their data is kept unless --purge. Clients stop seeing them at once."""
    _check_client(client)
    if client and purge:
        fail("--purge deletes a movie for everyone: use it without --client", EXIT_BAD_INPUT)
    ids = []
    for ref in refs:
        try:
            ids.append(parse_movie_id(ref))
        except InvalidMovieId as exc:
            fail(str(exc), EXIT_BAD_INPUT)
    with access_errors():
        changes = _registry(runtime).remove(ids, purge=purge, client=client)
    for movie_id, changed in zip(ids, changes, strict=True):
        what = f"removed from {client}'s watchlist" if client else ("purged" if purge else "stopped tracking")
        missing = f"not on {client}'s watchlist" if client else "not tracked"
        click.echo(f"{what}: {movie_id}" if changed else f"{missing}: {movie_id}")


@movies_group.command("list")
@click.option("--client", help="Only this client's watchlist.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per movie.")
@pass_runtime
def movies_list(runtime: Runtime, client: str | None, as_json: bool) -> None:
    """List the tracked movies (or a client's watchlist) with what is stored about them."""
    _check_client(client)
    with access_errors():
        rows = _registry(runtime).describe(client)
    for row in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "movie_id": row.movie_id,
                        "title": row.title,
                        "year": row.year,
                        "reviews_stored": row.reviews_stored,
                        "last_metadata_at": row.last_metadata_at.isoformat()
                        if row.last_metadata_at
                        else None,
                        "last_reviews_at": row.last_reviews_at.isoformat() if row.last_reviews_at else None,
                        "clients": list(row.clients),
                    }
                )
            )
        else:
            title = f"{row.title} ({row.year})" if row.title else "(not scraped yet)"
            click.echo(f"{row.movie_id}\t{title}\t{row.reviews_stored} reviews\t{','.join(row.clients)}")
    if not rows and not as_json:
        click.echo("no movies tracked" + (f" for client {client}" if client else ""), err=True)
