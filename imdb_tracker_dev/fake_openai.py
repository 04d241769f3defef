"""A fake OpenAI-compatible API on 127.0.0.1 for tests and benchmarks.

Answers ``POST /v1/chat/completions`` by reading the reviews out of the user message (headers
``### Review <n> (id <review id>)``) and scoring each with the offline analyser, as valid structured
JSON with a realistic ``usage`` (tokens counted by a word/punctuation rule close to BPE counts; the
system prompt is reported as cached from its second use on when it is at least 1,024 tokens, in
128-token steps, like OpenAI's prompt cache). Also serves the Batch API: ``/v1/files``,
``/v1/files/{id}/content``, ``/v1/batches`` and ``/v1/batches/{id}``. Per-aspect summary requests
(recognised by their system prompt) get a deterministic summary of the quotes they carry
(:func:`summarise_quotes`).

Faults can be injected: a fixed latency per request, HTTP statuses for chosen request numbers
(429 with ``Retry-After``, 500…), and malformed answers for chosen review ids (``"invalid_json"``,
``"missing"``, ``"out_of_range"``), parameters can be refused as servers and models without
structured outputs or temperature refuse them, and the model can spend output tokens reasoning.
Counters: ``requests`` (``direct_requests`` of them not in a batch), ``reviews_seen``,
``answered_statuses``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from imdb_tracker.reception.summaries import SYSTEM_PROMPT as SUMMARY_SYSTEM_PROMPT
from imdb_tracker.sentiment.models import ReviewInput
from imdb_tracker.sentiment.offline import OfflineAnalyser
from imdb_tracker.sentiment.prompt import WIRE_KEYS

_REVIEW_HEADER = re.compile(r"^### Review (\d+) \(id ([^)]+)\)\n", re.MULTILINE)
_TOKEN = re.compile(r"\w+|[^\w\s]+")
_MESSAGE_OVERHEAD_TOKENS = 4
_CACHE_MIN_TOKENS = 1024
_CACHE_STEP = 128
MALFORMATIONS = ("invalid_json", "missing", "out_of_range")


def count_tokens(text: str) -> int:
    """Token count by words and punctuation runs: within ~15 % of tiktoken on English reviews."""
    return len(_TOKEN.findall(text))


@dataclass
class FakeOpenAI:
    """A running fake server; see the module docstring. Stop it with :meth:`stop`."""

    latency: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    """Request number (1-based, chat completions only) -> HTTP status to answer instead."""
    retry_after: float | None = 0.2
    """Seconds sent in ``Retry-After`` with injected 429s (None: no header)."""
    malformed: dict[str, str] = field(default_factory=dict)
    """Review id -> kind of wrong answer for requests containing that review."""
    malformed_times: int | None = None
    """How many requests per review get the wrong answer (None: all)."""
    refused_parameters: set[str] = field(default_factory=set)
    """Request parameters answered with HTTP 400 naming them, as OpenAI words it (a server without
    structured outputs refuses ``response_format``; reasoning models refuse ``temperature``). With
    ``response_format`` refused, answers come in a Markdown code fence after a sentence."""
    reasoning_tokens: int = 0
    """Output tokens the model spends thinking before it answers, counted against
    ``max_completion_tokens`` as OpenAI's reasoning models count them: when they leave no room for
    the answer, it is empty and cut off (``finish_reason`` "length")."""
    reasoning_tokens_per_review: int = 0
    """More thinking for each review of a scoring request (added to :attr:`reasoning_tokens`)."""
    batch_polls: int = 1
    """Batch retrievals answered "in_progress" before the batch completes."""
    requests: int = 0
    direct_requests: int = 0
    """Chat-completion requests sent to ``/v1/chat/completions`` itself (not in a batch)."""
    summary_requests: int = 0
    """Requests for per-aspect summaries (also counted in ``requests``)."""
    reviews_seen: list[str] = field(default_factory=list)
    answered_statuses: list[int] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._analyser = OfflineAnalyser()
        self._cached_prefixes: set[str] = set()
        self._malformed_count: dict[str, int] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down and close its socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # chat completions ------------------------------------------------------------------------

    def chat_completion(
        self, body: dict[str, Any], *, count_request: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for one chat-completions request body."""
        with self._lock:
            if count_request:
                self.requests += 1
                self.request_times.append(time.monotonic())
            number = self.requests
        if count_request and number in self.statuses:
            status = self.statuses[number]
            with self._lock:
                self.answered_statuses.append(status)
            return status, {"error": {"message": f"injected HTTP {status}", "type": "injected", "code": None}}
        refused = sorted(self.refused_parameters & body.keys())
        if refused:
            with self._lock:
                self.answered_statuses.append(400)
            message = f"Unsupported parameter: '{refused[0]}' is not supported with this model."
            error = {"message": message, "type": "invalid_request_error", "param": refused[0]}
            return 400, {"error": {**error, "code": "unsupported_parameter"}}
        schema_refused = "response_format" in self.refused_parameters
        response_format = body.get("response_format") or {}
        strict = response_format.get("type") == "json_schema" and response_format["json_schema"].get("strict")
        if not (strict or schema_refused):
            return 400, {
                "error": {"message": "expected a strict json_schema response_format", "type": "invalid"}
            }
        messages = body.get("messages") or []
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        user = next((m["content"] for m in messages if m["role"] == "user"), "")
        reasoning = self.reasoning_tokens
        if system == SUMMARY_SYSTEM_PROMPT:
            with self._lock:
                self.summary_requests += 1
                self.answered_statuses.append(200)
            content = json.dumps({"summaries": summarise_quotes(user)})
        else:
            reviews = _parse_reviews(user)
            with self._lock:
                self.reviews_seen.extend(review_id for _, review_id, _ in reviews)
                self.answered_statuses.append(200)
            content = self._answer(reviews)
            reasoning += self.reasoning_tokens_per_review * len(reviews)
        if schema_refused:
            content = f"Here are the scores:\n```json\n{content}\n```"
        cap = body.get("max_completion_tokens")
        return 200, self._completion(body.get("model", "fake"), system, messages, content, cap, reasoning)

    def _answer(self, reviews: list[tuple[int, str, str]]) -> str:
        entries = []
        broken_json = False
        for number, review_id, text in reviews:
            kind = self._malformation(review_id)
            if kind == "missing":
                continue
            scores = self._analyser.analyse(ReviewInput(review_id, None, text)).to_dict()
            entry = {"n": number, **{WIRE_KEYS[name]: value for name, value in scores.items()}}
            if kind == "out_of_range":
                entry["acting"] = 7
            broken_json |= kind == "invalid_json"
            entries.append(entry)
        content = json.dumps({"reviews": entries}, separators=(",", ":"))
        return content[: len(content) // 2] if broken_json else content

    def _malformation(self, review_id: str) -> str | None:
        kind = self.malformed.get(review_id)
        if kind is None:
            return None
        with self._lock:
            used = self._malformed_count.get(review_id, 0)
            if self.malformed_times is not None and used >= self.malformed_times:
                return None
            self._malformed_count[review_id] = used + 1
        return kind

    def _completion(
        self,
        model: str,
        system: str,
        messages: list[dict],
        content: str,
        cap: int | None = None,
        reasoning: int = 0,
    ) -> dict[str, Any]:
        prompt_tokens = sum(count_tokens(m["content"]) + _MESSAGE_OVERHEAD_TOKENS for m in messages)
        system_tokens = count_tokens(system) + _MESSAGE_OVERHEAD_TOKENS
        cached = 0
        with self._lock:
            if system_tokens >= _CACHE_MIN_TOKENS and system in self._cached_prefixes:
                cached = system_tokens // _CACHE_STEP * _CACHE_STEP
            self._cached_prefixes.add(system)
        completion_tokens = reasoning + count_tokens(content)
        finish_reason = "stop"
        if cap is not None and completion_tokens > cap:
            content, finish_reason = "", "length"
            reasoning = completion_tokens = min(reasoning, cap)
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": reasoning},
            },
        }

    # files and batches -----------------------------------------------------------------------

    def create_file(self, filename: str, purpose: str, content: bytes) -> dict[str, Any]:
        """Store an uploaded file."""
        file_id = f"file-{next(self._ids)}"
        with self._lock:
            self._files[file_id] = (filename, content)
        return _file_object(file_id, filename, purpose, len(content))

    def file_content(self, file_id: str) -> bytes | None:
        """Bytes of a stored file, None when unknown."""
        stored = self._files.get(file_id)
        return stored[1] if stored else None

    def create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Register a batch; it runs when polled."""
        if body.get("input_file_id") not in self._files:
            return 400, {"error": {"message": "unknown input_file_id", "type": "invalid"}}
        batch = {
            "id": f"batch_{next(self._ids)}",
            "object": "batch",
            "endpoint": body["endpoint"],
            "completion_window": body["completion_window"],
            "created_at": int(time.time()),
            "input_file_id": body["input_file_id"],
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "_polls": 0,
        }
        with self._lock:
            self._batches[batch["id"]] = batch
        return 200, _public(batch)

    def retrieve_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """The batch, run to completion after :attr:`batch_polls` "in_progress" answers."""
        batch = self._batches.get(batch_id)
        if batch is None:
            return 404, {"error": {"message": "no such batch", "type": "not_found"}}
        batch["_polls"] += 1
        if batch["_polls"] <= self.batch_polls:
            batch["status"] = "in_progress"
        elif batch["status"] != "completed":
            self._run_batch(batch)
        return 200, _public(batch)

    def _run_batch(self, batch: dict[str, Any]) -> None:
        lines_out = []
        uploaded = self._files[batch["input_file_id"]][1]
        requests = [json.loads(line) for line in uploaded.splitlines() if line.strip()]
        for request in requests:
            status, answer = self.chat_completion(request["body"])
            lines_out.append(
                json.dumps(
                    {
                        "id": f"batch_req_{next(self._ids)}",
                        "custom_id": request["custom_id"],
                        "response": {"status_code": status, "request_id": "fake", "body": answer},
                        "error": None,
                    }
                )
            )
        output = self.create_file(
            "batch_output.jsonl", "batch_output", ("\n".join(lines_out) + "\n").encode()
        )
        batch.update(
            status="completed",
            output_file_id=output["id"],
            request_counts={"total": len(requests), "completed": len(requests), "failed": 0},
        )


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _file_object(file_id: str, filename: str, purpose: str, size: int) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": int(time.time()),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }


def summarise_quotes(user_message: str) -> list[dict[str, str]]:
    """A deterministic stand-in for the per-aspect summaries: for each ``## aspect`` block of
    quotes marked ``+``/``-``, how many praise and criticise it and the first of each."""
    summaries = []
    for block in re.split(r"^## ", user_message, flags=re.MULTILINE)[1:]:
        aspect, *lines = block.strip().splitlines()
        praise = [line[2:].strip('"') for line in lines if line.startswith("+ ")]
        criticism = [line[2:].strip('"') for line in lines if line.startswith("- ")]
        parts = [
            f"{len(praise)} quotes praise the {aspect.replace('_', ' & ')}, {len(criticism)} criticise it."
        ]
        if praise:
            parts.append(f"Praise: {praise[0][:80]}")
        if criticism:
            parts.append(f"Criticism: {criticism[0][:80]}")
        summaries.append({"aspect": aspect, "summary": " ".join(parts)})
    return summaries


def _parse_reviews(user_message: str) -> list[tuple[int, str, str]]:
    """(number, review id, text) of each review block in a user message."""
    headers = list(_REVIEW_HEADER.finditer(user_message))
    reviews = []
    for header, following in zip(headers, [*headers[1:], None], strict=True):
        end = following.start() if following else len(user_message)
        reviews.append((int(header.group(1)), header.group(2), user_message[header.end() : end].strip()))
    return reviews


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self, status: int, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
        ) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            content_type = "application/octet-stream" if isinstance(payload, bytes) else "application/json"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _authorised(self) -> bool:
            if re.fullmatch(r"Bearer \S+", self.headers.get("Authorization") or ""):
                return True
            self._send(401, {"error": {"message": "missing API key", "type": "invalid_request_error"}})
            return False

        def do_POST(self) -> None:
            body = self._body()
            if not self._authorised():
                return
            if self.path == "/v1/chat/completions":
                with fake._lock:
                    fake.direct_requests += 1
                if fake.latency:
                    time.sleep(fake.latency)
                status, answer = fake.chat_completion(json.loads(body))
                headers = {}
                if status == 429 and fake.retry_after is not None:
                    headers["Retry-After"] = f"{fake.retry_after:g}"
                self._send(status, answer, headers)
            elif self.path == "/v1/files":
                filename, purpose, content = _parse_upload(self.headers["Content-Type"], body)
                self._send(200, fake.create_file(filename, purpose, content))
            elif self.path == "/v1/batches":
                self._send(*fake.create_batch(json.loads(body)))
            else:
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if match := re.fullmatch(r"/v1/batches/([\w-]+)", self.path):
                self._send(*fake.retrieve_batch(match.group(1)))
            elif match := re.fullmatch(r"/v1/files/([\w-]+)/content", self.path):
                content = fake.file_content(match.group(1))
                if content is None:
                    self._send(404, {"error": {"message": "no such file", "type": "not_found"}})
                else:
                    self._send(200, content)
            else:
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    return Handler


def _parse_upload(content_type: str, body: bytes) -> tuple[str, str, bytes]:
    """(filename, purpose, content) of a multipart/form-data file upload."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    filename, purpose, content = "upload", "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            filename = part.get_filename() or filename
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
        elif name == "purpose":
            purpose = str(part.get_content()).strip()
    return filename, purpose, content


def start_fake_openai(**options: Any) -> FakeOpenAI:
    """Start a fake server on a random port; ``options`` are the :class:`FakeOpenAI` settings."""
    return FakeOpenAI(**options)
