"""Automation of the reception assets, and the webhook alerts.

- ``reception_automation_sensor``: ``reception_signals`` and ``aspect_quotes`` follow their parents
  (``AutomationCondition.eager()``): after a movie's metadata, reviews or sentiments change.
- ``new_reception_events_sensor``: posts each new event once to ``RECEPTION_WEBHOOK_URL``
  (at least once across restarts; see :mod:`imdb_tracker.reception.delivery`).
"""

import dagster as dg

from imdb_tracker.defs.reception.assets import aspect_quotes, reception_signals
from imdb_tracker.defs.resources import ReceptionSettings, TrackerDatabase
from imdb_tracker.reception.delivery import deliver_pending

reception_automation_sensor = dg.AutomationConditionSensorDefinition(
    "reception_automation_sensor",
    target=dg.AssetSelection.assets(reception_signals, aspect_quotes),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Recomputes a movie's reception signals, events and quotes after its data changed.",
)


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts each new reception event once to RECEPTION_WEBHOOK_URL (Slack-compatible JSON).",
)
def new_reception_events_sensor(
    context: dg.SensorEvaluationContext, reception: ReceptionSettings, database: TrackerDatabase
) -> dg.SkipReason:
    """Delivers pending events oldest first within the tick's time budget; failures are retried on
    later ticks with exponential backoff, a bounded number of times. Requests no runs."""
    if not reception.webhook_url:
        return dg.SkipReason("RECEPTION_WEBHOOK_URL is not set: events are stored, not posted")
    report = deliver_pending(database.engine(), reception.webhook_url, reception.delivery_policy())
    for event_id, error in report.failed:
        context.log.error(f"reception event #{event_id} could not be posted, given up: {error}")
    for event_id, error in report.retrying:
        context.log.warning(f"reception event #{event_id} not posted yet, will retry: {error}")
    return dg.SkipReason(report.describe())
