"""Posting alerts to a Slack-compatible incoming webhook (JSON ``{"text": …}``)."""

from __future__ import annotations

import requests

_RETRYABLE_CLIENT_STATUSES = {408, 425, 429}


class WebhookError(Exception):
    """The webhook did not accept a message; ``permanent`` when sending it again cannot help
    (the URL is gone or the receiver rejects the message)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def post_text(url: str, message: str, timeout_s: float) -> None:
    """POST ``{"text": message}`` to ``url``; raises :class:`WebhookError` unless a 2xx came back.

    The URL is never part of an error message (a Slack webhook's path is its secret).
    """
    try:
        response = requests.post(url, json={"text": message}, timeout=timeout_s)
    except requests.RequestException as exc:
        raise WebhookError(f"webhook unreachable: {type(exc).__name__}") from None
    if 200 <= response.status_code < 300:
        return
    permanent = 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE_CLIENT_STATUSES
    raise WebhookError(f"webhook answered HTTP {response.status_code}", permanent=permanent)
