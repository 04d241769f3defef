"""The per-movie reception assets: signals and events, and what people say about each aspect."""

import time
from datetime import UTC, datetime

import dagster as dg

from imdb_tracker.db.reception import (
    load_signals,
    movie_events,
    movie_label,
    quote_sources,
    replace_quotes,
    save_events,
)
from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.partitions import movies_partitions
from imdb_tracker.defs.policies import IO_RETRY, OWNERS
from imdb_tracker.defs.reception.checks import RECEPTION_CHECKS, reception_check_results
from imdb_tracker.defs.resources import ReceptionSettings, SentimentAnalyser, TrackerDatabase
from imdb_tracker.reception.detectors import detect_events
from imdb_tracker.reception.overview import (
    events_table,
    overview,
    quotes_markdown,
    rating_distribution_table,
    volume_table,
)
from imdb_tracker.reception.quotes import candidates, pick
from imdb_tracker.reception.summaries import SummaryError, SummaryOutcome, refresh_summaries
from imdb_tracker.sentiment.offline import OfflineAnalyser

GROUP = "reception"


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"python", "postgres"},
    retry_policy=IO_RETRY,
    deps=[movie_metadata, movie_reviews, review_sentiments],
    # Not after every hourly metadata refresh (N movies would mean N runs an hour): after the
    # movie's reviews and sentiments, at least daily with the full re-scrape; the rating-shift
    # detector reads every snapshot stored meanwhile.
    automation_condition=dg.AutomationCondition.eager().ignore(dg.AssetSelection.assets(movie_metadata)),
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


@dg.asset(
    partitions_def=movies_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"python", "postgres"},
    retry_policy=IO_RETRY,
    deps=[movie_reviews, review_sentiments],  # a quote takes the side of its review's stored score
    automation_condition=dg.AutomationCondition.eager(),
)
def aspect_quotes(
    context: dg.AssetExecutionContext,
    reception: ReceptionSettings,
    sentiment: SentimentAnalyser,
    database: TrackerDatabase,
) -> dg.MaterializeResult:
    """What people say about each aspect of one movie: its most representative positive and
    negative sentences (``RECEPTION_QUOTES_PER_SIDE`` each), ranked by strength and helpfulness,
    near-duplicates removed, each with the review it comes from (``aspect_quotes``, view
    ``v_aspect_quotes``). Sentences are assigned to aspects as the offline analyser scores them,
    and quoted only on the side of their review's stored score of the aspect (the language
    model's with that backend).

    With the LLM backend, also a short summary per aspect (``aspect_summaries``): one request per
    movie, reused while the reviews it was built from are unchanged, its cost reported here.
    """
    movie_id = context.partition_key
    engine = database.engine()
    started = time.monotonic()
    with engine.connect() as conn:
        sources = quote_sources(conn, movie_id)
        label = movie_label(conn, movie_id)
    ranked = candidates(sources, OfflineAnalyser().aspect_sentences)
    chosen = pick(ranked, reception.quotes_per_side)
    with engine.begin() as conn:
        stored = replace_quotes(conn, movie_id, chosen, datetime.now(UTC))
    seconds = round(time.monotonic() - started, 2)
    summariser = sentiment.summariser()
    outcome = SummaryOutcome({}, requested=False, reviews_used=0)
    summary_error = None
    if summariser is not None:
        try:
            outcome = refresh_summaries(engine, movie_id, label, ranked, summariser, datetime.now(UTC))
        except SummaryError as exc:  # quotes are stored; the previous summaries stay
            summary_error = str(exc)
            context.log.warning(f"{movie_id}: {summary_error}")
    summary_state = "off (offline backend)" if summariser is None else summary_error or len(outcome.summaries)
    return dg.MaterializeResult(
        metadata={
            "reviews_read": len(sources),
            "candidate_sentences": len(ranked),
            "quotes": stored,
            "quotes_by_aspect": dg.MetadataValue.md(quotes_markdown(chosen, outcome.summaries)),
            "select_seconds": seconds,
            "summaries": summary_state,
            "summary_cache_hit": summariser is not None and not outcome.requested and not summary_error,
            "summary_reviews_used": outcome.reviews_used,
            "requests": outcome.usage.requests,
            "input_tokens": outcome.usage.input_tokens,
            "cached_input_tokens": outcome.usage.cached_input_tokens,
            "output_tokens": outcome.usage.output_tokens,
            "cost_usd": round(outcome.cost, 6),
        },
    )
