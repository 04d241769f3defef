"""The IMDb client in real Chromium against the replica: complete scrapes, metadata, search, errors.

Fidelity check: every review of the sample CSV must come back exactly once, equal to the CSV row
after the HTML round trip. The only conversions are those the CSV cannot express: ``rating``
"9.0" -> 9 and "" -> None, ``date`` text -> date; ``author_id`` and ``spoiler`` are not in the
CSV and are compared with the replica's deterministic synthesis. ``text`` and ``title`` are
compared exactly (no whitespace or entity normalisation).
"""

from __future__ import annotations

import csv
import urllib.request
from collections import Counter
from datetime import date

import pytest

from imdb_tracker.imdb import ImdbBrowser, best_movie_match
from imdb_tracker.imdb.errors import InvalidMovieId, LayoutChanged, MovieNotFound, SignInRequired
from imdb_tracker.imdb.models import Review, TitleSuggestion
from imdb_tracker_dev.replica import Replica, author_id_for, is_spoiler
from imdb_tracker_dev.replica.data import sample_csv
from imdb_tracker_tests.fakes import replica_browser


def _csv_reviews() -> dict[str, Review]:
    with sample_csv().open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["review_id"]: Review(
            review_id=row["review_id"],
            movie_id=row["movie_id"],
            author=row["author"],
            author_id=author_id_for(row["author"]),
            rating=int(float(row["rating"])) if row["rating"] else None,
            title=row["title"],
            text=row["text"],
            submitted_at=date.fromisoformat(row["date"]),
            helpful_up=int(row["upvotes"]),
            helpful_down=int(row["downvotes"]),
            spoiler=is_spoiler(row["review_id"]),
        )
        for row in rows
    }


