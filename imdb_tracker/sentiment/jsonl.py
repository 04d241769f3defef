"""Reading and writing the JSON-lines files of the sentiment CLI: reviews and scores."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from imdb_tracker.sentiment.cache import Fingerprint
from imdb_tracker.sentiment.models import SCORE_FIELDS, AspectScores, ReviewInput, SentimentResult


class SentimentInputError(ValueError):
    """An input file is unreadable or malformed; the message names the file and line."""


def decode_lines(data: bytes, source: str) -> list[str]:
    """``data`` as UTF-8 lines; raises :class:`SentimentInputError` naming the first bad line."""
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SentimentInputError(
            f"{source}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def read_text_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 file; a missing, unreadable or non-UTF-8 file raises
    :class:`SentimentInputError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SentimentInputError(f"{path}: {exc.strerror or exc}") from None
    return decode_lines(data, str(path))


def json_records(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line; a line that is not a JSON object raises
    :class:`SentimentInputError` naming ``source`` and the line."""
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
    """Reviews from lines carrying ``review_id``, ``text`` and optionally ``title`` and ``rating``
    (the reviewer's 1-10 stars, read by the offline analyser)."""
    reviews = []
    for number, record in json_records(lines, source):
        review_id, text, title = record.get("review_id"), record.get("text"), record.get("title")
        rating = record.get("rating")
        if not isinstance(review_id, str) or not review_id:
            raise SentimentInputError(f"{source}:{number}: missing or empty 'review_id'")
        if not isinstance(text, str):
            raise SentimentInputError(f"{source}:{number}: 'text' must be a string")
        if title is not None and not isinstance(title, str):
            raise SentimentInputError(f"{source}:{number}: 'title' must be a string or null")
        if rating is not None and (
            isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10
        ):
            raise SentimentInputError(f"{source}:{number}: 'rating' must be an integer 1-10 or null")
        reviews.append(ReviewInput(review_id, title, text, rating=rating))
    return reviews


@dataclass(frozen=True)
class CachedResult:
    """A line of a previous ``score`` output: the scores, or the error and how many attempts
    failed, with the fingerprint they belong to."""

    fingerprint: Fingerprint
    scores: AspectScores | None
    error: str | None = None
    attempts: int = 0


def read_cache(path: Path) -> dict[str, CachedResult]:
    """Results of a previous ``score`` output by review id (none when the file does not exist yet);
    failed lines without a fingerprint (older outputs) are skipped."""
    if not path.exists():
        return {}
    cache = {}
    for number, record in json_records(read_text_lines(path), str(path)):
        if not record.get("content_hash"):
            continue
        try:
            fingerprint = Fingerprint(
                record["content_hash"], record["backend"], record["model"], record["prompt_version"]
            )
            if record.get("error"):
                attempts = int(record.get("attempts") or 1)
                cache[record["review_id"]] = CachedResult(fingerprint, None, str(record["error"]), attempts)
            else:
                scores = AspectScores.model_validate({f: record.get(f) for f in SCORE_FIELDS})
                cache[record["review_id"]] = CachedResult(fingerprint, scores)
        except (KeyError, TypeError, ValueError, ValidationError):
            raise SentimentInputError(f"{path}:{number}: not a score line") from None
    return cache


def result_record(
    review: ReviewInput, result: SentimentResult, fingerprint: Fingerprint, attempts: int = 0
) -> dict[str, Any]:
    """One output line: id, six fields, ``error`` and ``attempts`` when it failed, and the
    fingerprint (so the next run knows what the line was computed from)."""
    scores = result.scores.to_dict() if result.scores else dict.fromkeys(SCORE_FIELDS)
    record: dict[str, Any] = {"review_id": review.review_id, **scores}
    if result.scores is None:
        record["error"] = result.error or "no scores returned"
        record["attempts"] = attempts
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
