"""Ownership and retry policy shared by every asset of the code location."""

import dagster as dg

OWNERS = ["team:data-engineering"]

IO_RETRY = dg.RetryPolicy(
    max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
"""Transient I/O (browser crash, network, database restart) is retried with backoff; the IMDb
client already retries 429/5xx itself, so a step failing here has met a longer outage."""
