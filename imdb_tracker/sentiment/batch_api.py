"""OpenAI Batch API round trip: upload JSONL requests, create the batch, poll, download the output."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openai import OpenAI

log = logging.getLogger(__name__)

FINISHED_STATES = frozenset({"completed", "failed", "expired", "cancelled"})


class BatchJobError(RuntimeError):
    """The batch as a whole did not complete."""


@dataclass(frozen=True)
class FailedRequest:
    """Why one request of a batch got no completion: the HTTP status and the error's ``message``
    and ``param`` fields as the API sent them (None when the batch did not say)."""

    status_code: int | None
    message: str
    param: str | None = None

    def __str__(self) -> str:
        status = f" with HTTP {self.status_code}" if self.status_code is not None else ""
        return f"batch request failed{status}: {self.message}"


def run_batch_job(
    client: OpenAI,
    bodies: Sequence[tuple[str, dict[str, Any]]],
    *,
    poll_interval: float,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, dict[str, Any] | FailedRequest]:
    """Run chat-completion ``bodies`` (``(custom_id, body)`` pairs) as one batch job.

    Returns, per custom id, the chat completion as a dict, or why that request failed.
    Raises :class:`BatchJobError` when the job fails, expires or exceeds ``max_wait`` seconds.
    """
    lines = (
        json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body})
        for cid, body in bodies
    )
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    upload = client.files.create(file=("sentiment_requests.jsonl", payload), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    log.info("batch %s created with %d requests", batch.id, len(bodies))
    waited = 0.0
    while batch.status not in FINISHED_STATES:
        if waited >= max_wait:
            raise BatchJobError(f"batch {batch.id} still {batch.status} after {max_wait:.0f} s")
        sleep(poll_interval)
        waited += poll_interval
        batch = client.batches.retrieve(batch.id)
    if batch.status != "completed":
        raise BatchJobError(f"batch {batch.id} ended as {batch.status}")
    outcome: dict[str, dict[str, Any] | FailedRequest] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            outcome.update(_read_result_file(client.files.content(file_id).text))
    for cid, _ in bodies:
        outcome.setdefault(cid, FailedRequest(None, "request missing from the batch output"))
    return outcome


def _read_result_file(text: str) -> dict[str, dict[str, Any] | FailedRequest]:
    results: dict[str, dict[str, Any] | FailedRequest] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        response = record.get("response") or {}
        if record.get("error"):
            results[record["custom_id"]] = FailedRequest(None, record["error"].get("message", "unknown"))
        elif response.get("status_code") != 200:
            error = (response.get("body") or {}).get("error") or {}
            results[record["custom_id"]] = FailedRequest(
                response.get("status_code"), str(error.get("message", "no message")), error.get("param")
            )
        else:
            results[record["custom_id"]] = response["body"]
    return results
