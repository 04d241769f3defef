"""``imdb-tracker sentiment`` commands in a subprocess, against the fake OpenAI server for the LLM."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from imdb_tracker.sentiment import SCORE_FIELDS
from imdb_tracker_dev.fake_openai import FakeOpenAI
from imdb_tracker_tests.cli_support import run_cli

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


def _run(args: list[str], stdin: str = "", api_key: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "sentiment",
        *args,
        stdin=stdin,
        cwd=REPO,
        drop_env=("OPENAI_API_KEY", "OPENAI_BASE_URL"),
        env={"OPENAI_API_KEY": api_key} if api_key else None,
        timeout=60,
    )


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _review_lines(count: int) -> list[str]:
    return (DATA / "sentiment_reviews.jsonl").read_text(encoding="utf-8").splitlines()[:count]


def test_score_reads_stdin_and_writes_stdout_offline_without_a_key() -> None:
    result = _run(["score"], stdin="\n".join(_review_lines(3)) + "\n")
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    assert [line["review_id"] for line in lines] == ["rw10414657", "rw1544803", "rw10395749"]
    for line in lines:
        assert set(SCORE_FIELDS) <= set(line) and line["overall"] in (-2, -1, 0, 1, 2)
        assert (line["backend"], line["model"]) == ("offline", "vader-lexicon") and len(
            line["content_hash"]
        ) == 64
        assert "error" not in line
    assert "scored 3/3" in result.stderr and "3 scored, 0 from cache, 0 failed" in result.stderr


def test_score_with_the_llm_uses_files_and_the_cache(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("\n".join(_review_lines(25)) + "\n", encoding="utf-8")
    scores = tmp_path / "scores.jsonl"
    args = ["score", "--backend", "openai", "--base-url", fake_openai.base_url, "--input", str(reviews)]
    args += ["--output", str(scores), "--cache", str(scores)]
    first = _run(args, api_key="sk-cli-test")
    assert first.returncode == 0, first.stderr
    assert fake_openai.requests == 2  # 25 reviews, 20 per request
    assert "openai/gpt-4o-mini: 25 scored, 0 from cache, 0 failed; 2 requests" in first.stderr
    assert "cost $0.00" in first.stderr and "sk-cli-test" not in first.stderr
    lines = _lines(scores.read_text(encoding="utf-8"))
    assert len(lines) == 25 and {line["backend"] for line in lines} == {"openai"}

    second = _run(args, api_key="sk-cli-test")
    assert second.returncode == 0, second.stderr
    assert fake_openai.requests == 2  # everything came from the cache
    assert "0 scored, 25 from cache" in second.stderr
    assert _lines(scores.read_text(encoding="utf-8")) == lines

    edited = [json.loads(line) for line in _review_lines(25)]
    edited[4]["text"] += " Edited: the songs are wonderful."
    reviews.write_text("".join(json.dumps(r) + "\n" for r in edited), encoding="utf-8")
    third = _run(args, api_key="sk-cli-test")
    assert fake_openai.requests == 3 and fake_openai.reviews_seen[-1] == edited[4]["review_id"]
    assert "1 scored, 24 from cache" in third.stderr


def test_failed_reviews_carry_an_error_and_are_not_cached(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.malformed = {"rw1544803": "out_of_range"}
    args = ["score", "--backend", "openai", "--base-url", fake_openai.base_url]
    result = _run(args, stdin="\n".join(_review_lines(3)), api_key="sk-cli-test")
    assert result.returncode == 0, result.stderr
    failed = [line for line in _lines(result.stdout) if "error" in line]
    assert [line["review_id"] for line in failed] == ["rw1544803"]
    assert failed[0]["error"].startswith("score out of range") and failed[0]["overall"] is None
    assert "backend" not in failed[0]
    assert "2 scored" not in result.stderr and "1 failed" in result.stderr


def test_bad_input_gives_a_one_line_error() -> None:
    result = _run(["score", "--backend", "offline"], stdin='{"review_id": "rw1", "text": "ok"}\n{oops\n')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: <stdin>:2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]
    assert result.stdout == ""
    no_key = _run(["score", "--backend", "openai"], stdin="")
    assert no_key.returncode == 2 and "needs an API key" in no_key.stderr


def test_evaluate_prints_metrics_and_the_overall_confusion_matrix() -> None:
    args = ["evaluate", "--backend", "offline", "--split", "test"]
    args += [
        "--labels",
        str(DATA / "sentiment_labels.jsonl"),
        "--reviews",
        str(DATA / "sentiment_reviews.jsonl"),
    ]
    result = _run(args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "offline/vader-lexicon (offline-v1) on 39 labelled reviews, split test"
    assert lines[1].split() == ["field", "n", "acc%", "±1%", "F1%", "mentP%", "mentR%"]
    assert [line.split()[0] for line in lines[2:8]] == list(SCORE_FIELDS)
    assert all(line.split()[1] == "39" for line in lines[2:8])
    confusion = lines[lines.index("overall confusion (rows: label, columns: prediction)") + 2 :]
    assert [int(line.split()[0]) for line in confusion] == [-2, -1, 0, 1, 2]
    assert sum(sum(int(cell) for cell in line.split()[1:]) for line in confusion) == 39
