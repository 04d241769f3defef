"""Webhook alerts for new reception events: each posted once, retried with backoff, never repeated
across restarts of the real ``dagster-daemon``; tested against a local HTTP receiver."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import Engine, select

from imdb_tracker.db.movies import register_movie
from imdb_tracker.db.reception import save_events
from imdb_tracker.db.schema import reception_events
from imdb_tracker.defs.reception.automation import new_reception_events_sensor
from imdb_tracker.reception.delivery import DeliveryPolicy, deliver_pending
from imdb_tracker.reception.detectors import Thresholds, detect_events
from imdb_tracker.reception.webhook import WebhookError, post_text
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_tests.cli_support import run_cli
from imdb_tracker_tests.pipeline_support import pipeline_resources
from imdb_tracker_tests.reception_synthetic import poisson_counts, volume
from imdb_tracker_tests.webhook_receiver import webhook_receiver

REPO = Path(__file__).resolve().parent.parent
POLICY = DeliveryPolicy(max_attempts=3, retry_base_s=0.0, timeout_s=5.0, max_age_days=30)


def store_burst(engine: Engine, movie_id: str, title: str, ended_days_ago: int = 1) -> list[int]:
    """A movie whose synthetic history ends with a volume burst ``ended_days_ago`` days ago;
    its detected events stored (pending delivery). Returns their ids."""
    counts = poisson_counts([1.0] * 120 + [40.0] * 4, seed=7)
    signals = volume(counts, movie_id=movie_id)
    shift = date.today() - timedelta(days=ended_days_ago) - signals.days[-1].day
    shifted = type(signals)(movie_id, tuple(type(d)(d.day + shift, d.reviews) for d in signals.days))
    events = [
        e for e in detect_events(shifted, Thresholds.defaults()) if e.window_end == shifted.days[-1].day
    ]
    assert [e.kind for e in events] == ["volume_burst"]
    with engine.begin() as conn:
        register_movie(conn, movie_id, title)
        stored = save_events(conn, movie_id, events, datetime.now(UTC), gap_days=2)
    return [s.event_id for s in stored]


def states(engine: Engine) -> dict[int, tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                reception_events.c.event_id,
                reception_events.c.notify_state,
                reception_events.c.notify_attempts,
            )
        )
        return {row[0]: (row[1], row[2]) for row in rows}


def test_each_event_is_posted_once_with_its_movie_and_figures(clean_db: Engine) -> None:
    ids = store_burst(clean_db, "tt0000101", "Burst Movie")
    with webhook_receiver() as receiver:
        first = deliver_pending(clean_db, receiver.url, POLICY)
        second = deliver_pending(clean_db, receiver.url, POLICY)
    assert first.sent == ids and second.sent == []
    assert receiver.event_ids() == ids
    text = receiver.accepted[0]["text"]
    assert "review volume burst" in text and "*Burst Movie*" in text and "reviews in" in text
    assert states(clean_db) == {ids[0]: ("sent", 1)}


def test_failures_are_retried_with_backoff_then_posted_once(clean_db: Engine) -> None:
    [event_id] = store_burst(clean_db, "tt0000102", "Flaky Hook")
    policy = DeliveryPolicy(max_attempts=5, retry_base_s=0.3, timeout_s=5.0, max_age_days=30)
    with webhook_receiver(failures=[503, 500]) as receiver:
        first = deliver_pending(clean_db, receiver.url, policy)
        too_soon = deliver_pending(clean_db, receiver.url, policy)  # backoff: not due yet
        time.sleep(0.35)
        second = deliver_pending(clean_db, receiver.url, policy)
        time.sleep(0.65)  # the second wait is twice the first
        third = deliver_pending(clean_db, receiver.url, policy)
    assert [r.retrying for r in (first, too_soon, second)] == [
        [(event_id, "webhook answered HTTP 503")],
        [],
        [(event_id, "webhook answered HTTP 500")],
    ]
    assert third.sent == [event_id]
    assert receiver.attempts == [503, 500, 200] and receiver.event_ids() == [event_id]
    assert states(clean_db) == {event_id: ("sent", 3)}


def test_retries_are_bounded_and_a_rejected_message_is_not_retried(clean_db: Engine) -> None:
    [flaky] = store_burst(clean_db, "tt0000103", "Always Down")
    with webhook_receiver(failures=[503] * 10) as receiver:
        report = deliver_pending(clean_db, receiver.url, POLICY)  # retry_base_s 0: all attempts now
    assert report.failed == [(flaky, "webhook answered HTTP 503")]
    assert receiver.attempts == [503] * POLICY.max_attempts
    [gone] = store_burst(clean_db, "tt0000104", "Revoked Hook")
    with webhook_receiver(failures=[404]) as receiver:
        report = deliver_pending(clean_db, receiver.url, POLICY)
    assert report.failed == [(gone, "webhook answered HTTP 404")] and receiver.attempts == [404]
    assert states(clean_db) == {flaky: ("failed", 3), gone: ("failed", 1)}


def test_old_events_are_stored_but_not_announced(clean_db: Engine) -> None:
    [old] = store_burst(clean_db, "tt0000105", "Old News", ended_days_ago=400)
    with webhook_receiver() as receiver:
        report = deliver_pending(clean_db, receiver.url, POLICY)
    assert report.stale == [old] and receiver.attempts == []
    assert states(clean_db) == {old: ("stale", 0)}


def test_a_crash_between_post_and_record_posts_again_at_least_once(clean_db: Engine) -> None:
    """The documented choice: the outcome is recorded in the transaction that holds the row lock;
    dying after the receiver's 200 rolls it back, so the event is posted again (never lost)."""
    [event_id] = store_burst(clean_db, "tt0000106", "Crash Test")

    def post_then_die(url: str, message: str, timeout_s: float) -> None:
        post_text(url, message, timeout_s)
        raise SystemExit("killed after the POST")

    with webhook_receiver() as receiver:
        with pytest.raises(SystemExit):
            deliver_pending(clean_db, receiver.url, POLICY, post=post_then_die)
        assert states(clean_db) == {event_id: ("pending", 0)}
        deliver_pending(clean_db, receiver.url, POLICY)
    assert receiver.event_ids() == [event_id, event_id]
    assert states(clean_db) == {event_id: ("sent", 1)}


