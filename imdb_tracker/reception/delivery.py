"""Announcing new reception events on the webhook: each event once, retried with backoff.

Delivery is **at least once**. Each event is posted inside a database transaction that holds the
event's row lock (``FOR UPDATE SKIP LOCKED``) and records the outcome (``notify_state``,
``notified_at``) before committing. If the process dies between the webhook's 200 and the commit,
the transaction rolls back and the event is posted again on the next attempt: a rare duplicate is
preferred to a lost alert. Nothing else repeats a post: a restarted daemon sees ``sent`` and
skips it, and a second deliverer running at the same time skips locked rows.

Failures are retried on later calls (``notify_next_at`` = now + ``retry_base_s`` × 2^(attempt−1)),
at most ``max_attempts`` times, then the event is marked ``failed`` with the error; a 4xx other than
408/425/429 fails at once. Events whose window ended more than ``max_age_days`` before now are
marked ``stale`` and not posted (the first scrape of an old film, or a URL configured late, would
otherwise announce years of history).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from imdb_tracker.db.reception import DueEvent, claim_due_event, record_delivery
from imdb_tracker.reception.events import alert_text
from imdb_tracker.reception.webhook import WebhookError, post_text

Poster = Callable[[str, str, float], None]
"""``(url, message, timeout_s)``; raises :class:`WebhookError` on failure."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard and how long to try."""

    max_attempts: int
    retry_base_s: float
    timeout_s: float
    max_age_days: int


@dataclass
class DeliveryReport:
    """What one call did, by event id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the sensor's tick."""
        parts = [f"{len(self.sent)} posted"]
        if self.retrying:
            parts.append(f"{len(self.retrying)} to retry ({self.retrying[0][1]})")
        if self.failed:
            parts.append(f"{len(self.failed)} given up ({self.failed[0][1]})")
        if self.stale:
            parts.append(f"{len(self.stale)} too old to announce")
        return ", ".join(parts)


def message(event: DueEvent) -> str:
    """The webhook text of ``event``."""
    return alert_text(event.movie, event.event_id, event.kind, event.summary, event.strong, event.movie_id)


def deliver_pending(
    engine: Engine,
    url: str,
    policy: DeliveryPolicy,
    *,
    time_budget_s: float = 30.0,
    post: Poster = post_text,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeliveryReport:
    """Post every due event (oldest first) until none is left or ``time_budget_s`` is used up."""
    report = DeliveryReport()
    deadline = time.monotonic() + time_budget_s
    while time.monotonic() < deadline:
        with engine.begin() as conn:
            now = clock()
            event = claim_due_event(conn, now)
            if event is None:
                break
            if event.window_end < (now - timedelta(days=policy.max_age_days)).date():
                record_delivery(conn, event.event_id, "stale", now, attempted=False)
                report.stale.append(event.event_id)
                continue
            try:
                post(url, message(event), policy.timeout_s)
            except WebhookError as exc:
                attempts = event.attempts + 1
                if exc.permanent or attempts >= policy.max_attempts:
                    record_delivery(conn, event.event_id, "failed", now, error=str(exc))
                    report.failed.append((event.event_id, str(exc)))
                else:
                    retry_at = now + timedelta(seconds=policy.retry_base_s * 2 ** (attempts - 1))
                    record_delivery(conn, event.event_id, "pending", now, error=str(exc), next_at=retry_at)
                    report.retrying.append((event.event_id, str(exc)))
            else:
                record_delivery(conn, event.event_id, "sent", now)
                report.sent.append(event.event_id)
    return report
