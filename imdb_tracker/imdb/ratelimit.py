"""Politeness towards IMDb: the request budget, the retry back-off schedule, ``Retry-After``."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Protocol


class RequestBudget(Protocol):
    """Where every request to an IMDb host waits for its turn."""

    def acquire(self, host: str) -> None:
        """Block until one more request to ``host`` (``name[:port]``) may start."""
        ...


class TokenBucket:
    """Blocks callers so that no more than ``rate`` requests per second start, with bursts of ``burst``.

    Thread-safe, and one bucket for every host: the budget of a single process (benchmarks, tests).
    Processes that run side by side share one budget in PostgreSQL instead
    (:class:`imdb_tracker.db.request_budget.SharedRequestBudget`).
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"request rate must be positive, got {rate}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, host: str = "") -> None:
        """Take one token, sleeping until one is available (``host`` is ignored)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            if wait:
                self._sleep(wait)


class Backoff:
    """Exponential back-off with jitter: attempt ``n`` waits about ``base * 2**n``, capped at ``cap``."""

    def __init__(self, base_s: float = 1.0, cap_s: float = 60.0, *, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based); never less than ``retry_after``."""
        exponential = min(self.cap_s, self.base_s * 2**attempt)
        jittered = exponential * (0.5 + self._rng.random() / 2)
        return max(jittered, retry_after or 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
