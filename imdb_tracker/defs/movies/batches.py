"""Many movies per run: the scheduled refreshes in batches, one browser per batch.

A ``movie_metadata_batch_job`` run (hourly) refreshes the metadata of the movies in its run config
with one Chromium, and a ``movie_reviews_batch_job`` run (daily) re-scrapes all their reviews; each
logs a materialization of ``movie_metadata`` / ``movie_reviews`` (with the reviews' check results)
for each movie the moment it is stored, so every movie stays its own partition with its own history
in the UI, and review sentiments follow each movie's review materialization as usual. A movie that
fails does not fail the others: the run lists it (output metadata and the run tag
:data:`RETRY_MOVIES_TAG`) and ``batch_failures_sensor`` requests a single-movie run of
``movie_metadata_job`` / ``movie_reviews_job`` for it alone, which retries, fails and shows as that
partition's failure the usual way. Several movies failing in a row mean an outage, not a movie:
the run then stops and fails, and the next tick tries again.

A batch run is one scraping run for the run queue (``imdb-tracker/scrape``, at most five at once);
it takes each movie's writer lock, so it never writes a movie that a single-movie run (or another
batch) is writing at that moment, whatever the queue lets run side by side: such a movie is skipped,
its other writer is writing it.
"""

import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import dagster as dg
from pydantic import Field

from imdb_tracker.defs.movies.assets import (
    metadata_materialization,
    movie_metadata,
    movie_reviews,
    reviews_materialization,
    warn_if_out_of_order,
)
from imdb_tracker.defs.movies.checks import review_check_results
from imdb_tracker.defs.partitions import SCRAPE_TAG
from imdb_tracker.defs.policies import METADATA_BATCH_RUN_LIMIT, REVIEWS_BATCH_RUN_LIMIT
from imdb_tracker.defs.resources import ImdbClient, TrackerDatabase
from imdb_tracker.tracking import (
    BatchOutage,
    MetadataRefresh,
    MovieOutcome,
    ReviewSync,
    refresh_metadata_batch,
    sync_reviews_batch,
)

T = TypeVar("T")

RETRY_MOVIES_TAG = "imdb-tracker/retry-movies"
"""Run tag a batch run sets when it ends: the movies that failed and are retried alone (space-separated)."""
BATCH_TAG = "imdb-tracker/batch"
"""Run tag of a batch run: its first and last movie and how many it holds."""
REVIEW_PAGES_PER_BATCH = 600
"""Review pages (50 reviews each) one daily batch may hold: about 25 minutes at a fifth of the
budget (five runs at once), well within :data:`REVIEWS_BATCH_RUN_LIMIT`. A movie with more pages
than this gets a batch of its own."""


class MovieBatchConfig(dg.Config):
    """Run configuration of the batch jobs."""

    movie_ids: list[str] = Field(description="The movies (partition keys) this run refreshes, in order.")


def split_into_batches(movie_ids: list[str], max_size: int, min_batches: int) -> list[list[str]]:
    """``movie_ids`` in consecutive batches of near-equal size: as few as ``max_size`` allows, but at
    least ``min_batches`` (one movie per batch at most), so that that many browsers share the budget."""
    if not movie_ids:
        return []
    count = min(len(movie_ids), max(math.ceil(len(movie_ids) / max_size), min_batches))
    size, extra = divmod(len(movie_ids), count)
    batches, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        batches.append(movie_ids[start:end])
        start = end
    return batches


def review_pages(stored_reviews: int) -> int:
    """Requests a full review scrape of a movie takes: the reviews page, then 50 reviews a page."""
    return 1 + math.ceil(stored_reviews / 50)


def split_by_pages(
    batches: list[list[str]], pages: Mapping[str, int], max_pages: int = REVIEW_PAGES_PER_BATCH
) -> list[list[str]]:
    """Each batch cut, in order, into consecutive batches of at most ``max_pages`` pages (a movie
    with more pages than that alone); ``pages`` defaults to one per movie it does not name."""
    cut: list[list[str]] = []
    for batch in batches:
        current: list[str] = []
        total = 0
        for movie_id in batch:
            movie_pages = pages.get(movie_id, 1)
            if current and total + movie_pages > max_pages:
                cut.append(current)
                current, total = [], 0
            current.append(movie_id)
            total += movie_pages
        if current:
            cut.append(current)
    return cut


def batch_run_request(op_name: str, movie_ids: list[str], run_key: str) -> dg.RunRequest:
    """A run of the batch job whose op is ``op_name`` over ``movie_ids``."""
    return dg.RunRequest(
        run_key=run_key,
        run_config={"ops": {op_name: {"config": {"movie_ids": movie_ids}}}},
        tags={BATCH_TAG: f"{movie_ids[0]}..{movie_ids[-1]} ({len(movie_ids)} movies)"},
    )


def retry_movies(run: dg.DagsterRun) -> list[str]:
    """The movies a finished batch run asks to retry alone."""
    return run.tags.get(RETRY_MOVIES_TAG, "").split()


def _failures_markdown(failed: list[MovieOutcome[Any]]) -> str:
    lines = ["| movie | error | retried alone |", "|---|---|---|"]
    for outcome in failed:
        error = (outcome.error or "").replace("|", "/")[:200]
        lines.append(f"| {outcome.movie_id} | {error} | yes |")
    return "\n".join(lines)


