"""The OpenAI backend end to end: the real ``openai`` client against the fake server on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from imdb_tracker.sentiment import OpenAIBackend, Prices, RetryPolicy, ReviewInput
from imdb_tracker_dev.fake_openai import FakeOpenAI

API_KEY = "sk-test-do-not-log-4f8a"


def _reviews(count: int) -> list[ReviewInput]:
    """Even reviews only praise the songs, odd ones only pan the acting: a mix-up would show."""
    return [
        ReviewInput(f"rw{i:03d}", None, "The songs are wonderful and catchy, I loved the music.")
        if i % 2 == 0
        else ReviewInput(f"rw{i:03d}", "Awful", "The acting is terrible and the actors are wooden.")
        for i in range(count)
    ]


def _backend(fake: FakeOpenAI, sleeps: list[float] | None = None, **options: object) -> OpenAIBackend:
    options.setdefault("retry", RetryPolicy(base_delay=0.01, max_delay=1.0))
    return OpenAIBackend(
        api_key=API_KEY,
        base_url=fake.base_url,
        sleep=sleeps.append if sleeps is not None else (lambda _: None),
        **options,
    )


def _assert_scored_by_content(results, reviews) -> None:
    assert [r.review_id for r in results] == [r.review_id for r in reviews]
    for result in results:
        assert result.error is None and result.scores is not None
        if int(result.review_id[2:]) % 2 == 0:
            assert result.scores.music_sound > 0 and result.scores.acting is None
        else:
            assert result.scores.acting < 0 and result.scores.music_sound is None


def test_reviews_are_batched_and_results_keep_input_order(fake_openai: FakeOpenAI) -> None:
    reviews = _reviews(45)
    progress: list[int] = []
    run = _backend(fake_openai, batch_size=20, concurrency=3).score(reviews, progress=progress.append)
    assert fake_openai.requests == 3  # 45 reviews in requests of 20, 20, 5
    assert sorted(fake_openai.reviews_seen) == sorted(r.review_id for r in reviews)
    _assert_scored_by_content(run.results, reviews)
    assert sum(progress) == 45
    assert run.usage.requests == 3


def test_cost_comes_from_the_usage_fields_including_cached_prompt_tokens(fake_openai: FakeOpenAI) -> None:
    prices = Prices(input_per_m=1.0, cached_input_per_m=0.5, output_per_m=4.0)
    run = _backend(fake_openai, batch_size=10, concurrency=1, prices=prices).score(_reviews(30))
    usage = run.usage
    assert usage.requests == 3
    # the system prompt (>= 1,024 tokens) is cached from the second request on, in 128-token steps
    assert usage.cached_input_tokens > 0 and usage.cached_input_tokens % 128 == 0
    assert usage.cached_input_tokens == 2 * (usage.cached_input_tokens // 2)
    assert usage.input_tokens > usage.cached_input_tokens and usage.output_tokens > 30 * 10
    expected = (
        (usage.input_tokens - usage.cached_input_tokens) * 1.0
        + usage.cached_input_tokens * 0.5
        + usage.output_tokens * 4.0
    ) / 1e6
    assert run.cost == pytest.approx(expected)


def test_a_review_with_a_bad_answer_fails_alone_and_the_rest_is_kept(fake_openai: FakeOpenAI) -> None:
    reviews = _reviews(12)
    fake_openai.malformed = {"rw003": "invalid_json", "rw007": "out_of_range", "rw010": "missing"}
    run = _backend(fake_openai, batch_size=12, retry=RetryPolicy(max_answer_retries=2)).score(reviews)
    errors = {r.review_id: r.error for r in run.results if r.error}
    assert set(errors) == {"rw003", "rw007", "rw010"}
    assert errors["rw003"].startswith("invalid JSON")
    assert errors["rw007"].startswith("score out of range")
    assert errors["rw010"] == "review missing from the answer"
    kept = [r for r in run.results if not r.error]
    _assert_scored_by_content(kept, [r for r in reviews if r.review_id not in errors])
    # first request: everything; invalid JSON spoils all 12, re-asked one per request, then the 3 again
    assert fake_openai.requests == 1 + 12 + 3
    assert run.usage.requests == fake_openai.requests


def test_a_wrong_answer_is_re_asked_and_then_succeeds(fake_openai: FakeOpenAI) -> None:
    fake_openai.malformed = {"rw001": "missing", "rw002": "out_of_range"}
    fake_openai.malformed_times = 1
    run = _backend(fake_openai, batch_size=5).score(_reviews(5))
    _assert_scored_by_content(run.results, _reviews(5))
    assert fake_openai.requests == 3


def test_429_is_retried_after_the_retry_after_delay(fake_openai: FakeOpenAI) -> None:
    fake_openai.statuses = {1: 429}
    fake_openai.retry_after = 0.3
    sleeps: list[float] = []
    run = _backend(fake_openai, sleeps, batch_size=10, retry=RetryPolicy(base_delay=5.0)).score(_reviews(4))
    _assert_scored_by_content(run.results, _reviews(4))
    assert fake_openai.answered_statuses == [429, 200]  # the openai client did not retry by itself
    assert sleeps == [0.3]  # the server's hint, not the 5 s backoff
    assert run.usage.requests == 1  # the 429 is not billed


def test_429_waits_for_real_between_attempts(fake_openai: FakeOpenAI) -> None:
    fake_openai.statuses = {1: 429}
    fake_openai.retry_after = 0.4
    backend = OpenAIBackend(api_key=API_KEY, base_url=fake_openai.base_url)  # real time.sleep
    backend.score(_reviews(2))
    first, second = fake_openai.request_times
    assert second - first >= 0.4


def test_server_errors_are_retried_with_exponential_backoff(fake_openai: FakeOpenAI) -> None:
    fake_openai.statuses = {1: 500, 2: 503}
    fake_openai.retry_after = None
    sleeps: list[float] = []
    retry = RetryPolicy(base_delay=1.0, max_delay=10.0)
    run = _backend(fake_openai, sleeps, batch_size=10, retry=retry).score(_reviews(3))
    _assert_scored_by_content(run.results, _reviews(3))
    assert fake_openai.answered_statuses == [500, 503, 200]
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # base * 2**attempt, jittered down to half


def test_giving_up_on_one_request_keeps_the_other_requests(fake_openai: FakeOpenAI) -> None:
    fake_openai.statuses = {1: 500, 2: 500, 3: 500}
    retry = RetryPolicy(max_transport_retries=2, base_delay=0.01)
    run = _backend(fake_openai, batch_size=3, concurrency=1, retry=retry).score(_reviews(6))
    failed = [r for r in run.results[:3]]
    assert all(
        r.scores is None and "gave up after 3 attempts" in r.error and "HTTP 500" in r.error for r in failed
    )
    _assert_scored_by_content(run.results[3:], _reviews(6)[3:])


def test_client_errors_are_not_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.statuses = {1: 400}
    run = _backend(fake_openai, batch_size=10).score(_reviews(2))
    assert fake_openai.requests == 1
    assert all(r.error and r.error.startswith("HTTP 400") for r in run.results)


def test_a_server_refusing_the_schema_and_the_temperature_is_asked_without_them(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """Servers without structured outputs, and reasoning models, refuse these parameters; the fake
    then answers in a code fence after a sentence, as such servers do."""
    fake_openai.refused_parameters = {"response_format", "temperature"}
    with caplog.at_level(logging.WARNING):
        run = _backend(fake_openai, batch_size=3, concurrency=1).score(_reviews(9))
    _assert_scored_by_content(run.results, _reviews(9))
    # The first request is refused once per parameter; the later two are sent without both.
    assert fake_openai.answered_statuses == [400, 400, 200, 200, 200]
    assert [r.getMessage().split(" (")[0] for r in caplog.records if "refuses" in r.getMessage()] == [
        "the API refuses response_format",
        "the API refuses temperature",
    ]


def test_a_reasoning_models_thinking_gets_room_and_is_paid_for(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """1,500 tokens of thinking overflow the 170-token cap of three reviews' answers: the request is
    asked again with 1,024 tokens more (still cut), then 2,388 more (twice what the model spent)."""
    fake_openai.reasoning_tokens = 1500
    with caplog.at_level(logging.WARNING):
        run = _backend(fake_openai, batch_size=3, concurrency=1).score(_reviews(9))
    _assert_scored_by_content(run.results, _reviews(9))
    assert fake_openai.requests == 5  # two cut attempts, then the three requests answered
    assert run.usage.requests == 5  # the cut attempts are billed, so they count
    cut_attempts = 170 + (170 + 1024)
    assert cut_attempts + 3 * 1500 < run.usage.output_tokens < cut_attempts + 3 * 1500 + 3 * 100
    assert sum("spent" in r.getMessage() and "reasoning" in r.getMessage() for r in caplog.records) == 2


def test_batch_api_mode_uploads_polls_downloads_and_bills_half(fake_openai: FakeOpenAI) -> None:
    """The first review goes alone and directly, at list price; the rest in a batch at half price."""
    fake_openai.batch_polls = 2
    fake_openai.malformed = {"rw004": "missing"}
    fake_openai.malformed_times = 1
    sleeps: list[float] = []
    backend = _backend(fake_openai, sleeps, batch_size=5, batch_api=True, batch_poll_interval=7.0)
    run = backend.score(_reviews(12))
    _assert_scored_by_content(run.results, _reviews(12))
    assert 7.0 in sleeps  # polled while "in_progress"
    assert fake_openai.direct_requests == 1  # rw000
    # 3 batched requests (rw001-rw004, rw005-rw009, rw010-rw011), then rw004 re-asked in a second batch
    assert fake_openai.requests == 1 + 3 + 1
    half = run.usage.cost(Prices()) / 2
    assert half < run.cost < half + run.usage.cost(Prices()) / 5  # one small request of five at list price


def test_a_batch_run_says_at_once_when_its_first_review_fails(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """An HTTP 404 (a model the server does not have) for the first review is in the log before the
    batch is sent; the batch still runs, since a failure can belong to one review alone."""
    fake_openai.statuses = {1: 404}
    with caplog.at_level(logging.WARNING):
        run = _backend(fake_openai, batch_size=3, batch_api=True, batch_poll_interval=0.0).score(_reviews(4))
    reason = "HTTP 404 from the API: Error code: 404 - injected HTTP 404"
    assert run.results[0].error == reason
    _assert_scored_by_content(run.results[1:], _reviews(4)[1:])
    assert [r.getMessage() for r in caplog.records if "first review" in r.getMessage()] == [
        f"the first review, sent alone before the batch, failed: {reason}; sending the batch anyway"
    ]


def test_a_batch_run_learns_from_its_first_review_sent_directly(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """A reasoning model (1,500 tokens of thinking) behind a server without structured outputs,
    through the Batch API. The first review, sent alone and directly, is refused twice (schema,
    temperature) and cut off twice (90 tokens, then 1,024 more); the batch is then built without both
    parameters and with 2,228 tokens of room, so one batch (each can take 24 hours) answers the rest."""
    fake_openai.refused_parameters = {"response_format", "temperature"}
    fake_openai.reasoning_tokens = 1500
    fake_openai.batch_polls = 0
    with caplog.at_level(logging.WARNING):
        run = _backend(fake_openai, batch_size=3, batch_api=True).score(_reviews(9))
    _assert_scored_by_content(run.results, _reviews(9))
    assert fake_openai.answered_statuses == [400, 400] + [200] * 6
    assert (fake_openai.direct_requests, fake_openai.requests) == (5, 5 + 3)  # one batch: 2, 3, 3 reviews
    assert run.usage.requests == 3 + 3  # the refusals are not billed; the cut answers are
    cut = 90 + (90 + 1024)
    assert cut + 4 * 1500 < run.usage.output_tokens < cut + 4 * 1500 + 4 * 100
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split(" (")[0] for w in warnings if "refuses" in w] == [
        "the API refuses response_format",
        "the API refuses temperature",
    ]
    assert sum("reasoning" in w for w in warnings) == 2


def test_a_batch_needing_more_room_than_its_first_review_gets_it_without_using_up_re_asks(
    fake_openai: FakeOpenAI,
) -> None:
    """600 tokens of thinking per review: the first review alone gets room (1,024 tokens), but the
    batch's requests of two and three reviews think longer and are cut off. The next batch sends them
    again with room for twice what they spent, still three reviews a request: adapting is not a re-ask
    of a wrong answer, which would send each review alone (and give up after two)."""
    fake_openai.reasoning_tokens_per_review = 600
    fake_openai.batch_polls = 0
    run = _backend(fake_openai, batch_size=3, batch_api=True).score(_reviews(9))
    _assert_scored_by_content(run.results, _reviews(9))
    assert fake_openai.direct_requests == 2  # cut at 90 tokens, answered with 1,024 more
    assert fake_openai.requests == 2 + 3 + 3  # two batches of three requests, none split up


def test_the_api_key_is_never_logged(fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake_openai.statuses = {1: 429, 2: 400}
    fake_openai.retry_after = 0.01
    with caplog.at_level(logging.DEBUG):
        run = _backend(fake_openai, batch_size=1, concurrency=1).score(_reviews(2))
    assert caplog.records  # the retry was logged ...
    assert API_KEY not in caplog.text  # ... without the key
    assert all(API_KEY not in (r.error or "") for r in run.results)
