"""Materialize the per-movie pipeline now, in this process, on the shared Dagster instance.

Used by ``imdb-tracker run`` and ``make demo``; the runs are recorded in the instance like any
other, so they show in the UI.
"""

from collections.abc import Iterator, Mapping

from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.reception.assets import aspect_quotes, reception_signals
from imdb_tracker.defs.reporting.assets import reporting_views

PIPELINE_ASSETS = (movie_metadata, movie_reviews, review_sentiments, reception_signals, aspect_quotes)
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def materialize_movies(
    instance: DagsterInstance,
    movie_ids: list[str],
    resources: Mapping[str, object],
    *,
    tags: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, ExecuteInProcessResult]]:
    """Metadata, reviews, sentiments, reception events and quotes of each movie, one run per movie;
    yields each result."""
    for movie_id in movie_ids:
        result = materialize(
            list(PIPELINE_ASSETS),
            partition_key=movie_id,
            instance=instance,
            resources=dict(resources),
            run_config=QUIET_LOGS,
            tags=dict(tags or {}),
            raise_on_error=False,
        )
        yield movie_id, result


def refresh_dashboards(instance: DagsterInstance, resources: Mapping[str, object]) -> ExecuteInProcessResult:
    """Materialize ``reporting_views`` so the dashboards show the runs just made."""
    return materialize(
        [reporting_views],
        instance=instance,
        resources=dict(resources),
        run_config=QUIET_LOGS,
        raise_on_error=False,
    )


def failure_reason(result: ExecuteInProcessResult) -> str:
    """The last failure message of a run, for a one-line error."""
    messages = [event.message for event in result.all_events if event.is_failure and event.message]
    return messages[-1] if messages else "see the run in the Dagster UI"
