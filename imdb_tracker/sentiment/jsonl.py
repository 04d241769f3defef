"""Reading and writing the JSON-lines files of the sentiment CLI: reviews, labels, scores."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from imdb_tracker.sentiment.cache import Fingerprint
from imdb_tracker.sentiment.models import SCORE_FIELDS, AspectScores, ReviewInput, SentimentResult


class SentimentInputError(ValueError):
    """A JSON-lines input file is malformed; the message names the file and line."""


def _records(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SentimentInputError(f"{source}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise SentimentInputError(f"{source}:{number}: expected a JSON object")
        yield number, record


def read_reviews(lines: Iterable[str], source: str = "<stdin>") -> list[ReviewInput]:
    """Reviews from lines carrying ``review_id``, ``text`` and optionally ``title``, ``content_hash``."""
    reviews = []
    for number, record in _records(lines, source):
        review_id, text, title = record.get("review_id"), record.get("text"), record.get("title")
        if not isinstance(review_id, str) or not review_id:
            raise SentimentInputError(f"{source}:{number}: missing or empty 'review_id'")
        if not isinstance(text, str):
            raise SentimentInputError(f"{source}:{number}: 'text' must be a string")
        if title is not None and not isinstance(title, str):
            raise SentimentInputError(f"{source}:{number}: 'title' must be a string or null")
        reviews.append(ReviewInput(review_id, title, text, record.get("content_hash")))
    return reviews


def read_labels(path: Path, split: str | None = None) -> dict[str, dict[str, int | None]]:
    """Hand labels: review id -> the six score fields (None where the aspect is not mentioned),
    only those whose ``split`` field equals ``split`` when given."""
    labels = {}
    with path.open(encoding="utf-8") as handle:
        for number, record in _records(handle, str(path)):
            if split is not None and record.get("split") != split:
                continue
            try:
                scores = AspectScores.model_validate({f: record.get(f) for f in SCORE_FIELDS})
            except ValidationError as exc:
                raise SentimentInputError(
                    f"{path}:{number}: invalid label ({exc.errors()[0]['msg']})"
                ) from None
            labels[str(record["review_id"])] = scores.to_dict()
    return labels


def read_cache(path: Path) -> dict[str, tuple[Fingerprint, AspectScores]]:
    """Successful scores of a previous ``score`` output, by review id; failed lines are skipped."""
    cache = {}
    if not path.exists():
        return cache
    with path.open(encoding="utf-8") as handle:
        for number, record in _records(handle, str(path)):
            if record.get("error") or not record.get("content_hash"):
                continue
            try:
                scores = AspectScores.model_validate({f: record.get(f) for f in SCORE_FIELDS})
                fingerprint = Fingerprint(
                    record["content_hash"], record["backend"], record["model"], record["prompt_version"]
                )
            except (KeyError, ValueError):
                raise SentimentInputError(f"{path}:{number}: not a score line") from None
            cache[record["review_id"]] = (fingerprint, scores)
    return cache


def result_record(
    review: ReviewInput, result: SentimentResult, fingerprint: Fingerprint | None
) -> dict[str, Any]:
    """One output line: id, six fields, ``error`` when it failed, and the fingerprint when it worked."""
    scores = result.scores.to_dict() if result.scores else dict.fromkeys(SCORE_FIELDS)
    record: dict[str, Any] = {"review_id": review.review_id, **scores}
    if result.error:
        record["error"] = result.error
    if fingerprint is not None and result.scores is not None:
        record.update(
            backend=fingerprint.backend,
            model=fingerprint.model,
            prompt_version=fingerprint.prompt_version,
            content_hash=fingerprint.content_hash,
        )
    return record


def write_records(records: Iterable[dict[str, Any]], handle: IO[str]) -> None:
    """Write one JSON object per line."""
    for record in records:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
