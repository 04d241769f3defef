"""``imdb-tracker scrape`` in a subprocess against the replica (its requests take their turns in the
session database's shared request budget)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from imdb_tracker_dev.replica import Fault, Replica
from imdb_tracker_tests.cli_support import run_cli

pytestmark = pytest.mark.usefixtures("database_urls")


def _scrape(*args: str, cwd: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    return run_cli("scrape", *args, cwd=cwd, env={"IMDB_REQUESTS_PER_SECOND": "50", **env_vars})


def test_scrape_prints_metadata_and_writes_reviews(imdb_replica: Replica, tmp_path: Path) -> None:
    output = tmp_path / "reviews.jsonl"
    done = _scrape("tt0029583", "--base-url", imdb_replica.base_url, "--output", str(output), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown == {
        "movie_id": "tt0029583",
        "title": "Snow White and the Seven Dwarfs",
        "original_title": "Snow White and the Seven Dwarfs",
        "year": 1937,
        "runtime_minutes": 83,
        "genres": ["Animation", "Adventure", "Family"],
        "rating": 7.6,
        "votes": 218734,
        "review_count": 429,
        "metascore": 95,
        "popularity": 2163,
        "poster_url": f"{imdb_replica.base_url}/images/tt0029583.jpg",
        "reviews_scraped": 429,
        "complete": True,
    }
    lines = output.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        r.to_dict() for r in imdb_replica.expected_reviews("tt0029583")
    ]
    assert "tt0029583: 429/429 reviews" in done.stderr


def test_scrape_metadata_only_and_max_reviews(imdb_replica: Replica, tmp_path: Path) -> None:
    done = _scrape(
        "https://www.imdb.com/title/tt6208148/",
        "--base-url",
        imdb_replica.base_url,
        "--metadata-only",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["title"] == "Snow White" and "reviews_scraped" not in shown
    output = str(tmp_path / "r.jsonl")
    done = _scrape(
        "6208148",
        "--max-reviews",
        "30",
        "--output",
        output,
        cwd=tmp_path,
        IMDB_BASE_URL=imdb_replica.base_url,
    )
    assert done.returncode == 0, done.stderr
    assert (json.loads(done.stdout)["reviews_scraped"], json.loads(done.stdout)["complete"]) == (30, False)
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 30


def test_scrape_errors_are_one_line_with_exit_codes(imdb_replica: Replica, tmp_path: Path) -> None:
    bad = _scrape("tt12", "--base-url", imdb_replica.base_url, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert (
        bad.stderr.strip().startswith("error: invalid movie id 'tt12'") and len(bad.stderr.splitlines()) == 1
    )
    unknown = _scrape("tt0000001", "--base-url", imdb_replica.base_url, "--output", "x.jsonl", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.strip() == "error: IMDb has no title tt0000001"
    assert not (tmp_path / "x.jsonl").exists()


def test_failed_scrape_leaves_no_output_file(fresh_imdb_replica: Replica, tmp_path: Path) -> None:
    fresh_imdb_replica.faults = [Fault(route="graphql", every=1, status=403)]  # after page 1 was written
    output = tmp_path / "reviews.jsonl"
    done = _scrape(
        "tt0029583", "--base-url", fresh_imdb_replica.base_url, "--output", str(output), cwd=tmp_path
    )
    assert done.returncode == 1 and done.stderr.splitlines()[-1].startswith("error: IMDb answered HTTP 403")
    assert not output.exists() and not list(tmp_path.glob("*.partial"))
