"""Ownership, retry policy and run-time limits shared by the code location."""

import dagster as dg

OWNERS = ["team:data-engineering"]

IO_RETRY = dg.RetryPolicy(
    max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
"""Transient I/O (browser crash, network, database restart) is retried with backoff; the IMDb
client already retries 429/5xx itself, so a step failing here has met a longer outage.

Steps with this policy must keep a step worker process (Dagster's default executor): under
``in_process_executor`` Dagster turns the interrupt of a terminated run into a retry of the step
(dagster-io/dagster#15026), so run monitoring could not end a hung scrape; a clean-clone CI run
showed it. The batch jobs run in-process: their ops have no retry policy."""


MAX_RUNTIME_TAG = "dagster/max_runtime"
"""Run tag read by Dagster's run monitoring (``run_monitoring`` in ``dagster.yaml``): a run still
going after this many seconds is terminated and marked failed, and ``run_retries`` launches it again."""


def max_runtime(minutes: int) -> dict[str, str]:
    """The run tag that bounds a run to ``minutes``."""
    return {MAX_RUNTIME_TAG: str(minutes * 60)}


METADATA_RUN_LIMIT = max_runtime(15)
"""One title page: seconds normally; 15 minutes leaves room for the client's and the step's retries."""
METADATA_BATCH_RUN_LIMIT = max_runtime(60)
"""Up to ``METADATA_BATCH_SIZE`` (100) title pages at a fifth of the budget each (five runs at once):
~4 minutes normally; an hour is the next run's tick."""
REVIEWS_RUN_LIMIT = max_runtime(90)
"""20,000 reviews are 400 GraphQL pages: ~17 minutes at 2 requests/s shared by five runs."""
REVIEWS_BATCH_RUN_LIMIT = max_runtime(120)
"""A daily batch holds at most 600 review pages (``REVIEW_PAGES_PER_BATCH``): ~25 minutes at 2
requests/s shared by five runs; two hours leave room for retries and a slower IMDb."""
SENTIMENTS_RUN_LIMIT = max_runtime(60)
CHECKS_RUN_LIMIT = max_runtime(10)
