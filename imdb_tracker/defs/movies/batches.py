"""Many movies per run: the hourly metadata refresh in batches, one browser per batch.

A ``movie_metadata_batch_job`` run refreshes the metadata of the movies in its run config with one
Chromium and logs a materialization of ``movie_metadata`` for each movie the moment it is stored,
so every movie stays its own partition with its own history in the UI. A movie whose page fails
does not fail the others: the run lists it (output metadata and the run tag
:data:`RETRY_MOVIES_TAG`) and ``batch_failures_sensor`` requests a single-movie run of
``movie_metadata_job`` for it alone, which retries, fails and shows as that partition's failure the
usual way. Several movies failing in a row mean an outage, not a movie: the run then stops and
fails, and the next hourly tick tries again.

A batch run is one scraping run for the run queue (``imdb-tracker/scrape``, at most five at once);
it takes each movie's metadata writer lock, so it never writes a movie that a single-movie run (or
another batch) is writing at that moment, whatever the queue lets run side by side.
"""

import math
import time

import dagster as dg
from pydantic import Field

from imdb_tracker.defs.movies.assets import metadata_materialization, movie_metadata
from imdb_tracker.defs.partitions import SCRAPE_TAG
from imdb_tracker.defs.policies import METADATA_BATCH_RUN_LIMIT
from imdb_tracker.defs.resources import ImdbClient, TrackerDatabase
from imdb_tracker.tracking import BatchOutage, MovieRefreshOutcome, refresh_metadata_batch

RETRY_MOVIES_TAG = "imdb-tracker/retry-movies"
"""Run tag a batch run sets when it ends: the movies that failed and are retried alone (space-separated)."""
BATCH_TAG = "imdb-tracker/batch"
"""Run tag of a batch run: its first and last movie and how many it holds."""


class MetadataBatchConfig(dg.Config):
    """Run configuration of ``movie_metadata_batch_job``."""

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


def batch_run_request(movie_ids: list[str], run_key: str) -> dg.RunRequest:
    """A run of ``movie_metadata_batch_job`` over ``movie_ids``."""
    return dg.RunRequest(
        run_key=run_key,
        run_config={"ops": {"movie_metadata_batch": {"config": {"movie_ids": movie_ids}}}},
        tags={BATCH_TAG: f"{movie_ids[0]}..{movie_ids[-1]} ({len(movie_ids)} movies)"},
    )


def retry_movies(run: dg.DagsterRun) -> list[str]:
    """The movies a finished batch run asks to retry alone."""
    return run.tags.get(RETRY_MOVIES_TAG, "").split()


def _failures_markdown(failed: list[MovieRefreshOutcome]) -> str:
    lines = ["| movie | error | retried alone |", "|---|---|---|"]
    for outcome in failed:
        error = (outcome.error or "").replace("|", "/")[:200]
        lines.append(f"| {outcome.movie_id} | {error} | yes |")
    return "\n".join(lines)


@dg.op(
    name="movie_metadata_batch",
    out=dg.Out(dg.Nothing),
    tags={"kind": "playwright"},
)
def movie_metadata_batch(
    context: dg.OpExecutionContext, config: MetadataBatchConfig, imdb: ImdbClient, database: TrackerDatabase
) -> dg.Output[None]:
    """Refresh the metadata of every movie in the run config with one browser; a materialization of
    ``movie_metadata`` per movie stored, the failed ones listed for a retry of their own."""
    engine = database.engine()
    started = time.monotonic()
    outcomes: list[MovieRefreshOutcome] = []
    try:
        for outcome in refresh_metadata_batch(lambda: imdb.open(engine), engine, config.movie_ids):
            outcomes.append(outcome)
            if outcome.refreshed is not None:
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=movie_metadata.key,
                        partition=outcome.movie_id,
                        metadata=metadata_materialization(outcome.refreshed, outcome.seconds),
                    )
                )
            elif outcome.busy:
                context.log.info(f"{outcome.movie_id}: skipped, another run is writing its metadata now")
            else:
                context.log.warning(f"{outcome.movie_id}: {outcome.error}")
    except BatchOutage as exc:
        raise dg.Failure(
            description=f"{exc}; {len(config.movie_ids) - len(exc.outcomes)} movies not attempted, "
            "the next hourly run tries again",
            allow_retries=False,
        ) from exc
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        context.instance.add_run_tags(
            context.run_id, {RETRY_MOVIES_TAG: " ".join(o.movie_id for o in failed)}
        )
    refreshed = sum(o.refreshed is not None for o in outcomes)
    elapsed = time.monotonic() - started
    return dg.Output(
        None,
        metadata={
            "movies": len(config.movie_ids),
            "refreshed": refreshed,
            "failed": len(failed),
            "skipped_busy": sum(o.busy for o in outcomes),
            "seconds": round(elapsed, 1),
            "movies_per_minute": round(60 * refreshed / elapsed, 1) if elapsed else 0.0,
            "failures": dg.MetadataValue.md(_failures_markdown(failed) if failed else "none"),
        },
    )


@dg.job(
    name="movie_metadata_batch_job",
    tags={SCRAPE_TAG: "metadata", **METADATA_BATCH_RUN_LIMIT},
    executor_def=dg.in_process_executor,
    description="Refresh the metadata of many movies with one browser (the hourly schedule's runs).",
)
def movie_metadata_batch_job() -> None:
    movie_metadata_batch()
