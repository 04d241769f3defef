"""A movie's reception signals summarised for people: figures and small Markdown tables (the
Dagster asset shows them as metadata)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from imdb_tracker.reception.events import KIND_LABELS, window_text
from imdb_tracker.reception.quotes import Candidate
from imdb_tracker.reception.signals import MovieSignals, aspect_series
from imdb_tracker.sentiment.models import ASPECTS

RECENT_DAYS = 28
""""Recent" = the 28 days up to the newest review."""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def overview(signals: MovieSignals) -> dict[str, Any]:
    """Volume, rating shares, aspect averages (all time and recent) and the IMDb trajectory."""
    days = signals.days
    figures: dict[str, Any] = {"reviews_stored": sum(d.reviews for d in days)}
    if not days:
        return figures
    since = days[-1].day - timedelta(days=RECENT_DAYS - 1)
    recent = [d for d in days if d.day >= since]
    rated = sum(d.rated for d in days)
    recent_rated = sum(d.rated for d in recent)
    figures.update(
        {
            "first_review_on": days[0].day.isoformat(),
            "newest_review_on": days[-1].day.isoformat(),
            "reviews_recent_28_days": sum(d.reviews for d in recent),
            "busiest_day": max(days, key=lambda d: d.reviews).day.isoformat(),
            "busiest_day_reviews": max(d.reviews for d in days),
            "one_star_share": _share(sum(d.one_star for d in days), rated),
            "ten_star_share": _share(sum(d.ten_star for d in days), rated),
            "one_star_share_recent": _share(sum(d.one_star for d in recent), recent_rated),
            "ten_star_share_recent": _share(sum(d.ten_star for d in recent), recent_rated),
        }
    )
    for series in aspect_series(signals):
        length = len(series.counts) - 1
        everything = series.window(0, length)
        latest = series.window(length - RECENT_DAYS, length)
        figures[f"avg_{series.aspect}"] = round(everything.mean, 2) if everything.reviews else None
        figures[f"avg_{series.aspect}_recent"] = round(latest.mean, 2) if latest.reviews else None
    rated_snapshots = [s for s in signals.snapshots if s.rating is not None]
    if rated_snapshots:
        newest = rated_snapshots[-1]
        week_before = [s for s in rated_snapshots if s.taken_at <= newest.taken_at - timedelta(days=7)]
        figures["imdb_rating"] = newest.rating
        figures["imdb_votes"] = newest.votes
        if week_before:
            figures["imdb_rating_7_days_before"] = week_before[-1].rating
            figures["imdb_votes_7_days_before"] = week_before[-1].votes
    return figures


def volume_table(signals: MovieSignals) -> str:
    """Markdown: reviews, ratings and 1★/10★ shares per day of the recent period."""
    lines = ["| day | reviews | rated | 1★ | 10★ | avg ★ |", "|---|---:|---:|---:|---:|---:|"]
    if not signals.days:
        return "no reviews stored"
    since = signals.days[-1].day - timedelta(days=RECENT_DAYS - 1)
    for d in signals.days:
        if d.day >= since:
            average = f"{d.rating_sum / d.rated:.1f}" if d.rated else "-"
            lines.append(f"| {d.day} | {d.reviews} | {d.rated} | {d.one_star} | {d.ten_star} | {average} |")
    return "\n".join(lines)


def rating_distribution_table(signals: MovieSignals) -> str:
    """Markdown: how many current reviews give each star rating, and their share."""
    total = sum(signals.rating_counts)
    lines = ["| ★ | reviews | share |", "|---:|---:|---:|"]
    for stars, count in enumerate(signals.rating_counts, 1):
        lines.append(f"| {stars} | {count} | {count / total:.1%} |" if total else f"| {stars} | 0 | - |")
    return "\n".join(lines)


def events_table(events: Sequence[Any]) -> str:
    """Markdown: stored events (rows with ``event_id``, ``kind``, ``window_start``, ``window_end``,
    ``strength``, ``strong`` and ``summary``), as given."""
    if not events:
        return "no events"
    lines = ["| # | kind | window | strength | summary |", "|---:|---|---|---:|---|"]
    for e in events:
        kind = KIND_LABELS[e.kind] + (" (strong)" if e.strong else "")
        window = window_text(e.window_start, e.window_end)
        summary = e.summary.replace("|", "/")
        lines.append(f"| {e.event_id} | {kind} | {window} | {e.strength} | {summary} |")
    return "\n".join(lines)


def quotes_markdown(
    chosen: Mapping[tuple[str, str], Sequence[Candidate]], summaries: Mapping[str, str]
) -> str:
    """Markdown: per aspect, the LLM summary (when there is one) and the chosen quotes, each with
    the review it comes from and its helpfulness votes."""
    if not chosen:
        return "no quotes (no review names an aspect clearly enough)"
    lines = []
    for aspect in ASPECTS:
        quotes = [(p, c) for p in ("positive", "negative") for c in chosen.get((aspect, p), ())]
        if not quotes and aspect not in summaries:
            continue
        lines.append(f"**{aspect}**")
        if aspect in summaries:
            lines.append(f"_{summaries[aspect]}_")
        for polarity, c in quotes:
            sign = "+" if polarity == "positive" else "−"
            votes = f"{c.source.helpful_up}/{c.source.helpful_up + c.source.helpful_down} found it helpful"
            lines.append(
                f"- {sign} “{c.sentence}” ([{c.source.review_id}](https://www.imdb.com/review/"
                f"{c.source.review_id}/), {votes})"
            )
        lines.append("")
    return "\n".join(lines).strip()