def test_every_sample_review_comes_back_exactly_once_and_equal(
    imdb_client: ImdbBrowser, imdb_replica: Replica
) -> None:
    expected = _csv_reviews()
    assert len(expected) == 2456
    imdb_replica.reset_counters()
    scraped: list[Review] = []
    for movie_id, count in (("tt0029583", 429), ("tt6208148", 2027)):
        scrape = imdb_client.scrape_reviews(movie_id)
        pages = list(scrape)
        assert all(0 < len(page) <= 50 for page in pages)
        assert (scrape.announced_count, scrape.scraped, scrape.complete) == (count, count, True)
        movie_reviews = [review for page in pages for review in page]
        assert [r.submitted_at for r in movie_reviews] == sorted(
            (r.submitted_at for r in movie_reviews), reverse=True
        )
        scraped.extend(movie_reviews)
    ids = Counter(review.review_id for review in scraped)
    assert ids.most_common(1)[0][1] == 1 and set(ids) == set(expected)
    mismatches = [
        (review, expected[review.review_id]) for review in scraped if review != expected[review.review_id]
    ]
    assert mismatches == []
    assert sum(r.spoiler for r in scraped) > 50 and sum(r.rating is None for r in scraped) == 71
    assert any("\n\n" in r.text for r in scraped) and any("&" in r.text for r in scraped)

    requests = imdb_replica.requests
    # GraphQL: one "25 more" click per movie, then 50 per request; reviews pages: one per movie, plus
    # one when tt6208148's 41st GraphQL page moves to a fresh tab (ReviewScrape.pages_per_tab = 40).
    assert requests["reviews"] == 2 + 1
    assert requests["graphql"] == (1 + -(-(429 - 50) // 50)) + (1 + -(-(2027 - 50) // 50))
    own = [entry for entry in imdb_replica.graphql_log if entry["variables"]["first"] == 50]
    assert own and all(e["variables"]["sort"] == {"by": "SUBMISSION_DATE", "order": "DESC"} for e in own)
    assert all(e["headers"].get("x-imdb-client-name") == "imdb-web-next" for e in own)


def test_max_reviews_stops_early_and_is_not_complete(imdb_client: ImdbBrowser, imdb_replica: Replica) -> None:
    newest = imdb_replica.expected_reviews("tt6208148")
    imdb_replica.reset_counters()
    scrape = imdb_client.scrape_reviews("tt6208148", max_reviews=20)
    assert [r for page in scrape for r in page] == newest[:20]
    assert (scrape.scraped, scrape.complete, imdb_replica.requests["graphql"]) == (20, False, 0)
    scrape = imdb_client.scrape_reviews("https://www.imdb.com/title/tt6208148/reviews/", max_reviews=60)
    assert [r for page in scrape for r in page] == newest[:60]
    assert (scrape.scraped, scrape.complete, scrape.announced_count) == (60, False, 2027)
    scrape = imdb_client.scrape_reviews("tt6208148")
    assert next(iter(scrape)) == newest[:25]
    scrape.close()  # stop early: the tab is released and iteration ends
    assert list(scrape) == [] and (scrape.scraped, scrape.complete) == (25, False)


def test_long_scrapes_move_to_a_fresh_tab(imdb_client: ImdbBrowser, imdb_replica: Replica) -> None:
    imdb_replica.reset_counters()
    scrape = imdb_client.scrape_reviews("tt0029583")
    scrape.pages_per_tab = 3  # GraphQL pages: the click's + 8 of ours -> two moves to a new tab
    assert [r for page in scrape for r in page] == imdb_replica.expected_reviews("tt0029583")
    assert scrape.complete and imdb_replica.requests["reviews"] == 3 and imdb_replica.requests["graphql"] == 9


def test_metadata_of_both_sample_movies(imdb_client: ImdbBrowser, imdb_replica: Replica) -> None:
    classic = imdb_client.fetch_metadata("tt0029583")
    assert (classic.title, classic.original_title, classic.year, classic.runtime_minutes) == (
        "Snow White and the Seven Dwarfs",
        "Snow White and the Seven Dwarfs",
        1937,
        83,
    )
    assert classic.genres == ["Animation", "Adventure", "Family"]
    assert (classic.review_count, classic.rating, classic.votes, classic.metascore) == (429, 7.6, 218734, 95)
    remake = imdb_client.fetch_metadata("6208148")
    assert (remake.title, remake.year, remake.runtime_minutes, remake.review_count) == (
        "Snow White",
        2025,
        109,
        2027,
    )
    assert remake.genres == ["Adventure", "Family", "Fantasy"]
    assert remake.plot is not None and remake.plot.endswith("the Evil Queen's cruel rule.")  # &apos; decoded
    assert remake.popularity == 387
    assert remake.poster_url == f"{imdb_replica.base_url}/images/tt6208148.jpg"
    with urllib.request.urlopen(remake.poster_url) as response:
        assert response.headers["Content-Type"] == "image/png" and response.read(8) == b"\x89PNG\r\n\x1a\n"


def test_title_search_finds_both_snow_whites(imdb_client: ImdbBrowser) -> None:
    hits = imdb_client.search_titles("snow white")
    assert hits == [
        TitleSuggestion("tt6208148", "Snow White", 2025, "movie"),
        TitleSuggestion("tt0029583", "Snow White and the Seven Dwarfs", 1937, "movie"),
    ]
    assert best_movie_match("snow white 1937", hits) == hits[1]
    assert [h.movie_id for h in imdb_client.search_titles("SEVEN dwarfs")] == ["tt0029583"]
    assert imdb_client.search_titles("citizen kane") == []


def test_unknown_and_invalid_ids(imdb_client: ImdbBrowser) -> None:
    with pytest.raises(MovieNotFound, match="tt0000001"):
        imdb_client.fetch_metadata("tt0000001")
    with pytest.raises(MovieNotFound):
        list(imdb_client.scrape_reviews("tt0000001"))
    with pytest.raises(InvalidMovieId):
        imdb_client.scrape_reviews("tt12")


def test_layout_change_names_the_missing_path(fresh_imdb_replica: Replica) -> None:
    fresh_imdb_replica.layout_changed = True
    with replica_browser(fresh_imdb_replica) as browser:
        with pytest.raises(LayoutChanged) as caught:
            browser.fetch_metadata("tt0029583")
        assert caught.value.path == "props.pageProps.aboveTheFoldData"
        scrape = browser.scrape_reviews("tt0029583")
        with pytest.raises(LayoutChanged) as caught:
            next(iter(scrape))
        assert caught.value.path == "props.pageProps.contentData"
        assert "/title/tt0029583/reviews/" in caught.value.url and scrape.scraped == 0
        fresh_imdb_replica.layout_changed = False
        fresh_imdb_replica.json_ld_only = True  # no __NEXT_DATA__: JSON-LD fallback
        meta = browser.fetch_metadata("tt6208148")
        assert (meta.title, meta.year, meta.runtime_minutes, meta.votes) == ("Snow White", 2025, 109, 386412)
        assert meta.review_count is None


def test_sign_in_wall_and_saved_session(fresh_imdb_replica: Replica, tmp_path) -> None:
    fresh_imdb_replica.sign_in_wall = True
    with (
        replica_browser(fresh_imdb_replica) as browser,
        pytest.raises(SignInRequired, match="IMDB_STORAGE_STATE"),
    ):
        list(browser.scrape_reviews("tt0029583"))
    state = fresh_imdb_replica.write_storage_state(tmp_path / "imdb_state.json")
    with replica_browser(fresh_imdb_replica, storage_state=state) as browser:
        scrape = browser.scrape_reviews("tt0029583")
        assert sum(len(page) for page in scrape) == 429 and scrape.complete
