"""``imdb-tracker sentiment``: score reviews from JSON lines, and evaluate a backend against hand labels.

The backend comes from the settings (environment and ``.env``, as ``imdb-tracker settings show``
reports them); options given here override them. Every input and output path is checked before the
first review is scored, so a paid run is never lost to a typo.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from imdb_tracker.cli.common import EXIT_BAD_INPUT, check_output_path, fail
from imdb_tracker.sentiment import (
    BACKEND_CHOICES,
    Fingerprint,
    ReviewInput,
    ScoringRun,
    SentimentBackend,
    SentimentResult,
    backend_from_settings,
)
from imdb_tracker.sentiment.assessment import HELD_OUT, HELD_OUT_FILES, assess, format_assessment
from imdb_tracker.sentiment.jsonl import (
    SentimentInputError,
    decode_lines,
    read_cache,
    read_reviews,
    read_text_lines,
    result_record,
    write_records,
)
from imdb_tracker.sentiment.labels import LABELS_FILE, read_hand_labels
from imdb_tracker.sentiment.provenance import label
from imdb_tracker.settings import get_settings


def _fail(message: str) -> NoReturn:
    fail(message, EXIT_BAD_INPUT)


def _backend_options(command: Callable) -> Callable:
    options = [
        click.option(
            "--backend",
            type=click.Choice(BACKEND_CHOICES),
            default=None,
            help="auto = openai when OPENAI_API_KEY is set, else offline [setting SENTIMENT_BACKEND].",
        ),
        click.option("--model", default=None, help="Model of the openai backend [setting OPENAI_MODEL]."),
        click.option(
            "--base-url",
            default=None,
            help="OpenAI-compatible endpoint (Gemini, Ollama, vLLM…) [setting OPENAI_BASE_URL].",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 50),
            default=None,
            help="Reviews per request [setting SENTIMENT_BATCH_SIZE].",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=None,
            help="Requests in flight [setting SENTIMENT_CONCURRENCY].",
        ),
        click.option("--batch-api", is_flag=True, help="Use the OpenAI Batch API (half price, up to 24 h)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _make_backend(
    backend: str | None,
    model: str | None,
    base_url: str | None,
    batch_size: int | None,
    concurrency: int | None,
    batch_api: bool,
) -> SentimentBackend:
    """The backend the settings describe, with the given options overriding them."""
    settings = get_settings()
    overrides = {
        "sentiment_backend": backend,
        "openai_model": model,
        "openai_base_url": base_url,
        "sentiment_batch_size": batch_size,
        "sentiment_concurrency": concurrency,
    }
    chosen = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    try:
        scorer = backend_from_settings(chosen, batch_api=batch_api)
    except ValueError as exc:
        _fail(str(exc))
    if chosen.sentiment_backend == "auto" and scorer.name == "offline":
        click.echo(
            "note: no OPENAI_API_KEY in the environment or .env, so --backend auto uses the offline analyser",
            err=True,
        )
    return scorer


def _score_with_progress(backend: SentimentBackend, reviews: list[ReviewInput]) -> ScoringRun:
    done = 0

    def progress(finished: int) -> None:
        nonlocal done
        done += finished
        click.echo(f"scored {done}/{len(reviews)}", err=True)

    return backend.score(reviews, progress=progress) if reviews else ScoringRun([])


def _summary(backend: SentimentBackend, run: ScoringRun, cached: int, given_up: int, attempts: int) -> str:
    failed = sum(r.scores is None for r in run.results)
    usage = run.usage
    return (
        f"{label(backend)}: {len(run.results)} scored, {cached} from cache, {failed} failed, "
        f"{given_up} given up after {attempts} attempts; {usage.requests} requests, "
        f"{usage.input_tokens} input tokens "
        f"({usage.cached_input_tokens} cached), {usage.output_tokens} output tokens, cost ${run.cost:.4f}"
    )


def _check_output(path: Path) -> Path:
    """Create ``path``'s ``.partial`` sibling now, so a bad output path fails before any scoring."""
    check_output_path(path, "--output")
    partial = path.with_name(path.name + ".partial")
    try:
        partial.open("w", encoding="utf-8").close()
    except OSError as exc:
        _fail(f"cannot write --output {path}: {exc.strerror or exc}")
    return partial


