"""``imdb-tracker scrape``: fetch one title's metadata and reviews without storing them.

The requests still take their turns in the request budget every process shares through the
tracker database, so a scrape from the command line never adds to what the pipeline sends IMDb.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, check_output_path, fail, pass_runtime
from imdb_tracker.db.request_budget import SharedRequestBudget
from imdb_tracker.imdb import ReviewScrape
from imdb_tracker.imdb.errors import ImdbError, InvalidMovieId, InvalidUrl
from imdb_tracker.imdb.factory import browser_from_settings
from imdb_tracker.imdb.ids import parse_movie_id
from imdb_tracker.imdb.urls import check_site_url

SHOWN_FIELDS = (
    "movie_id",
    "title",
    "original_title",
    "year",
    "runtime_minutes",
    "genres",
    "rating",
    "votes",
    "review_count",
    "metascore",
    "popularity",
    "poster_url",
)
PROGRESS_EVERY_S = 2.0
_LINE_BREAKING = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(value: dict[str, object]) -> str:
    """One JSON-lines record, safe for every line splitter.

    U+0085, U+2028 and U+2029 (real review texts hold them) are escaped: ``str.splitlines`` would
    otherwise cut a record in two.
    """
    return json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKING) + "\n"


class _Progress:
    """Review counter on stderr: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = 0.0

    def update(self, scrape: ReviewScrape, final: bool = False) -> None:
        now = time.monotonic()
        if not (final or self._tty or now - self._last >= PROGRESS_EVERY_S):
            return
        self._last = now
        total = f"/{scrape.announced_count}" if scrape.announced_count is not None else ""
        line = f"{scrape.movie_id}: {scrape.scraped}{total} reviews"
        end = "\n" if final or not self._tty else ""
        self._stream.write(f"\r{line}{end}" if self._tty else f"{line}{end}")
        self._stream.flush()


def _scrape_to(scrape: ReviewScrape, output: Path | None) -> None:
    """Consume the scrape, writing JSON lines to ``output`` atomically (nothing is left on failure)."""
    progress = _Progress(sys.stderr)
    partial = output.with_name(output.name + ".partial") if output else None
    try:
        with partial.open("w", encoding="utf-8") if partial else contextlib.nullcontext() as sink:
            for page in scrape:
                if sink is not None:
                    sink.writelines(json_line(review.to_dict()) for review in page)
                progress.update(scrape)
        progress.update(scrape, final=True)
        if partial and output:
            partial.replace(output)
    finally:
        if partial:
            partial.unlink(missing_ok=True)


def _site_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_site_url(value, "--base-url")
    except InvalidUrl as exc:
        fail(str(exc), EXIT_BAD_INPUT)


@click.command("scrape")
@click.argument("movie")
@click.option("--base-url", callback=_site_url, help="IMDb or a replica of it [env IMDB_BASE_URL].")
@click.option("--metadata-only", is_flag=True, help="Fetch the title page only, no reviews.")
@click.option(
    "--max-reviews", type=click.IntRange(min=0), help="Stop after this many reviews (newest first)."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Write the reviews as JSON lines here (without it they are only counted).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per second, for every process together [env IMDB_REQUESTS_PER_SECOND].",
)
@pass_runtime
def scrape_command(
    runtime: Runtime,
    movie: str,
    base_url: str | None,
    metadata_only: bool,
    max_reviews: int | None,
    output: Path | None,
    rate: float | None,
) -> None:
    """Scrape MOVIE (tt0033467, 0033467 or a title URL): metadata JSON on stdout, reviews to --output."""
    try:
        movie_id = parse_movie_id(movie)
    except InvalidMovieId as error:
        fail(str(error), EXIT_BAD_INPUT)
    if output is not None:
        check_output_path(output, "--output")
    settings = runtime.settings
    budget = SharedRequestBudget(runtime.engine, rate or settings.imdb_requests_per_second)
    browser = browser_from_settings(settings, base_url=base_url, budget=budget)
    try:
        with browser:
            shown = {
                name: value
                for name, value in browser.fetch_metadata(movie_id).to_dict().items()
                if name in SHOWN_FIELDS
            }
            if not metadata_only:
                scrape = browser.scrape_reviews(movie_id, max_reviews=max_reviews)
                _scrape_to(scrape, output)
                shown.update(reviews_scraped=scrape.scraped, complete=scrape.complete)
    except ImdbError as error:
        fail(str(error))
    click.echo(json.dumps(shown, ensure_ascii=False))
