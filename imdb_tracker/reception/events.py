"""Reception events: what a detector found, about which movie and when, how strongly, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

EventKind = Literal[
    "volume_burst", "polarisation_jump", "aspect_drift", "rating_shift", "review_bombing_candidate"
]
EVENT_KINDS: tuple[str, ...] = (
    "volume_burst",
    "polarisation_jump",
    "aspect_drift",
    "rating_shift",
    "review_bombing_candidate",
)

KIND_LABELS = {
    "volume_burst": "review volume burst",
    "polarisation_jump": "rating polarisation jump",
    "aspect_drift": "aspect sentiment drift",
    "rating_shift": "IMDb rating shift with a vote jump",
    "review_bombing_candidate": "review-bombing candidate",
}


@dataclass(frozen=True)
class Event:
    """One detection.

    ``subject`` says what moved (``reviews``, ``one_star``/``ten_star``, an aspect, ``imdb_rating``);
    ``strength`` is the effect divided by the detector's threshold for it (so at least 1, and
    comparable across kinds); ``strong`` events are at least ``strong_factor`` times over it.
    ``summary`` is one sentence with the figures, ``evidence`` the figures themselves (JSON).
    """

    movie_id: str
    kind: EventKind
    subject: str
    window_start: date
    window_end: date
    strength: float
    strong: bool
    summary: str
    evidence: dict[str, Any]

    @property
    def severity(self) -> str:
        """``strong`` or ``candidate``."""
        return "strong" if self.strong else "candidate"


def window_text(start: date, end: date) -> str:
    """``2025-03-20`` or ``2025-03-20 to 2025-04-02``."""
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def alert_text(movie: str, event_id: int, kind: str, summary: str, strong: bool, movie_id: str) -> str:
    """The text a webhook receives for a stored event (Slack ``mrkdwn``)."""
    severity = "strong" if strong else "candidate"
    return (
        f"*{KIND_LABELS.get(kind, kind)}* ({severity}) on *{movie}*: {summary} "
        f"<https://www.imdb.com/title/{movie_id}/reviews/|reviews on IMDb> · imdb-tracker event #{event_id}"
    )
