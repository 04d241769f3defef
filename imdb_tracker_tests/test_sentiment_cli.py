"""``imdb-tracker sentiment`` commands in a subprocess, against the fake OpenAI server for the LLM.

Review inputs are built from the shared sample CSV at test time (no review text is stored here).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from imdb_tracker.sentiment import SCORE_FIELDS
from imdb_tracker.sentiment.corpus import POLARITY_CSV, read_sample
from imdb_tracker.sentiment.offline import OFFLINE_VERSION
from imdb_tracker_dev.fake_openai import FakeOpenAI
from imdb_tracker_tests.cli_support import run_cli
from imdb_tracker_tests.conftest import SHARED

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (SHARED / POLARITY_CSV).exists(), reason=f"no shared folder at {SHARED}")
NO_KEY = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SENTIMENT_BACKEND", "SENTIMENT_MAX_ATTEMPTS")


def _run(
    args: list[str],
    stdin: str | None = "",
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "sentiment",
        *args,
        stdin=stdin,
        cwd=cwd,
        drop_env=NO_KEY,
        env={"IMDB_TRACKER_SHARED": str(SHARED), **(env or {})},
    )


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _review_records(count: int) -> list[dict]:
    records = []
    for corpus_review in read_sample(SHARED):
        review = corpus_review.review
        records.append(
            {
                "review_id": review.review_id,
                "title": review.title,
                "text": review.text,
                "rating": review.rating,
            }
        )
        if len(records) == count:
            return records
    return records


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def test_score_reads_stdin_offline_and_says_that_auto_fell_back() -> None:
    records = _review_records(3)
    result = _run(["score"], stdin=_jsonl(records))
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    assert [line["review_id"] for line in lines] == [r["review_id"] for r in records]
    for line in lines:
        assert set(SCORE_FIELDS) <= set(line) and line["overall"] in (-2, -1, 0, 1, 2)
        assert line["backend"] == "offline" and line["model"].startswith("tfidf-logreg-")
        assert (
            line["prompt_version"] == OFFLINE_VERSION
            and len(line["content_hash"]) == 64
            and "error" not in line
        )
    stderr = result.stderr.splitlines()
    assert stderr[0] == (
        "note: no OPENAI_API_KEY in the environment or .env, so --backend auto uses the offline analyser"
    )
    assert "3 scored, 0 from cache, 0 failed, 0 given up after 3 attempts" in stderr[-1]


def test_the_star_rating_drives_the_offline_overall() -> None:
    review = {"review_id": "rw1", "title": None, "text": "This movie was a dud.", "rating": 1}
    lines = _lines(
        _run(["score", "--backend", "offline"], stdin=_jsonl([review, {**review, "rating": 10}])).stdout
    )
    assert [line["overall"] for line in lines] == [-2, 2]


def test_openai_backend_takes_the_key_from_dot_env_like_settings_show(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    (tmp_path / ".env").write_text(
        f"OPENAI_API_KEY=sk-from-dotenv-77\nOPENAI_BASE_URL={fake_openai.base_url}\n", encoding="utf-8"
    )
    shown = run_cli("settings", "show", cwd=tmp_path, drop_env=NO_KEY)
    assert json.loads(shown.stdout)["openai_api_key"] == "****"
    result = _run(["score", "--backend", "openai"], stdin=_jsonl(_review_records(2)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert fake_openai.requests == 1 and {line["backend"] for line in _lines(result.stdout)} == {"openai"}
    assert "sk-from-dotenv-77" not in result.stdout + result.stderr


def test_llm_cache_skips_unchanged_reviews_and_ignores_rating_and_spoiler(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    records = _review_records(25)
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(_jsonl(records), encoding="utf-8")
    scores = tmp_path / "scores.jsonl"
    args = ["score", "--backend", "openai", "--base-url", fake_openai.base_url, "--input", str(reviews)]
    args += ["--output", str(scores), "--cache", str(scores)]
    env = {"OPENAI_API_KEY": "sk-cli-test"}
    first = _run(args, env=env)
    assert first.returncode == 0, first.stderr
    assert fake_openai.requests == 2  # 25 reviews, 20 per request
    assert "openai/gpt-4o-mini (aspects-v2): 25 scored, 0 from cache, 0 failed" in first.stderr
    assert "sk-cli-test" not in first.stderr
    lines = _lines(scores.read_text(encoding="utf-8"))
    assert len(lines) == 25 and {line["backend"] for line in lines} == {"openai"}

    re_rated = [{**r, "rating": 11 - (r["rating"] or 5), "spoiler": True} for r in records]
    reviews.write_text(_jsonl(re_rated), encoding="utf-8")
    second = _run(args, env=env)
    assert second.returncode == 0, second.stderr
    assert fake_openai.requests == 2  # a new rating or spoiler flag is not a paid re-score
    assert "0 scored, 25 from cache" in second.stderr and _lines(scores.read_text(encoding="utf-8")) == lines

    re_rated[4]["text"] += " Edited: the songs are wonderful."
    reviews.write_text(_jsonl(re_rated), encoding="utf-8")
    third = _run(args, env=env)
    assert fake_openai.requests == 3 and fake_openai.reviews_seen[-1] == re_rated[4]["review_id"]
    assert "1 scored, 24 from cache" in third.stderr


def test_a_failing_review_is_retried_at_most_max_attempts_then_reported(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    records = _review_records(3)
    broken = records[1]["review_id"]
    fake_openai.malformed = {broken: "out_of_range"}
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(_jsonl(records), encoding="utf-8")
    scores = tmp_path / "scores.jsonl"
    args = ["score", "--backend", "openai", "--base-url", fake_openai.base_url, "--input", str(reviews)]
    args += ["--output", str(scores), "--cache", str(scores)]
    env = {"OPENAI_API_KEY": "sk-cli-test", "SENTIMENT_MAX_ATTEMPTS": "2"}
    summaries = []
    for _ in range(3):
        result = _run(args, env=env)
        assert result.returncode == 0, result.stderr
        summaries.append(result.stderr.splitlines()[-1])
        failed = [line for line in _lines(scores.read_text(encoding="utf-8")) if "error" in line]
        assert [line["review_id"] for line in failed] == [broken]
        assert failed[0]["error"].startswith("score out of range") and failed[0]["overall"] is None
    assert "3 scored, 0 from cache, 1 failed, 0 given up after 2 attempts" in summaries[0]
    assert "1 scored, 2 from cache, 1 failed, 1 given up after 2 attempts" in summaries[1]
    assert "0 scored, 2 from cache, 0 failed, 1 given up after 2 attempts" in summaries[2]
    assert failed[0]["attempts"] == 2
    assert fake_openai.reviews_seen.count(broken) == 2 * 3  # 2 runs x (first try + 2 re-asks), none in run 3
    good = [line for line in _lines(scores.read_text(encoding="utf-8")) if "error" not in line]
    assert len(good) == 2 and all(line["overall"] is not None for line in good)


def test_non_utf8_input_gives_one_line_and_nothing_else(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(
        '{"review_id": "rw1", "text": "ok"}\n{"review_id": "rw2", "text": "caf\xe9"}\n'.encode("latin-1")
    )
    from_file = _run(["score", "--backend", "offline", "--input", str(bad)])
    assert from_file.returncode == 2 and from_file.stdout == ""
    assert from_file.stderr.splitlines() == [
        f"error: {bad}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    ]
    piped = subprocess.run(
        [*_cli_command(), "sentiment", "score", "--backend", "offline"],
        input=bad.read_bytes(),
        capture_output=True,
    )
    assert piped.returncode == 2 and piped.stdout == b""
    assert piped.stderr.decode().splitlines() == [
        "error: <stdin>:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    ]


def _cli_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "imdb_tracker"]


def test_bad_output_paths_fail_before_any_paid_scoring(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    stdin = _jsonl(_review_records(3))
    base = ["score", "--backend", "openai", "--base-url", fake_openai.base_url]
    env = {"OPENAI_API_KEY": "sk-cli-test"}
    missing = _run([*base, "--output", "/nonexistent/x.jsonl"], stdin=stdin, env=env)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.splitlines() == [
        "error: cannot write --output /nonexistent/x.jsonl: directory /nonexistent does not exist"
    ]
    directory = _run([*base, "--output", str(tmp_path)], stdin=stdin, env=env)
    assert directory.stderr.splitlines() == [f"error: cannot write --output {tmp_path}: it is a directory"]
    cache_dir = _run([*base, "--cache", str(tmp_path)], stdin=stdin, env=env)
    assert cache_dir.returncode == 2 and cache_dir.stderr.splitlines() == [
        f"error: --cache {tmp_path}: is a directory"
    ]
    assert fake_openai.requests == 0  # nothing was sent, so nothing paid was lost


def test_a_base_url_that_is_not_a_url_fails_at_once_without_retries() -> None:
    result = _run(
        ["score", "--backend", "openai", "--base-url", "not a url"],
        stdin=_jsonl(_review_records(1)),
        env={"OPENAI_API_KEY": "sk-x"},
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: base URL 'not a url' is not an http:// or https:// URL with a valid host "
        "(e.g. https://api.openai.com/v1)"
    ]


def test_bad_json_and_missing_key_give_one_line() -> None:
    result = _run(["score", "--backend", "offline"], stdin='{"review_id": "rw1", "text": "ok"}\n{oops\n')
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: <stdin>:2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]
    no_key = _run(["score", "--backend", "openai"], stdin="")
    assert no_key.returncode == 2
    assert no_key.stderr.splitlines() == [
        "error: the openai sentiment backend needs an API key (set OPENAI_API_KEY)"
    ]


def test_evaluate_own_labels_prints_every_system_per_source(tmp_path: Path) -> None:
    records = _review_records(4)
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(
        _jsonl([{**r, "review_id": f"own{i}"} for i, r in enumerate(records)]), encoding="utf-8"
    )
    labels = tmp_path / "labels.jsonl"
    fields = {
        "storytelling": None,
        "acting": None,
        "cinematography": None,
        "music_sound": None,
        "themes": None,
    }
    labels.write_text(
        _jsonl(
            [
                {"review_id": f"own{i}", **fields, "overall": -2 if (r["rating"] or 1) < 5 else 2}
                for i, r in enumerate(records)
            ]
        ),
        encoding="utf-8",
    )
    result = _run(
        [
            "evaluate",
            "--backend",
            "offline",
            "--labels",
            str(labels),
            "--reviews",
            str(reviews),
            "--split",
            "all",
        ]
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("offline/tfidf-logreg-") and lines[0].endswith(
        "split all: all labelled reviews"
    )
    assert lines[1].split()[:3] == ["system", "n", "aspect"]
    assert [line.split()[0] for line in lines[2:6]] == [
        "offline",
        "vader-only",
        "stars-only",
        "always-absent",
    ]
    assert all(line.split()[1] == "4" for line in lines[2:6])
    assert "movie own" in result.stdout  # the per-source table of the labels' own reviews
    missing = _run(["evaluate", "--backend", "offline", "--labels", str(labels)])
    assert missing.returncode == 2 and missing.stderr.splitlines() == [
        "error: no text for 4 labelled reviews, e.g. own0"
    ]


@pytest.mark.slow
def test_evaluate_on_the_projects_test_split() -> None:
    result = _run(["evaluate", "--backend", "offline", "--split", "test"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "split test: all labelled reviews" in out and "IMDb polarity sample (many films)" in out
    assert "overall binary accuracy on all 617 rows of the polarity sample's split" in out
    offline_row = next(line for line in out.splitlines() if line.startswith("offline "))
    assert offline_row.split()[1] == "212"


@pytest.mark.slow
def test_evaluate_defaults_to_the_held_out_split_test7() -> None:
    result = _run(["evaluate", "--backend", "offline"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "split test7: all labelled reviews" in out
    offline_row = next(line for line in out.splitlines() if line.startswith("offline "))
    # 198 reviews of hand_labels/test7_labels.jsonl; aspect macro-F1 as measured once (README)
    assert offline_row.split()[1:3] == ["198", "0.527"]
    # earlier held-out splits, which offline-v7's aspect model trains on (README): the previous one,
    # and test4, the one a second labeller labelled too
    earlier = (("test6", "200", "0.614"), ("test4", "199", "0.544"))
    for split, size, measured in earlier:
        previous = _run(["evaluate", "--backend", "offline", "--split", split])
        assert f"split {split}: all labelled reviews" in previous.stdout
        offline_row = next(line for line in previous.stdout.splitlines() if line.startswith("offline "))
        assert offline_row.split()[1:3] == [size, measured]