def report_batch(
    context: dg.OpExecutionContext,
    movie_ids: list[str],
    outcomes: Iterator[MovieOutcome[T]],
    record: Callable[[MovieOutcome[T]], None],
) -> dg.Output[None]:
    """Run a batch: ``record`` each movie done the moment it is done (its materialization), log the
    skipped and failed ones, tag the run with the failed movies for ``batch_failures_sensor``, and
    sum it all up in the step's output metadata. An outage fails the run (the next tick tries again)."""
    started = time.monotonic()
    done: list[MovieOutcome[T]] = []
    try:
        for outcome in outcomes:
            done.append(outcome)
            if outcome.result is not None:
                record(outcome)
            elif outcome.busy:
                context.log.info(f"{outcome.movie_id}: skipped, another run is writing it now")
            else:
                context.log.warning(f"{outcome.movie_id}: {outcome.error}")
    except BatchOutage as exc:
        raise dg.Failure(
            description=f"{exc}; {len(movie_ids) - len(exc.outcomes)} movies not attempted, "
            "the next scheduled run tries again",
            allow_retries=False,
        ) from exc
    failed = [o for o in done if o.error is not None]
    if failed:
        context.instance.add_run_tags(
            context.run_id, {RETRY_MOVIES_TAG: " ".join(o.movie_id for o in failed)}
        )
    succeeded = sum(o.result is not None for o in done)
    elapsed = time.monotonic() - started
    return dg.Output(
        None,
        metadata={
            "movies": len(movie_ids),
            "done": succeeded,
            "failed": len(failed),
            "skipped_busy": sum(o.busy for o in done),
            "seconds": round(elapsed, 1),
            "movies_per_minute": round(60 * succeeded / elapsed, 1) if elapsed else 0.0,
            "failures": dg.MetadataValue.md(_failures_markdown(failed) if failed else "none"),
        },
    )


@dg.op(name="movie_metadata_batch", out=dg.Out(dg.Nothing), tags={"kind": "playwright"})
def movie_metadata_batch(
    context: dg.OpExecutionContext, config: MovieBatchConfig, imdb: ImdbClient, database: TrackerDatabase
) -> dg.Output[None]:
    """Refresh the metadata of every movie in the run config with one browser; a materialization of
    ``movie_metadata`` per movie stored, the failed ones listed for a retry of their own."""
    engine = database.engine()

    def record(outcome: MovieOutcome[MetadataRefresh]) -> None:
        assert outcome.result is not None
        context.log_event(
            dg.AssetMaterialization(
                asset_key=movie_metadata.key,
                partition=outcome.movie_id,
                metadata=metadata_materialization(outcome.result, outcome.seconds),
            )
        )

    outcomes = refresh_metadata_batch(lambda: imdb.open(engine), engine, config.movie_ids)
    return report_batch(context, config.movie_ids, outcomes, record)


@dg.op(name="movie_reviews_batch", out=dg.Out(dg.Nothing), tags={"kind": "playwright"})
def movie_reviews_batch(
    context: dg.OpExecutionContext, config: MovieBatchConfig, imdb: ImdbClient, database: TrackerDatabase
) -> dg.Output[None]:
    """Re-scrape every review of every movie in the run config with one browser; a materialization of
    ``movie_reviews`` and its check results per movie, the failed ones listed for a retry of their own."""
    engine = database.engine()

    def record(outcome: MovieOutcome[ReviewSync]) -> None:
        sync = outcome.result
        assert sync is not None
        warn_if_out_of_order(context.log, sync)
        context.log_event(
            dg.AssetMaterialization(
                asset_key=movie_reviews.key,
                partition=outcome.movie_id,
                metadata=reviews_materialization(engine, sync, outcome.seconds),
            )
        )
        for check in review_check_results(sync.stored, sync.announced):
            # log_event records check evaluations (it has a branch for them); its type omits them.
            context.log_event(
                dg.AssetCheckEvaluation(  # pyright: ignore[reportArgumentType]
                    asset_key=movie_reviews.key,
                    check_name=check.check_name or "",
                    passed=check.passed,
                    metadata=check.metadata,
                    severity=check.severity,
                    partition=outcome.movie_id,
                )
            )

    outcomes = sync_reviews_batch(lambda: imdb.open(engine), engine, config.movie_ids)
    return report_batch(context, config.movie_ids, outcomes, record)


@dg.job(
    name="movie_metadata_batch_job",
    tags={SCRAPE_TAG: "metadata", **METADATA_BATCH_RUN_LIMIT},
    executor_def=dg.in_process_executor,
    description="Refresh the metadata of many movies with one browser (the hourly schedule's runs).",
)
def movie_metadata_batch_job() -> None:
    movie_metadata_batch()


@dg.job(
    name="movie_reviews_batch_job",
    tags={SCRAPE_TAG: "reviews", **REVIEWS_BATCH_RUN_LIMIT},
    executor_def=dg.in_process_executor,
    description="Re-scrape every review of many movies with one browser (the daily schedule's runs).",
)
def movie_reviews_batch_job() -> None:
    movie_reviews_batch()
