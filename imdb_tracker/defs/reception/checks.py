"""Asset check of ``reception_signals``: a new event fails it, WARN for candidates, ERROR when
one of them is strong."""

from collections.abc import Sequence

import dagster as dg

from imdb_tracker.db.reception import StoredEvent
from imdb_tracker.reception.events import KIND_LABELS

RECEPTION_CHECKS = [
    dg.AssetCheckSpec(
        "no_new_reception_events",
        asset="reception_signals",
        description=(
            "No new reception event in this materialization; a new event warns (candidate) or "
            "errors (strong: at least RECEPTION_STRONG_FACTOR times over its threshold)."
        ),
    )
]


def reception_check_results(stored: Sequence[StoredEvent]) -> list[dg.AssetCheckResult]:
    """Results of :data:`RECEPTION_CHECKS` from what this materialization stored."""
    new = [s for s in stored if s.new]
    strong = any(s.event.strong for s in new)
    return [
        dg.AssetCheckResult(
            check_name="no_new_reception_events",
            passed=not new,
            severity=dg.AssetCheckSeverity.ERROR if strong else dg.AssetCheckSeverity.WARN,
            metadata={
                "new_events": len(new),
                "strong_new_events": sum(s.event.strong for s in new),
                "events": dg.MetadataValue.md(
                    "\n".join(
                        f"- #{s.event_id} {KIND_LABELS[s.event.kind]} ({s.event.severity}, "
                        f"strength {s.event.strength}): {s.event.summary}"
                        for s in new
                    )
                    or "none"
                ),
            },
        )
    ]
