"""Sentiment quality, cost and speed, side by side.

1. Quality: the offline analyser beside VADER-only, stars-only and always-absent (and, with
   ``--previous-aspects``, the analyser with an earlier aspect model over this polarity model's
   evidence; an earlier analyser as a whole, e.g. offline-v4, runs from its own commit) on the
   held-out hand labels ``test7`` (never trained or tuned on; ``--split`` for another, e.g. ``test6``
   .. ``test2``, each measured once for an earlier analyser and trained on by offline-v7's aspect model), per
   source, with 95 % bootstrap intervals, plus overall binary accuracy on every row of the polarity
   sample's test split (the same tables as ``imdb-tracker sentiment evaluate``). With ``--split
   test4``, also the agreement of a second, independent labeller with the first on the reviews both
   labelled, beside the analyser and the baselines on the same reviews: the ceiling a system can be
   expected to reach (since offline-v5 the analyser's aspect model trained on those reviews, so its
   row there is no longer a held-out figure).
2. Offline speed: reviews/s on one core over every sample review, beside VADER-only.
3. LLM prompt size and cost, measured with the real o200k_base tokenizer of gpt-4o-mini (from the
   ``bpe-openai`` package, which ships the tokenizer file; without it the counts are estimates) for
   several truncation budgets: share of review text the truncation drops, input/cached/output
   tokens per review, $ per 1,000 reviews at list and Batch API price, and what a Batch API run's
   first review (sent alone and directly, at list price) adds to each run. Requests are packed
   exactly as the backend packs them; the answers are the offline analyser's scores in the wire format.
4. LLM request pattern against the fake OpenAI server with a fixed latency per request: one
   request per review (naive) vs this backend's batching.

Usage: python benchmarks/sentiment.py [--split test7] [--previous-aspects aspects_v3.json]
       [--reviews 200] [--latency 1.0] [--concurrency 4] [--skip-quality]
(offline-v3's aspect model, parameters e542d976: ``imdb_tracker/sentiment/model/aspects.json`` of any
commit before offline-v4, e.g. ``git show d9cd5c9:imdb_tracker/sentiment/model/aspects.json``)
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from imdb_tracker.sentiment import OfflineAnalyser, OpenAIBackend, Prices, ReviewInput  # noqa: E402
from imdb_tracker.sentiment.aspects import read_artifact as read_aspect_model  # noqa: E402
from imdb_tracker.sentiment.assessment import (  # noqa: E402
    HELD_OUT,
    HELD_OUT_FILES,
    TEST4,
    assess,
    format_assessment,
    labeller_agreement,
)
from imdb_tracker.sentiment.baselines import VaderBaseline  # noqa: E402
from imdb_tracker.sentiment.corpus import read_polarity, read_sample  # noqa: E402
from imdb_tracker.sentiment.evaluation import format_table  # noqa: E402
from imdb_tracker.sentiment.labels import LABELS_FILE, TEST4_SECOND_LABELS_FILE, read_hand_labels  # noqa: E402
from imdb_tracker.sentiment.models import BATCH_API_PRICE_FACTOR, AspectScores, ScoringRun  # noqa: E402
from imdb_tracker.sentiment.prompt import (  # noqa: E402
    CHARS_PER_TOKEN,
    SYSTEM_PROMPT,
    TRUNCATION_MARKER,
    answer_json,
    chat_messages,
    estimate_tokens,
    pack_requests,
)
from imdb_tracker.settings import get_settings  # noqa: E402
from imdb_tracker_dev.fake_openai import start_fake_openai  # noqa: E402

MESSAGE_OVERHEAD_TOKENS = 3
"""Tokens the chat format adds per message (and once for the reply), as OpenAI documents."""
CACHE_MIN_TOKENS = 1024
CACHE_STEP = 128
BUDGETS = (300, 500, 800, 1200)


def tokenizer() -> tuple[Callable[[str], int], str]:
    """Token counter: the real o200k_base when ``bpe-openai`` is installed, else the estimate."""
    try:
        import bpe_openai
    except ImportError:
        return estimate_tokens, f"ESTIMATED (characters / {CHARS_PER_TOKEN}; bpe-openai not installed)"
    encoding = bpe_openai.get_encoding("o200k_base")
    return (lambda text: len(encoding.encode(text))), "o200k_base (gpt-4o/gpt-4o-mini tokenizer, bpe-openai)"


def prompt_costs(
    reviews: Sequence[ReviewInput],
    budget: int,
    count: Callable[[str], int],
    prices: Prices,
    answers: dict[str, AspectScores],
) -> dict[str, float]:
    """Tokens and cost per review when ``reviews`` are packed with ``budget`` estimated tokens each;
    ``answers`` stand in for the model's scores."""
    requests = pack_requests(reviews, max_reviews=20, max_request_tokens=6000, max_review_tokens=budget)
    input_tokens = cached = output_tokens = 0
    system_tokens = count(SYSTEM_PROMPT) + MESSAGE_OVERHEAD_TOKENS
    for number, packed in enumerate(requests):
        messages = chat_messages(packed)
        input_tokens += sum(count(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in messages)
        input_tokens += MESSAGE_OVERHEAD_TOKENS
        if number and system_tokens >= CACHE_MIN_TOKENS:
            cached += system_tokens // CACHE_STEP * CACHE_STEP
        answer = answer_json({p.number: answers[p.review.review_id] for p in packed})
        output_tokens += count(answer) + MESSAGE_OVERHEAD_TOKENS
    total_chars = sum(len(r.text) for r in reviews)
    kept_chars = sum(
        len(p.text) - (len(TRUNCATION_MARKER) if p.text != p.review.text else 0)
        for req in requests
        for p in req
    )
    n = len(reviews)
    cost = (
        (input_tokens - cached) * prices.input_per_m
        + cached * prices.cached_input_per_m
        + output_tokens * prices.output_per_m
    ) / 1_000_000
    return {
        "dropped": 1 - kept_chars / total_chars,
        "cut": sum(p.text != p.review.text for req in requests for p in req) / n,
        "requests": len(requests) / n,
        "input": input_tokens / n,
        "cached": cached / max(input_tokens, 1),
        "output": output_tokens / n,
        "list": cost / n * 1000,
        "batch": cost / n * 1000 * BATCH_API_PRICE_FACTOR,
    }


def run_llm(
    reviews: list[ReviewInput], latency: float, **backend_options: object
) -> tuple[ScoringRun, float]:
    """Score ``reviews`` against a fresh fake server; returns the run and the elapsed seconds."""
    fake = start_fake_openai(latency=latency)
    try:
        backend = OpenAIBackend(api_key="sk-benchmark", base_url=fake.base_url, **backend_options)
        started = time.perf_counter()
        run = backend.score(reviews)
        return run, time.perf_counter() - started
    finally:
        fake.stop()


def speed(score: Callable[[list[ReviewInput]], object], reviews: list[ReviewInput]) -> float:
    """Reviews per second of ``score`` over ``reviews`` (single thread)."""
    started = time.perf_counter()
    score(reviews)
    return len(reviews) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviews", type=int, default=200, help="reviews for the live LLM comparison")
    parser.add_argument("--latency", type=float, default=1.0, help="fake server seconds per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip-quality", action="store_true", help="skip part 1")
    parser.add_argument(
        "--split", choices=[*HELD_OUT_FILES, "test", "dev"], default=HELD_OUT, help="labels of part 1"
    )
    parser.add_argument(
        "--previous-aspects", type=Path, default=None, help="an earlier aspect model to compare in part 1"
    )
    args = parser.parse_args()
    shared = get_settings().shared_dir
    print(f"date {datetime.date.today().isoformat()}, {os.cpu_count()} cores, shared folder {shared}")

    if not args.skip_quality:
        print(f"\n== 1. quality on the {args.split} split ==")
        labels = read_hand_labels(HELD_OUT_FILES.get(args.split, LABELS_FILE))
        others = []
        if args.previous_aspects:
            previous = OfflineAnalyser(aspects=read_aspect_model(args.previous_aspects))
            others.append((f"prev-{previous.aspects.version}", previous.score))
        print(format_assessment(assess(OfflineAnalyser(), labels, shared, split=args.split, others=others)))
        if args.split == TEST4:
            second = read_hand_labels(TEST4_SECOND_LABELS_FILE)
            agreement = labeller_agreement(OfflineAnalyser(), labels, second, shared)
            twice = agreement[0].reviews
            title = f"agreement with the first labeller on the {twice} {TEST4} reviews labelled twice"
            print(f"\n{format_table(agreement, title)}")

    sample = [r.review for r in read_sample(shared)]
    print("\n== 2. offline speed, one core, every sample review ==")
    offline_rate = speed(OfflineAnalyser().score, sample)
    vader_rate = speed(VaderBaseline().score, sample)
    print(f"offline analyser {offline_rate:.0f} reviews/s; VADER-only {vader_rate:.0f} reviews/s")

    count, how = tokenizer()
    prices = Prices()
    polarity = [r.review for r in read_polarity(shared)]
    print(f"\n== 3. LLM prompt tokens and cost, tokens counted with {how} ==")
    print(
        f"prices per 1M tokens: input ${prices.input_per_m}, cached ${prices.cached_input_per_m}, "
        f"output ${prices.output_per_m}; 20 reviews per request; system prompt {count(SYSTEM_PROMPT)} tokens"
    )
    default_budget = OpenAIBackend(api_key="unused").max_review_tokens
    for name, reviews in (("sample (2 movies)", sample), ("polarity sample (many films)", polarity)):
        real = sum(count(r.text) for r in reviews)
        estimated = sum(estimate_tokens(r.text) for r in reviews)
        print(
            f"{name}: {len(reviews)} reviews, {real / len(reviews):.0f} text tokens/review; the packing "
            f"estimate (chars/{CHARS_PER_TOKEN}) is {100 * (estimated / real - 1):+.0f}% off"
        )
        print(
            f"  {'budget':>7}{'text dropped':>14}{'reviews cut':>13}{'in tok/rev':>12}{'cached %':>10}"
            f"{'out tok/rev':>13}{'$/1k list':>11}{'$/1k batch':>12}"
        )
        analyser = OfflineAnalyser()
        answers = {r.review_id: analyser.analyse(r) for r in reviews}
        for budget in BUDGETS:
            c = prompt_costs(reviews, budget, count, prices, answers)
            print(
                f"  {budget:>7}{100 * c['dropped']:>13.1f}%{100 * c['cut']:>12.1f}%{c['input']:>12.0f}"
                f"{100 * c['cached']:>10.0f}{c['output']:>13.1f}{c['list']:>11.4f}{c['batch']:>12.4f}"
            )
        alone = statistics.median(
            prompt_costs([r], default_budget, count, prices, answers)["list"] / 1000 for r in reviews
        )
        print(
            f"  a Batch API run sends its first review alone and directly: ${alone:.5f} at list price "
            f"(median single-review request, budget {default_budget}), "
            f"${alone * (1 - BATCH_API_PRICE_FACTOR):.5f} more than in the batch, once per run"
        )
    print(f"(budget = max_review_tokens in estimated tokens; the backend's default is {default_budget})")

    everything = sample
    step = max(len(everything) // args.reviews, 1)
    subset = everything[::step][: args.reviews]
    print(
        f"\n== 4. LLM request pattern: {len(subset)} sample reviews, fake latency "
        f"{args.latency:g} s/request, concurrency {args.concurrency} =="
    )
    print(f"{'mode':<26}{'req/review':>11}{'reviews/s':>10}{'failed':>7}")
    modes = {
        "naive (1 review/request)": dict(batch_size=1, max_review_tokens=100_000),
        "batched (this backend)": {},
    }
    for label, options in modes.items():
        run, elapsed = run_llm(subset, args.latency, concurrency=args.concurrency, **options)
        failed = sum(r.error is not None for r in run.results)
        print(
            f"{label:<26}{run.usage.requests / len(subset):>11.3f}{len(subset) / elapsed:>10.1f}{failed:>7}"
        )
    print(
        "\ntargets: >= 0.85 overall binary accuracy and >= +0.20 over VADER-only, aspect macro-F1 >= 0.60, "
        ">= 200 reviews/s offline, <= $0.05 per 1,000 reviews at list price with < 5% of text dropped"
    )


if __name__ == "__main__":
    main()
