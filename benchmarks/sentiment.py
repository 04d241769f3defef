"""Sentiment scoring cost and speed, side by side.

LLM part, against the fake OpenAI server with a fixed latency per request (no network):
  * naive   — one request per review, untruncated (the original tool's way);
  * batched — this backend: reviews packed per request, long reviews truncated, cached system prompt.
Offline part: the offline analyser over every sample review on one core.

Usage: python benchmarks/sentiment.py [--reviews 200] [--latency 1.0] [--concurrency 4]
Token counts come from the fake server's word/punctuation rule, so they approximate real BPE counts.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from imdb_tracker.sentiment import OfflineAnalyser, OpenAIBackend, Prices, ReviewInput  # noqa: E402
from imdb_tracker.sentiment.models import BATCH_API_PRICE_FACTOR, ScoringRun  # noqa: E402
from imdb_tracker_dev.fake_openai import start_fake_openai  # noqa: E402


def sample_reviews() -> list[ReviewInput]:
    """All reviews of the shared sample CSV."""
    shared = Path(os.environ.get("IMDB_TRACKER_SHARED", REPO.parent / "shared"))
    with (shared / "sample" / "reviews_raw_2025-04-11.csv").open(encoding="utf-8", newline="") as handle:
        return [
            ReviewInput(row["review_id"], row["title"] or None, row["text"]) for row in csv.DictReader(handle)
        ]


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviews", type=int, default=200, help="reviews for the LLM comparison")
    parser.add_argument("--latency", type=float, default=1.0, help="fake server seconds per request")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    everything = sample_reviews()
    step = max(len(everything) // args.reviews, 1)
    subset = everything[::step][: args.reviews]
    prices = Prices()
    print(
        f"LLM comparison: {len(subset)} sample reviews, fake latency {args.latency:g} s/request, "
        f"concurrency {args.concurrency}, prices per 1M tokens: input ${prices.input_per_m}, "
        f"cached ${prices.cached_input_per_m}, output ${prices.output_per_m}"
    )
    modes = {
        "naive (1 review/request)": dict(batch_size=1, max_review_tokens=100_000),
        "batched (this backend)": dict(),
    }
    header = (
        f"{'mode':<26}{'req/review':>11}{'in tok/rev':>11}{'cached %':>9}{'out tok/rev':>12}"
        f"{'$/1k list':>10}{'$/1k batch':>11}{'reviews/s':>10}{'failed':>7}"
    )
    print(header)
    for label, options in modes.items():
        run, elapsed = run_llm(subset, args.latency, concurrency=args.concurrency, **options)
        n = len(subset)
        usage = run.usage
        cost = usage.cost(prices) / n * 1000
        failed = sum(r.error is not None for r in run.results)
        print(
            f"{label:<26}{usage.requests / n:>11.3f}{usage.input_tokens / n:>11.0f}"
            f"{100 * usage.cached_input_tokens / max(usage.input_tokens, 1):>9.0f}"
            f"{usage.output_tokens / n:>12.1f}{cost:>10.4f}{cost * BATCH_API_PRICE_FACTOR:>11.4f}"
            f"{n / elapsed:>10.1f}{failed:>7}"
        )

    analyser = OfflineAnalyser()
    started = time.perf_counter()
    analyser.score(everything)
    elapsed = time.perf_counter() - started
    print(
        f"\noffline analyser: {len(everything)} reviews in {elapsed:.2f} s on one core "
        f"= {len(everything) / elapsed:.0f} reviews/s"
    )
    print(
        "targets: <= 0.1 request/review, <= $0.05 per 1,000 reviews at list price, >= 200 reviews/s offline"
    )


if __name__ == "__main__":
    main()