def _read_stdin() -> list[str]:
    return decode_lines(sys.stdin.buffer.read(), "<stdin>")


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
    help="JSON lines with review_id, title, text and optional rating (1-10) [default: stdin].",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write score lines [default: stdout].",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A previous output; its scores are reused when the input the backend reads, the backend, "
    "model and prompt match, and its failures are retried at most SENTIMENT_MAX_ATTEMPTS times.",
)
def score_command(
    backend: str | None,
    model: str | None,
    base_url: str | None,
    batch_size: int | None,
    concurrency: int | None,
    batch_api: bool,
    input_path: Path | None,
    output_path: Path | None,
    cache_path: Path | None,
) -> None:
    """Score reviews; one output line per input line, with ``error`` when a review failed."""
    try:
        lines = _read_stdin() if input_path is None else read_text_lines(input_path)
        reviews = read_reviews(lines, "<stdin>" if input_path is None else str(input_path))
        if cache_path is not None and cache_path.is_dir():
            raise SentimentInputError(f"--cache {cache_path}: is a directory")
        cache = read_cache(cache_path) if cache_path else {}
    except SentimentInputError as exc:
        _fail(str(exc))
    partial = _check_output(output_path) if output_path else None
    scorer = _make_backend(backend, model, base_url, batch_size, concurrency, batch_api)
    max_attempts = get_settings().sentiment_max_attempts
    kept: dict[int, tuple[SentimentResult, int]] = {}
    failed_before: dict[int, int] = {}
    to_score: list[tuple[int, ReviewInput]] = []
    cached = 0
    for index, review in enumerate(reviews):
        stored = cache.get(review.review_id)
        if stored is None or stored.fingerprint != Fingerprint.of(review, scorer):
            to_score.append((index, review))
        elif stored.scores is not None:
            kept[index] = (SentimentResult(review.review_id, stored.scores), 0)
            cached += 1
        elif stored.attempts >= max_attempts:
            kept[index] = (SentimentResult(review.review_id, None, stored.error), stored.attempts)
        else:
            failed_before[index] = stored.attempts
            to_score.append((index, review))
    try:
        run = _score_with_progress(scorer, [review for _, review in to_score])
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    for (index, _), result in zip(to_score, run.results, strict=True):
        kept[index] = (result, 0 if result.scores else failed_before.get(index, 0) + 1)
    records = [
        result_record(review, kept[index][0], Fingerprint.of(review, scorer), kept[index][1])
        for index, review in enumerate(reviews)
    ]
    _write(records, output_path, partial)
    given_up = sum(
        1 for result, attempts in kept.values() if result.scores is None and attempts >= max_attempts
    )
    click.echo(_summary(scorer, run, cached, given_up, max_attempts), err=True)


def _write(records: list[dict], output_path: Path | None, partial: Path | None) -> None:
    if output_path is None or partial is None:
        write_records(records, sys.stdout)
        return
    with partial.open("w", encoding="utf-8") as handle:
        write_records(records, handle)
    os.replace(partial, output_path)


@sentiment_group.command("evaluate")
@_backend_options
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=LABELS_FILE,
    show_default="the project's hand labels",
    help="Hand labels: the six fields per review, keyed by polarity-sample row, sample review id, "
    "or review id of --reviews.",
)
@click.option(
    "--reviews",
    "reviews_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Texts of labelled reviews that are not in the shared folder: review_id, title, text, rating.",
)
@click.option(
    "--split",
    type=click.Choice([*HELD_OUT_FILES, "test", "dev", "all"]),
    default=HELD_OUT,
    show_default=True,
    help="test7: the held-out labels (hand_labels/test7_labels.jsonl, read instead of --labels' "
    "default), never trained or tuned on; test6 .. test2: the labels of "
    "hand_labels/test<N>_labels.jsonl, each measured once for an earlier analyser and trained on by "
    "offline-v7's aspect model; test and dev: splits of --labels (trained on since offline-v4).",
)
def evaluate_command(
    backend: str | None,
    model: str | None,
    base_url: str | None,
    batch_size: int | None,
    concurrency: int | None,
    batch_api: bool,
    labels_path: Path,
    reviews_path: Path | None,
    split: str,
) -> None:
    """Macro-F1 per aspect over {absent, negative, neutral, positive}, overall binary accuracy, with
    95 % bootstrap intervals, per source, beside VADER-only, stars-only and always-absent."""
    if split in HELD_OUT_FILES and labels_path == LABELS_FILE:
        labels_path = HELD_OUT_FILES[split]
    try:
        labels = read_hand_labels(labels_path)
        own = read_reviews(read_text_lines(reviews_path), str(reviews_path)) if reviews_path else []
    except SentimentInputError as exc:
        _fail(str(exc))
    scorer = _make_backend(backend, model, base_url, batch_size, concurrency, batch_api)
    shared = get_settings().shared_dir
    try:
        assessment = assess(
            scorer,
            labels,
            shared,
            split=split,
            own_reviews=own,
            score=lambda reviews: _score_with_progress(scorer, reviews),
        )
    except FileNotFoundError as exc:
        _fail(f"{exc.filename}: not found (set IMDB_TRACKER_SHARED to the shared folder)")
    except SentimentInputError as exc:
        _fail(str(exc))
    click.echo(format_assessment(assessment))
