"""The per-movie reception assets: signals and events."""

import time
from datetime import UTC, datetime

import dagster as dg

from imdb_tracker.db.reception import load_signals, movie_events, save_events
from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.partitions import movies_partitions
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.reception.checks import RECEPTION_CHECKS, reception_check_results
from imdb_tracker.defs.resources import ReceptionSettings, TrackerDatabase
from imdb_tracker.reception.detectors import detect_events
from imdb_tracker.reception.overview import events_table, overview, rating_distribution_table, volume_table

GROUP = "reception"


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"python", "postgres"},
    retry_policy=IO_RETRY,
    deps=[movie_metadata, movie_reviews, review_sentiments],
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=RECEPTION_CHECKS,
)
def reception_signals(
    context: dg.AssetExecutionContext, reception: ReceptionSettings, database: TrackerDatabase
) -> dg.MaterializeResult:
    """How one movie is received over time, and the events in it.

    Signals from the stored reviews, sentiments and IMDb snapshots: daily review volume, the rating
    distribution and its 1★/10★ shares, each aspect's average, the IMDb rating and votes. The
    detectors (volume burst, polarisation jump, aspect drift, rating shift, review-bombing
    candidate; rules in the README) run over the movie's whole history; their events are stored in
    ``reception_events`` (an event found again is updated, never duplicated or deleted), and
    ``new_reception_events_sensor`` announces new ones on the webhook.
    """
    movie_id = context.partition_key
    engine = database.engine()
    thresholds = reception.thresholds.core()
    started = time.monotonic()
    with engine.connect() as conn:
        signals = load_signals(conn, movie_id)
    events = detect_events(signals, thresholds)
    seconds = round(time.monotonic() - started, 3)
    with engine.begin() as conn:
        stored = save_events(conn, movie_id, events, datetime.now(UTC), thresholds.merge_gap_days)
        shown = movie_events(conn, movie_id)
    new = [s for s in stored if s.new]
    for s in new:
        context.log.info(f"{movie_id}: new event #{s.event_id} {s.event.kind}: {s.event.summary}")
    return dg.MaterializeResult(
        metadata={
            **overview(signals),
            "events_detected": len(events),
            "new_events": len(new),
            "events": dg.MetadataValue.md(events_table(shown)),
            "recent_volume": dg.MetadataValue.md(volume_table(signals)),
            "rating_distribution": dg.MetadataValue.md(rating_distribution_table(signals)),
            "compute_seconds": seconds,
        },
        check_results=reception_check_results(stored),
    )
