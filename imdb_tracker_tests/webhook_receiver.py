"""A local Slack-compatible webhook receiver for the alert tests: records every POST and can
answer chosen requests with an error status or slowly."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EVENT_ID = re.compile(r"imdb-tracker event #(\d+)")


@dataclass
class WebhookReceiver:
    """Serves ``POST /hook``; ``failures`` are statuses for the next requests, in order."""

    failures: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    attempts: list[int] = field(default_factory=list)
    """Status answered to every request, in order."""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    """Bodies of the requests answered 200."""
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def answer(self, body: dict[str, Any]) -> int:
        """The status for one request (and record it)."""
        with self._lock:
            status = self.failures.pop(0) if self.failures else 200
            self.attempts.append(status)
            if status == 200:
                self.accepted.append(body)
        return status

    def event_ids(self) -> list[int]:
        """The event ids of the accepted messages, in arrival order."""
        with self._lock:
            return [int(m.group(1)) for body in self.accepted if (m := EVENT_ID.search(body["text"]))]

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status = receiver.answer(body) if self.path == "/hook" else 404
            payload = b"ok" if status == 200 else b"error"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def webhook_receiver(**options: Any) -> Iterator[WebhookReceiver]:
    """A running receiver, stopped afterwards."""
    receiver = WebhookReceiver(**options)
    try:
        yield receiver
    finally:
        receiver.stop()
