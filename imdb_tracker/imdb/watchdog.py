"""Bounds on calls into the browser: a call that does not return in time ends with the browser.

Playwright gives some calls a timeout (navigation, waiting for an element) and others none
(``evaluate``, closing a page or a context, starting the driver). A browser that stops answering
would leave those waiting forever. :class:`Watchdog` puts every call under a bound; when the bound
runs out it kills the browser's processes from its own thread, which makes the blocked call fail at
once, and the call then raises :class:`~imdb_tracker.imdb.errors.BrowserHung`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from imdb_tracker.imdb.errors import BrowserHung


class Watchdog:
    """Stops the browser when the innermost active :meth:`bounded` block outlives its bound.

    Bounds nest: the innermost one counts, and its clock restarts whenever a block begins or ends
    (each is progress), so an outer block only times the work between its inner calls. When a bound
    runs out, ``kill_browser`` is called (from the watchdog's thread); if the blocked call has not
    returned ``grace_s`` later, ``kill_driver`` too. After that every :meth:`bounded` block raises
    :class:`BrowserHung` at once (the browser is gone).
    """

    def __init__(
        self, kill_browser: Callable[[], None], kill_driver: Callable[[], None], grace_s: float = 5.0
    ) -> None:
        self._kill_browser = kill_browser
        self._kill_driver = kill_driver
        self._grace_s = grace_s
        self._lock = threading.Condition()
        self._stack: list[tuple[str, float]] = []
        self._deadline = 0.0
        self._thread: threading.Thread | None = None
        self._closed = False
        self.fired: BrowserHung | None = None

    @contextmanager
    def bounded(self, what: str, seconds: float) -> Iterator[None]:
        """Run the block under a bound of ``seconds``; ``what`` names it in the error."""
        if self.fired is not None:
            raise self.fired
        self._push(what, seconds)
        try:
            yield
        except BaseException:
            if self.fired is not None:
                raise self.fired from None
            raise
        finally:
            self._pop()
        if self.fired is not None:
            raise self.fired

    def close(self) -> None:
        """Stop the watchdog's thread."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _push(self, what: str, seconds: float) -> None:
        with self._lock:
            self._stack.append((what, seconds))
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="browser-watchdog", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def _pop(self) -> None:
        with self._lock:
            self._stack.pop()
            if self._stack:
                self._deadline = time.monotonic() + self._stack[-1][1]
            self._lock.notify_all()

    def _watch(self) -> None:
        with self._lock:
            while not self._closed and self.fired is None:
                if not self._stack:
                    self._lock.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._lock.wait(remaining)
                    continue
                what, seconds = self._stack[-1]
                self.fired = BrowserHung(what, seconds)
            if self.fired is None:
                return
        self._kill_browser()
        with self._lock:
            self._lock.wait_for(lambda: not self._stack, timeout=self._grace_s)
            blocked = bool(self._stack)
        if blocked:
            self._kill_driver()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first), read from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_processes(pids: list[int]) -> None:
    """SIGKILL each of ``pids`` (those already gone are skipped)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
