"""Sentiment core without network: records, cache rule, prompt packing, answer validation, factory."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import httpx
import openai
import pytest
from pydantic import SecretStr

from imdb_tracker.sentiment import (
    Fingerprint,
    OfflineAnalyser,
    OpenAIBackend,
    Prices,
    ReviewInput,
    Usage,
    backend_from_settings,
    make_backend,
    needs_scoring,
)
from imdb_tracker.sentiment.cache import input_hash
from imdb_tracker.sentiment.chat_api import refused_parameter
from imdb_tracker.sentiment.openai_backend import retry_after_seconds
from imdb_tracker.sentiment.prompt import (
    RESPONSE_FORMAT,
    TRUNCATION_MARKER,
    WIRE_KEYS,
    pack_requests,
    parse_answer,
    truncate_text,
    user_message,
)

pytestmark = pytest.mark.fast


def test_usage_adds_up_and_prices_cached_tokens_at_their_own_rate() -> None:
    total = Usage(1, 2_000_000, 1_000_000, 100_000) + Usage(2, 1_000_000, 0, 400_000)
    assert total == Usage(3, 3_000_000, 1_000_000, 500_000)
    # 2M uncached * 0.15 + 1M cached * 0.075 + 0.5M output * 0.60
    assert total.cost(Prices()) == pytest.approx(0.30 + 0.075 + 0.30)
    assert total.cost(Prices().discounted(0.5)) == pytest.approx((0.30 + 0.075 + 0.30) / 2)


def test_input_hash_covers_title_text_and_only_for_rating_readers_the_rating() -> None:
    review = ReviewInput("rw1", "Title", "Text", rating=3)
    assert input_hash(review, False) == input_hash(ReviewInput("rw2", "Title", "Text", rating=9), False)
    assert input_hash(review, False) != input_hash(ReviewInput("rw1", "Title", "Text!"), False)
    assert input_hash(review, False) != input_hash(ReviewInput("rw1", None, "Text"), False)
    assert input_hash(review, True) != input_hash(ReviewInput("rw1", "Title", "Text", rating=9), True)
    assert input_hash(review, True) != input_hash(review, False)
    # compatible with outputs written before the rating existed: title and text joined by \x1f
    assert input_hash(review, False) == hashlib.sha256(b"Title\x1fText").hexdigest()


def test_needs_scoring_only_when_what_the_backend_reads_or_the_backend_changed() -> None:
    offline = OfflineAnalyser()
    llm = OpenAIBackend(api_key="sk-unused")
    review = ReviewInput("rw1", "Title", "Loved the songs.", rating=8)
    for backend in (offline, llm):
        stored = Fingerprint.of(review, backend)
        assert needs_scoring(None, review, backend)
        assert not needs_scoring(stored, review, backend)
        assert needs_scoring(stored, ReviewInput("rw1", "Title", "Hated the songs.", rating=8), backend)
        for changed in (
            Fingerprint(stored.content_hash, "other", stored.model, stored.prompt_version),
            Fingerprint(stored.content_hash, stored.backend, "other-model", stored.prompt_version),
            Fingerprint(stored.content_hash, stored.backend, stored.model, "older-prompt"),
        ):
            assert needs_scoring(changed, review, backend)
    re_rated = ReviewInput("rw1", "Title", "Loved the songs.", rating=2)
    assert needs_scoring(Fingerprint.of(review, offline), re_rated, offline)  # overall follows the stars
    assert not needs_scoring(Fingerprint.of(review, llm), re_rated, llm)  # the LLM never sees them


def test_truncation_keeps_start_and_verdict_at_the_end() -> None:
    text = "Opening words here. " + "middle filler " * 400 + "Final verdict: awful."
    short = truncate_text(text, 100)
    assert short.startswith("Opening words here.")
    assert short.endswith("Final verdict: awful.")
    assert TRUNCATION_MARKER in short
    assert len(short) <= 400
    assert truncate_text("short", 100) == "short"


def test_packing_respects_review_count_and_token_budget() -> None:
    reviews = [ReviewInput(f"rw{i}", None, "word " * 100) for i in range(45)]  # ~125 tokens each
    by_count = pack_requests(reviews, max_reviews=20, max_request_tokens=100_000, max_review_tokens=1000)
    assert [len(r) for r in by_count] == [20, 20, 5]
    assert [p.number for p in by_count[1]] == list(range(1, 21))
    assert [p.position for p in by_count[2]] == list(range(40, 45))
    by_budget = pack_requests(reviews, max_reviews=20, max_request_tokens=700, max_review_tokens=1000)
    assert all(len(r) == 4 for r in by_budget[:-1]) and sum(len(r) for r in by_budget) == 45
    message = user_message(by_count[0][:2])
    assert "### Review 1 (id rw0)" in message and "### Review 2 (id rw1)" in message


def test_response_format_is_a_strict_schema_with_every_key_required() -> None:
    assert RESPONSE_FORMAT["json_schema"]["strict"] is True
    item = RESPONSE_FORMAT["json_schema"]["schema"]["properties"]["reviews"]["items"]
    assert item["additionalProperties"] is False
    assert set(item["required"]) == {"n", *WIRE_KEYS.values()} == set(item["properties"])
    assert None not in item["properties"]["overall"]["enum"]
    assert None in item["properties"]["story"]["enum"]


def _packed(count: int):
    reviews = [ReviewInput(f"rw{i}", None, "text") for i in range(count)]
    return pack_requests(reviews, max_reviews=count, max_request_tokens=10_000, max_review_tokens=100)[0]


def _entry(n: int, **changes: object) -> dict:
    entry = {"n": n, "story": 1, "acting": None, "visual": -2, "music": 0, "themes": None, "overall": 2}
    return {**entry, **changes}


def test_answer_validation_fails_only_the_reviews_with_wrong_entries() -> None:
    packed = _packed(4)
    content = json.dumps({"reviews": [_entry(1), _entry(2, acting=7), _entry(4), _entry(4, overall=-2)]})
    outcome = parse_answer(content, packed)
    expected = {"storytelling": 1, "acting": None, "cinematography": -2, "music_sound": 0, "themes": None}
    assert outcome[1].to_dict() == {**expected, "overall": 2}
    assert outcome[2].startswith("score out of range")
    assert outcome[3] == "review missing from the answer"
    assert outcome[4].overall == 2  # the first entry of a duplicated number wins


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"reviews": [{"n": 1', "invalid JSON"),
        ("", "invalid JSON"),
        ("I cannot score these reviews.", "invalid JSON"),
        ('```json\n{"reviews": [{"n": 1}\n```', "invalid JSON"),
        ('Scores: {"reviews": [{"n": 1, "story": 1}]}', "answer does not match the schema"),
        ('{"reviews": [{"n": 1, "story": 1}]}', "answer does not match the schema"),
        ('{"scores": []}', "answer does not match the schema"),
    ],
)
def test_unusable_answer_fails_every_review_of_the_request(content: str, reason: str) -> None:
    outcome = parse_answer(content, _packed(2))
    assert set(outcome) == {1, 2}
    assert all(isinstance(v, str) and v.startswith(reason) for v in outcome.values())


@pytest.mark.parametrize(
    "wrap",
    [
        "```json\n{}\n```",
        "```\n{}\n```",
        "Here are the scores:\n{}\nLet me know if you need more.",
    ],
)
def test_an_answer_wrapped_in_a_fence_or_words_is_read(wrap: str) -> None:
    """OpenAI-compatible servers without structured outputs often wrap the JSON object."""
    content = wrap.replace("{}", json.dumps({"reviews": [_entry(1), _entry(2, overall=-1)]}, indent=1))
    outcome = parse_answer(content, _packed(2))
    assert [outcome[1].overall, outcome[2].overall] == [2, -1]


def _bad_request(message: str, param: str | None = None) -> openai.BadRequestError:
    response = httpx.Response(400, request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))
    return openai.BadRequestError(message, response=response, body={"message": message, "param": param})


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (_bad_request("Unsupported value: 'temperature' does not support 0.0", "temperature"), "temperature"),
        (_bad_request("response_format type json_schema is not supported"), "response_format"),
        (_bad_request("this model does not support structured outputs"), "response_format"),
        (_bad_request("'messages' must contain the word 'json'", "messages"), None),
        (_bad_request("maximum context length is 128000 tokens"), None),
        (openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/")), None),
    ],
)
def test_a_refusal_names_the_optional_parameter_to_drop(error: Exception, refused: str | None) -> None:
    sent = {"model": "m", "messages": [], "response_format": {}, "temperature": 0.0}
    assert refused_parameter(error, sent) == refused
    assert refused_parameter(error, {"model": "m", "messages": []}) is None  # only what was sent


def test_retry_after_accepts_seconds_milliseconds_and_http_dates() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds({"retry-after": in_a_minute}) <= 60
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None


def test_make_backend_auto_picks_openai_only_with_a_key() -> None:
    assert make_backend().name == "offline"
    backend = make_backend(api_key="sk-secret-123", base_url="http://127.0.0.1:9/v1", batch_api=True)
    assert isinstance(backend, OpenAIBackend) and backend.name == "openai"
    assert backend.prices == Prices().discounted(0.5)
    assert "sk-secret-123" not in repr(backend)
    with pytest.raises(ValueError, match="needs an API key"):
        make_backend(backend="openai")
    with pytest.raises(ValueError, match="unknown sentiment backend"):
        make_backend(backend="bert")
    for url in ("not a url", "ftp://example.com/v1", "http://", "https://host:0/v1"):
        with pytest.raises(ValueError, match="is not an http:// or https:// URL with a valid host"):
            make_backend(backend="openai", api_key="sk-x", base_url=url)


def test_backend_from_settings_reads_the_settings_fields() -> None:
    settings = SimpleNamespace(
        sentiment_backend="auto",
        openai_api_key=SecretStr("sk-from-settings"),
        openai_base_url="http://127.0.0.1:9/v1",
        openai_model="gpt-4.1-nano",
        sentiment_batch_size=12,
        sentiment_concurrency=2,
        openai_price_input_per_m=0.10,
        openai_price_cached_input_per_m=0.025,
        openai_price_output_per_m=0.40,
    )
    backend = backend_from_settings(settings)
    assert isinstance(backend, OpenAIBackend)
    assert (backend.model, backend.batch_size, backend.concurrency) == ("gpt-4.1-nano", 12, 2)
    assert backend.prices == Prices(0.10, 0.025, 0.40)
    assert backend_from_settings(SimpleNamespace(openai_api_key=None)).name == "offline"


def test_the_cli_the_code_location_and_the_offline_analyser_load_without_openai() -> None:
    # A fresh interpreter: this test module has imported openai already. The openai package takes
    # longer to import than the rest of the CLI; only the LLM backend and the LLM summaries may
    # bring it in (every run worker loads the code location).
    code = (
        "import sys, imdb_tracker.cli, imdb_tracker.definitions, imdb_tracker.sentiment as s;"
        "s.make_backend(backend='offline');"
        "print('openai' in sys.modules);"
        "s.OpenAIBackend;"
        "print('openai' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
