"""The watchdog that bounds browser calls, with stand-in kill functions (no browser)."""

from __future__ import annotations

import threading
import time

import pytest

from imdb_tracker.imdb.errors import BrowserHung
from imdb_tracker.imdb.watchdog import Watchdog

pytestmark = pytest.mark.fast


class Blocked:
    """A call that blocks until "killed" (or forever, when ``dies_with`` names the other stage)."""

    def __init__(self, dies_with: str) -> None:
        self.dies_with = dies_with
        self.killed: list[str] = []
        self._released = threading.Event()

    def kill(self, stage: str) -> None:
        self.killed.append(stage)
        if stage == self.dies_with:
            self._released.set()

    def call(self) -> None:
        if not self._released.wait(10):
            raise AssertionError("never released")
        raise RuntimeError("connection closed")  # what Playwright raises when its browser dies


def test_a_call_past_its_bound_kills_the_browser_and_raises_browser_hung() -> None:
    blocked = Blocked(dies_with="browser")
    watchdog = Watchdog(lambda: blocked.kill("browser"), lambda: blocked.kill("driver"), grace_s=0.5)
    with (
        pytest.raises(BrowserHung, match=r"did not finish loading a page within 0\.3 s"),
        watchdog.bounded("loading a page", 0.3),
    ):
        blocked.call()
    assert blocked.killed == ["browser"]
    with pytest.raises(BrowserHung), watchdog.bounded("anything else", 10):  # the browser is gone
        pass
    watchdog.close()


def test_the_driver_is_killed_too_when_killing_the_browser_does_not_release_the_call() -> None:
    blocked = Blocked(dies_with="driver")
    watchdog = Watchdog(lambda: blocked.kill("browser"), lambda: blocked.kill("driver"), grace_s=0.3)
    with pytest.raises(BrowserHung), watchdog.bounded("closing a tab", 0.2):
        blocked.call()
    assert blocked.killed == ["browser", "driver"]
    watchdog.close()


def test_the_innermost_bound_counts_and_restarts_at_each_call() -> None:
    fired: list[str] = []
    watchdog = Watchdog(lambda: fired.append("browser"), lambda: fired.append("driver"))
    with watchdog.bounded("a whole scrape", 0.5):
        for _ in range(4):  # 4 x 0.3 s of inner calls: longer than the outer bound, each within its own
            with watchdog.bounded("one page", 0.6):
                time.sleep(0.3)
    assert fired == [] and watchdog.fired is None
    watchdog.close()
