"""``imdb-tracker sentiment``: score reviews from JSON lines, and evaluate a backend against hand labels."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from imdb_tracker.sentiment import (
    BACKEND_CHOICES,
    Fingerprint,
    ReviewInput,
    ScoringRun,
    SentimentBackend,
    SentimentResult,
    make_backend,
    needs_scoring,
)
from imdb_tracker.sentiment.evaluation import evaluate, format_evaluation
from imdb_tracker.sentiment.jsonl import (
    SentimentInputError,
    read_cache,
    read_labels,
    read_reviews,
    result_record,
    write_records,
)

EXIT_BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _backend_options(command: Callable) -> Callable:
    options = [
        click.option(
            "--backend",
            type=click.Choice(BACKEND_CHOICES),
            default="auto",
            show_default=True,
            help="auto = openai when OPENAI_API_KEY is set, else offline.",
        ),
        click.option(
            "--model", default="gpt-4o-mini", show_default=True, help="Model of the openai backend."
        ),
        click.option("--base-url", default=None, help="OpenAI-compatible endpoint (Gemini, Ollama, vLLM…)."),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 50),
            default=20,
            show_default=True,
            help="Reviews per request.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=4,
            show_default=True,
            help="Requests in flight.",
        ),
        click.option("--batch-api", is_flag=True, help="Use the OpenAI Batch API (half price, up to 24 h)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _make_backend(
    backend: str, model: str, base_url: str | None, batch_size: int, concurrency: int, batch_api: bool
) -> SentimentBackend:
    try:
        return make_backend(
            backend=backend,
            api_key=os.environ.get("OPENAI_API_KEY") or None,
            base_url=base_url,
            model=model,
            batch_size=batch_size,
            concurrency=concurrency,
            batch_api=batch_api,
        )
    except ValueError as exc:
        _fail(str(exc))


def _score_with_progress(backend: SentimentBackend, reviews: list[ReviewInput]) -> ScoringRun:
    done = 0

    def progress(finished: int) -> None:
        nonlocal done
        done += finished
        click.echo(f"scored {done}/{len(reviews)}", err=True)

    return backend.score(reviews, progress=progress) if reviews else ScoringRun([])


def _summary(backend: SentimentBackend, run: ScoringRun, cached: int) -> str:
    failed = sum(r.error is not None for r in run.results)
    usage = run.usage
    return (
        f"{backend.name}/{backend.model}: {len(run.results)} scored, {cached} from cache, {failed} failed; "
        f"{usage.requests} requests, {usage.input_tokens} input tokens ({usage.cached_input_tokens} cached), "
        f"{usage.output_tokens} output tokens, cost ${run.cost:.4f}"
    )


@click.group("sentiment")
def sentiment_group() -> None:
    """Aspect-based sentiment of reviews (storytelling, acting, cinematography, music, themes)."""


@sentiment_group.command("score")
@_backend_options
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON lines with review_id, title, text [default: stdin].",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write score lines [default: stdout].",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A previous output; its scores are reused when content, backend, model and prompt match.",
)
def score_command(
    backend: str,
    model: str,
    base_url: str | None,
    batch_size: int,
    concurrency: int,
    batch_api: bool,
    input_path: Path | None,
    output_path: Path | None,
    cache_path: Path | None,
) -> None:
    """Score reviews; one output line per input line, with ``error`` when a review failed."""
    try:
        if input_path is None:
            reviews = read_reviews(sys.stdin, "<stdin>")
        else:
            with input_path.open(encoding="utf-8") as handle:
                reviews = read_reviews(handle, str(input_path))
        cache = read_cache(cache_path) if cache_path else {}
    except (OSError, SentimentInputError) as exc:
        _fail(str(exc))
    scorer = _make_backend(backend, model, base_url, batch_size, concurrency, batch_api)
    reused: dict[int, tuple[Fingerprint, SentimentResult]] = {}
    to_score: list[tuple[int, ReviewInput]] = []
    for index, review in enumerate(reviews):
        stored = cache.get(review.review_id)
        if stored and not needs_scoring(stored[0], review, scorer):
            reused[index] = (stored[0], SentimentResult(review.review_id, stored[1]))
        else:
            to_score.append((index, review))
    run = _score_with_progress(scorer, [review for _, review in to_score])
    fresh = {index: result for (index, _), result in zip(to_score, run.results, strict=True)}
    records = []
    for index, review in enumerate(reviews):
        if index in reused:
            fingerprint, result = reused[index]
        else:
            fingerprint, result = Fingerprint.of(review, scorer), fresh[index]
        records.append(result_record(review, result, fingerprint))
    _write(records, output_path)
    click.echo(_summary(scorer, run, len(reused)), err=True)


def _write(records: list[dict], output_path: Path | None) -> None:
    if output_path is None:
        write_records(records, sys.stdout)
        return
    partial = output_path.with_name(output_path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        write_records(records, handle)
    partial.replace(output_path)


@sentiment_group.command("evaluate")
@_backend_options
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Hand labels: review_id and the six fields, optional split.",
)
@click.option(
    "--reviews",
    "reviews_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The labelled reviews: review_id, title, text.",
)
@click.option(
    "--split",
    type=click.Choice(["all", "dev", "test"]),
    default="all",
    show_default=True,
    help="Evaluate on the labels of this split only.",
)
def evaluate_command(
    backend: str,
    model: str,
    base_url: str | None,
    batch_size: int,
    concurrency: int,
    batch_api: bool,
    labels_path: Path,
    reviews_path: Path,
    split: str,
) -> None:
    """Print per-field accuracy, macro-F1, mention precision/recall and the overall confusion matrix."""
    try:
        labels = read_labels(labels_path, None if split == "all" else split)
        with reviews_path.open(encoding="utf-8") as handle:
            reviews = [r for r in read_reviews(handle, str(reviews_path)) if r.review_id in labels]
    except (OSError, SentimentInputError) as exc:
        _fail(str(exc))
    missing = sorted(set(labels) - {r.review_id for r in reviews})
    if missing:
        _fail(f"{reviews_path}: no text for {len(missing)} labelled reviews, e.g. {missing[0]}")
    scorer = _make_backend(backend, model, base_url, batch_size, concurrency, batch_api)
    run = _score_with_progress(scorer, reviews)
    evaluation = evaluate(labels, {r.review_id: r.scores for r in run.results})
    title = (
        f"{scorer.name}/{scorer.model} ({scorer.prompt_version}) "
        f"on {len(labels)} labelled reviews, split {split}"
    )
    click.echo(format_evaluation(evaluation, title))
    click.echo(_summary(scorer, run, 0), err=True)
