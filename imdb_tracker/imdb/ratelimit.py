"""Politeness towards IMDb: a global request-rate limit and the retry back-off schedule."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Blocks callers so that no more than ``rate`` requests per second start, with bursts of ``burst``.

    Thread-safe: one bucket is shared by every request of a client.
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

    def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
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
