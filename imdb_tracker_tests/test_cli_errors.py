"""Bad input on the command line: exactly one line on stderr (``error: ...``), exit 2, no traceback,
nothing done; and every command reads the same settings (environment, then ``.env``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imdb_tracker.db.migrate import current_revision, known_revisions
from imdb_tracker.db.server import DatabaseUrls
from imdb_tracker_dev.replica import Replica
from imdb_tracker_tests.cli_support import run_cli

pytestmark = pytest.mark.usefixtures("database_urls")

NOT_A_URL = "is not an http:// or https:// URL with a valid host (e.g. https://www.imdb.com)"
REVISIONS = ", ".join(["base", *known_revisions(), "head"])


def assert_one_line_error(done, message: str, code: int = 2) -> None:
    assert (done.returncode, done.stdout, done.stderr) == (code, "", f"error: {message}\n")


def test_scrape_output_in_a_missing_directory_is_refused_before_any_request(
    fresh_imdb_replica: Replica, tmp_path: Path
) -> None:
    done = run_cli(
        "scrape", "tt0029583", "--base-url", fresh_imdb_replica.base_url, "--output", "/nonexistent/x.jsonl"
    )
    assert_one_line_error(
        done, "cannot write --output /nonexistent/x.jsonl: directory /nonexistent does not exist"
    )
    folder = tmp_path / "out"
    folder.mkdir()
    done = run_cli("scrape", "tt0029583", "--base-url", fresh_imdb_replica.base_url, "--output", str(folder))
    assert_one_line_error(done, f"cannot write --output {folder}: it is a directory")
    assert fresh_imdb_replica.total_requests == 0


@pytest.mark.parametrize("url", ["not a url", "http://exa mple.com"])
def test_a_base_url_that_cannot_be_valid_fails_at_once(url: str) -> None:
    done = run_cli("scrape", "tt0029583", "--base-url", url)
    assert_one_line_error(done, f"--base-url {url!r} {NOT_A_URL}")


def test_db_revisions_that_do_not_exist_change_nothing(database_urls: DatabaseUrls) -> None:
    before = current_revision(database_urls.tracker)
    done = run_cli("db", "downgrade", "nonsense-rev")
    assert_one_line_error(
        done,
        "cannot migrate to 'nonsense-rev': Can't locate revision identified by 'nonsense-rev' "
        f"(revisions: {REVISIONS})",
    )
    done = run_cli("db", "upgrade", "--revision", "9999")
    assert_one_line_error(
        done, f"cannot migrate to '9999': Can't locate revision identified by '9999' (revisions: {REVISIONS})"
    )
    assert current_revision(database_urls.tracker) == before == known_revisions()[-1]


def test_bad_settings_from_the_environment_or_dotenv_are_one_line(tmp_path: Path) -> None:
    done = run_cli("settings", "show", env={"IMDB_REQUESTS_PER_SECOND": "0"})
    assert_one_line_error(done, "invalid setting IMDB_REQUESTS_PER_SECOND: Input should be greater than 0")
    (tmp_path / ".env").write_text("IMDB_BASE_URL=not a url\n", encoding="utf-8")
    for command in (["settings", "show"], ["scrape", "tt0029583"], ["movies", "list"]):
        done = run_cli(*command, cwd=tmp_path, drop_env=["IMDB_BASE_URL"])
        assert_one_line_error(done, f"invalid setting IMDB_BASE_URL: 'not a url' {NOT_A_URL}")


def test_every_command_reads_dotenv(imdb_replica: Replica, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"IMDB_BASE_URL={imdb_replica.base_url}\nIMDB_REQUESTS_PER_SECOND=40\n", encoding="utf-8"
    )
    shown = run_cli("settings", "show", cwd=tmp_path, drop_env=["IMDB_BASE_URL", "IMDB_REQUESTS_PER_SECOND"])
    settings = json.loads(shown.stdout)
    assert (settings["imdb_base_url"], settings["imdb_requests_per_second"]) == (imdb_replica.base_url, 40.0)
    scraped = run_cli("scrape", "tt0029583", "--metadata-only", cwd=tmp_path, drop_env=["IMDB_BASE_URL"])
    assert scraped.returncode == 0, scraped.stderr
    assert json.loads(scraped.stdout)["title"] == "Snow White and the Seven Dwarfs"  # from the replica