def test_two_deliverers_at_once_post_each_event_once(clean_db: Engine) -> None:
    ids = [store_burst(clean_db, f"tt000011{i}", f"Movie {i}")[0] for i in range(6)]
    with webhook_receiver(delay_s=0.2) as receiver:
        threads = [
            threading.Thread(target=deliver_pending, args=(clean_db, receiver.url, POLICY)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(receiver.event_ids()) == ids


def test_webhook_errors_never_show_the_url() -> None:
    with pytest.raises(WebhookError) as caught:
        post_text("http://127.0.0.1:9/services/T0/B0/very-secret-token", "hello", timeout_s=2)
    assert "very-secret-token" not in str(caught.value) and not caught.value.permanent


def tick(instance: dg.DagsterInstance, **settings: object) -> dg.SkipReason:
    """One evaluation of the webhook sensor with the session's settings plus ``settings``."""
    resources = pipeline_resources(**settings)
    with dg.build_sensor_context(
        instance=instance, resources={"reception": resources["reception"], "database": resources["database"]}
    ) as context:
        result = new_reception_events_sensor(context)
    assert isinstance(result, dg.SkipReason)
    return result


def test_the_sensor_posts_only_with_a_url(clean_db: Engine) -> None:
    [event_id] = store_burst(clean_db, "tt0000121", "Sensor Movie")
    with webhook_receiver() as receiver, dg.instance_for_test() as instance:
        unset = tick(instance)
        assert "RECEPTION_WEBHOOK_URL is not set" in str(unset.skip_message) and receiver.attempts == []
        posted = tick(instance, reception_webhook_url=receiver.url)
    assert posted.skip_message == "1 posted"
    assert receiver.event_ids() == [event_id]


# --- the real daemon ------------------------------------------------------------------------------


def start_daemon(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "RECEPTION_WEBHOOK_URL": url}
    return subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
        env=env,
        cwd=REPO,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def sensor_ticks_after(moment: float) -> int:
    """Finished ticks of the webhook sensor on the session's instance since ``moment`` (epoch s)."""
    with dg.DagsterInstance.get() as instance:
        states = [s for s in instance.all_instigator_state() if s.name == new_reception_events_sensor.name]
        ticks = [
            tick
            for state in states
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=10)
        ]
    return sum(tick.timestamp > moment and tick.status.value in ("SKIPPED", "SUCCESS") for tick in ticks)


def wait_for(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:g} s; daemon log:\n{log.read_text()[-3000:]}")


def test_the_daemon_posts_each_new_event_once_across_a_restart(
    clean_db: Engine, no_tracked_movies, tmp_path: Path
) -> None:
    log = tmp_path / "daemon.log"
    with webhook_receiver() as receiver:
        first = store_burst(clean_db, "tt0000131", "Before Restart")
        daemon = start_daemon(receiver.url, log)
        try:
            wait_for(lambda: receiver.event_ids() == first, 180, "the first event was not posted", log)
        finally:
            stop_process_group(daemon)
        second = store_burst(clean_db, "tt0000132", "After Restart")
        daemon = start_daemon(receiver.url, log)
        try:
            wait_for(lambda: len(receiver.event_ids()) >= 2, 180, "the second event was not posted", log)
            posted = time.time()
            # One more tick of the sensor: nothing may be posted again.
            wait_for(lambda: sensor_ticks_after(posted) >= 1, 120, "the sensor did not tick again", log)
        finally:
            stop_process_group(daemon)
    assert receiver.event_ids() == first + second
    assert receiver.attempts == [200, 200]
    assert {state for state, _ in states(clean_db).values()} == {"sent"}


def test_a_bad_webhook_url_or_threshold_is_one_line_naming_the_setting_never_the_value() -> None:
    result = run_cli(
        "settings",
        "show",
        env={
            "RECEPTION_WEBHOOK_URL": "hooks.example.invalid/T0/B0/secret-token",
            "RECEPTION_BURST_MAX_P": "2",
        },
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: invalid setting ")
    assert (
        "RECEPTION_WEBHOOK_URL: the webhook URL is not an http:// or https:// URL with a valid host"
        in result.stderr
    )
    assert "RECEPTION_BURST_MAX_P: Input should be less than 1" in result.stderr
    assert "secret-token" not in result.stderr
