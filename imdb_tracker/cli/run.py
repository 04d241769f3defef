"""``imdb-tracker run``: scrape and score tracked movies now, without waiting for the daemon."""

from __future__ import annotations

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, fail, pass_runtime
from imdb_tracker.imdb.errors import InvalidMovieId
from imdb_tracker.imdb.ids import parse_movie_id


@click.command("run")
@click.argument("refs", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Every tracked movie.")
@pass_runtime
def run_command(runtime: Runtime, refs: tuple[str, ...], run_all: bool) -> None:
    """Materialize metadata, reviews, sentiments, reception events and quotes of tracked movies now
    (runs show in the UI)."""
    from imdb_tracker.defs.partitions import tracked_movies
    from imdb_tracker.defs.resources import build_resources
    from imdb_tracker.on_demand import failure_reason, materialize_movies, refresh_dashboards

    try:
        wanted = [parse_movie_id(ref) for ref in refs]
    except InvalidMovieId as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    tracked = set(tracked_movies(runtime.instance))
    if run_all:
        wanted = sorted(tracked)
    if not wanted:
        fail("name movies to run, or --all", EXIT_BAD_INPUT)
    untracked = [movie_id for movie_id in wanted if movie_id not in tracked]
    if untracked:
        fail(f"not tracked: {', '.join(untracked)} (add with `imdb-tracker movies add`)", EXIT_BAD_INPUT)
    resources = build_resources(runtime.settings)
    failed = 0
    for movie_id, result in materialize_movies(runtime.instance, wanted, resources):
        if result.success:
            click.echo(f"{movie_id}: done (run {result.run_id})")
        else:
            failed += 1
            click.echo(f"{movie_id}: failed: {failure_reason(result)}", err=True)
    refreshed = refresh_dashboards(runtime.instance, resources)
    if not refreshed.success:
        click.echo(f"dashboard aggregates not refreshed: {failure_reason(refreshed)}", err=True)
    if failed:
        fail(f"{failed} of {len(wanted)} movies failed")
