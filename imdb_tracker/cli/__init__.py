"""The ``imdb-tracker`` command line."""

from __future__ import annotations

import logging

import click

from imdb_tracker import __version__
from imdb_tracker.cli.admin import db_group, settings_group
from imdb_tracker.cli.backup import backup_group
from imdb_tracker.cli.clients import clients_group
from imdb_tracker.cli.common import make_runtime
from imdb_tracker.cli.movies import movies_group
from imdb_tracker.cli.run import run_command
from imdb_tracker.cli.scrape import scrape_command
from imdb_tracker.cli.sentiment import sentiment_group
from imdb_tracker.cli.superset import superset_group
from imdb_tracker.cli.ui import ui_command


@click.group()
@click.version_option(__version__, prog_name="imdb-tracker")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Track how movies are received on IMDb: metadata, every review, aspect sentiments."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    ctx.obj = make_runtime()


for command in (
    settings_group,
    db_group,
    movies_group,
    run_command,
    scrape_command,
    sentiment_group,
    backup_group,
    clients_group,
    superset_group,
    ui_command,
):
    main.add_command(command)
