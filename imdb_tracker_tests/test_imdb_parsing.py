"""Pure parts of the IMDb client: JSON paths, page parsing, search matching, politeness, query rewriting."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from imdb_tracker.imdb.browser import ImdbBrowser, imdb_host_matcher
from imdb_tracker.imdb.errors import InvalidUrl, LayoutChanged, ServerError, TitleMoved
from imdb_tracker.imdb.graphql import PersistedQuery
from imdb_tracker.imdb.jsonpath import lookup, require
from imdb_tracker.imdb.models import TitleSuggestion
from imdb_tracker.imdb.parsing import (
    html_to_text,
    parse_reviews_graphql,
    parse_reviews_page,
    parse_title_json_ld,
    parse_title_next_data,
)
from imdb_tracker.imdb.ratelimit import Backoff, TokenBucket, parse_retry_after
from imdb_tracker.imdb.reviews import ReviewScrape, SeenIds
from imdb_tracker.imdb.search import best_movie_match, parse_suggestions, suggestion_url
from imdb_tracker.imdb.session import Document
from imdb_tracker.imdb.urls import check_site_url
from imdb_tracker_dev.replica.data import StoredMovie, StoredReview, shared_dir
from imdb_tracker_dev.replica.render import graphql_node, reviews_page

pytestmark = pytest.mark.fast

PAGES = shared_dir() / "imdb" / "pages"


def test_require_names_the_first_missing_path() -> None:
    doc = {"props": {"pageProps": {"contentDataV2": {}}}}
    with pytest.raises(LayoutChanged) as caught:
        require(doc, "props.pageProps.contentData.reviews", url="http://x/")
    assert caught.value.path == "props.pageProps.contentData"
    assert "props.pageProps.contentData is missing at http://x/" in str(caught.value)
    assert require({"a": {"b": 0}}, "a.b") == 0
    with pytest.raises(LayoutChanged, match=r"a\.b \(unexpected str\)"):
        require({"a": {"b": "x"}}, "a.b", kind=int)
    assert lookup({"a": None}, "a.b", "fallback") == "fallback"


def test_html_to_text_keeps_literal_markup_and_decodes_entities() -> None:
    html = "It&#39;s &quot;fine&quot; &amp; 5 &lt; 6<br/><br/>Second <b>bold</b> line<br>end &lt;br/&gt;"
    assert html_to_text(html) == 'It\'s "fine" & 5 < 6\n\nSecond bold line\nend <br/>'


def test_real_reference_page_next_data_parses_with_title_genres_fallback() -> None:
    """The saved /reference __NEXT_DATA__ of The Matrix (Italian locale, ``titleGenres`` layout)."""
    doc = json.loads((PAGES / "imdbinfo" / "sample_resource.json").read_text(encoding="utf-8"))
    meta = parse_title_next_data(doc, "tt0133093", "https://www.imdb.com/title/tt0133093/reference")
    assert (meta.title, meta.original_title, meta.year, meta.runtime_minutes) == (
        "Matrix",
        "The Matrix",
        1999,
        136,
    )
    assert meta.genres == ["Action", "Sci-Fi"]
    assert (meta.rating, meta.votes, meta.review_count, meta.metascore) == (8.7, 2193347, 5202, 73)
    assert meta.poster_url is not None and meta.poster_url.startswith("https://m.media-amazon.com/images/")
    assert meta.plot is not None and meta.plot.startswith(
        "When a beautiful stranger leads computer hacker Neo"
    )


def _as_next_js_html(document: object) -> str:
    """A page the way Next.js serves one: the data script escapes ``<`` (``\\u003c``), scripts of
    other kinds around it, attributes in Next.js's order."""
    data = json.dumps(document).replace("<", "\\u003c")
    return (
        '<!DOCTYPE html><html><head><script type="application/ld+json">{"@type":"Movie","name":"The Matrix"}'
        '</script><script src="/_next/static/chunks/main.js" defer=""></script></head><body>'
        '<section data-testid="hero-parent"><h1>Matrix</h1></section>'
        '<script>window.a = \'<div>\' + "</scr" + "ipt>";</script>'
        f'<script id="__NEXT_DATA__" type="application/json">{data}</script></body></html>'
    )


def test_a_title_page_read_from_its_html_gives_the_data_the_dom_would() -> None:
    """The real /reference ``__NEXT_DATA__`` of The Matrix, served in HTML: the document read from the
    HTML (no rendering) is the same JSON, and parses to the same metadata."""
    doc = json.loads((PAGES / "imdbinfo" / "sample_resource.json").read_text(encoding="utf-8"))
    url = "https://www.imdb.com/title/tt0133093/"
    document = Document.from_html(_as_next_js_html(doc), url)
    assert document.next_data == doc and document.has_page_data
    assert document.json_ld == [{"@type": "Movie", "name": "The Matrix"}]
    assert not document.sign_in_card
    assert parse_title_next_data(document.next_data, "tt0133093", url).votes == 2193347


LD = '<script type="application/ld+json">'


@pytest.mark.parametrize(
    ("html", "next_data", "json_ld", "sign_in"),
    [
        ("<SCRIPT type='application/json' ID='__NEXT_DATA__'>{\"a\": 1}</SCRIPT >", {"a": 1}, [], False),
        (
            '<script id=__NEXT_DATA__>{"a": 2}</script><script id="__NEXT_DATA__">3</script>',
            {"a": 2},
            [],
            False,
        ),
        ('<script id="__NEXT_DATA__x">{"a": 1}</script>', None, [], False),
        (f"{LD}not json</script>{LD}[1]</script>", None, [[1]], False),
        ('<section class="x" data-testid="reviews-sign-in-card"><a>Sign in</a></section>', None, [], True),
        ("<html><body><div id=root></div></body></html>", None, [], False),
    ],
)
def test_html_documents_are_read_by_the_rules_of_html_scripts(
    html: str, next_data: object, json_ld: list[object], sign_in: bool
) -> None:
    document = Document.from_html(html, "https://www.imdb.com/title/tt0000001/")
    assert (document.next_data, document.json_ld, document.sign_in_card) == (next_data, json_ld, sign_in)
    assert document.has_page_data == (next_data is not None or bool(json_ld))


def test_html_with_broken_next_data_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="not valid JSON"):
        Document.from_html('<script id="__NEXT_DATA__">{"a": </script>', "https://www.imdb.com/title/tt1/")


def test_title_next_data_without_above_the_fold_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_title_next_data({"props": {"pageProps": {"heroData": {}}}}, "tt0000001")
    assert caught.value.path == "props.pageProps.aboveTheFoldData"


def test_a_page_of_another_title_is_a_moved_title_not_data_for_the_one_asked() -> None:
    """IMDb redirects a merged title to the one it kept: the real page of The Walking Dead, read for
    The Matrix's id, must not be stored as The Matrix, nor its reviews."""
    doc = json.loads((PAGES / "imdbinfo" / "sample_series.json").read_text(encoding="utf-8"))
    assert parse_title_next_data(doc, "tt1520211").title == "The Walking Dead"
    with pytest.raises(TitleMoved, match=r"IMDb shows tt1520211 for tt0133093 .*track tt1520211 instead"):
        parse_title_next_data(doc, "tt0133093")
    page = {"props": {"pageProps": {"contentData": {"reviews": [_page_item()]}}}}
    with pytest.raises(TitleMoved, match="IMDb shows tt0111161 for tt0133093"):
        parse_reviews_page(page, "tt0133093")


def test_json_ld_fallback_unescapes_and_converts_duration() -> None:
    ld = {
        "@type": "Movie",
        "name": "The Shawshank Redemption",
        "description": "A banker&apos;s story",
        "genre": ["Drama"],
        "datePublished": "1994-10-14",
        "duration": "PT2H22M",
        "aggregateRating": {"ratingValue": 9.3, "ratingCount": 3000000},
        "image": "/images/x.jpg",
    }
    meta = parse_title_json_ld(
        [{"@type": "BreadcrumbList"}, ld], "tt0111161", "http://replica/title/tt0111161/"
    )
    assert (meta.title, meta.year, meta.runtime_minutes, meta.genres) == (
        "The Shawshank Redemption",
        1994,
        142,
        ["Drama"],
    )
    assert meta.plot == "A banker's story"
    assert (meta.rating, meta.votes, meta.poster_url) == (9.3, 3000000, "http://replica/images/x.jpg")
    with pytest.raises(LayoutChanged, match=r"ld\+json\.name"):
        parse_title_json_ld([{"@type": "BreadcrumbList"}], "tt0111161")


def _page_item(**review: object) -> dict[str, object]:
    base = {
        "reviewId": "rw6606154",
        "authorRating": 10,
        "author": {"username": {"text": "Sleepin_Dragon"}, "userId": "ur0001"},
        "reviewSummary": "An incredible movie. One that lives with you.",
        "reviewText": "It is no wonder&#39;<br/><br/>The ultimate story",
        "submissionDate": "2021-02-20",
        "helpfulnessVotes": {"upVotes": 1234, "downVotes": 56},
        "spoiler": False,
    }
    base.update(review)
    return {"titleId": "tt0111161", "review": base}


def test_reviews_page_items_parse_exactly() -> None:
    doc = {
        "props": {
            "pageProps": {
                "contentData": {
                    "reviews": [
                        _page_item(),
                        _page_item(reviewId="rw2", authorRating=None, spoiler=True),
                        _page_item(reviewId="rw3", authorRating=0),  # not on IMDb's 1-10 scale
                    ],
                    "pageInfo": {"endCursor": "abc", "hasNextPage": True},
                    "reviewCount": 11913,
                }
            }
        }
    }
    page = parse_reviews_page(doc, "tt0111161")
    first, second, third = page.reviews
    assert (page.end_cursor, page.has_next_page, page.total) == ("abc", True, 11913)
    assert first.text == "It is no wonder'\n\nThe ultimate story"
    assert (first.rating, first.helpful_up, first.helpful_down, first.submitted_at) == (
        10,
        1234,
        56,
        date(2021, 2, 20),
    )
    assert (second.rating, second.spoiler, second.author_id) == (None, True, "ur0001")
    assert third.rating is None


def test_reviews_page_missing_vote_count_names_the_item() -> None:
    item = _page_item(helpfulnessVotes={"upVotes": 3})
    doc = {"props": {"pageProps": {"contentData": {"reviews": [item], "pageInfo": {"hasNextPage": False}}}}}
    with pytest.raises(LayoutChanged) as caught:
        parse_reviews_page(doc, "tt0111161")
    assert caught.value.path == "props.pageProps.contentData.reviews[0].review.helpfulnessVotes.downVotes"


def test_graphql_page_requires_the_reviews_connection() -> None:
    node = {
        "id": "rw1",
        "author": {"username": {"text": "a &amp; b"}, "userId": "ur1"},
        "authorRating": 3,
        "summary": {"originalText": "Tom &amp; Jerry"},
        "text": {"originalText": {"plaidHtml": "x<br/>y"}},
        "submissionDate": "2025-03-25",
        "helpfulness": {"upVotes": 0, "downVotes": 2},
        "spoiler": False,
    }
    payload = {
        "data": {
            "title": {"reviews": {"total": 1, "pageInfo": {"hasNextPage": False}, "edges": [{"node": node}]}}
        }
    }
    page = parse_reviews_graphql(payload, "tt1")
    assert (
        page.reviews[0].title == "Tom & Jerry"
        and page.reviews[0].text == "x\ny"
        and page.reviews[0].author == "a & b"
    )
    assert (page.has_next_page, page.end_cursor, page.total) == (False, None, 1)
    with pytest.raises(LayoutChanged) as caught:
        parse_reviews_graphql({"data": {"title": {"userReviews": {}}}}, "tt1")
    assert caught.value.path == "data.title.reviews"
    with pytest.raises(LayoutChanged, match=r"pageInfo\.endCursor"):
        parse_reviews_graphql(
            {"data": {"title": {"reviews": {"pageInfo": {"hasNextPage": True}, "edges": []}}}}, "tt1"
        )


def test_suggestions_keep_titles_only() -> None:
    payload = {
        "d": [
            {"id": "tt0133093", "l": "The Matrix", "q": "feature", "qid": "movie", "y": 1999},
            {"id": "nm0000206", "l": "Keanu Reeves", "s": "Actor"},
            {"id": "tt0106062", "l": "Matrix", "qid": "tvSeries", "y": 1993},
        ],
        "q": "matrix",
        "v": 1,
    }
    assert parse_suggestions(payload) == [
        TitleSuggestion("tt0133093", "The Matrix", 1999, "movie"),
        TitleSuggestion("tt0106062", "Matrix", 1993, "tvSeries"),
    ]
    assert parse_suggestions({"q": "zzzz", "v": 1}) == []
    assert suggestion_url("https://v3.sg.media-imdb.com/", "Snow White") == (
        "https://v3.sg.media-imdb.com/suggestion/x/snow%20white.json"
    )


SNOW_1937 = TitleSuggestion("tt0029583", "Snow White and the Seven Dwarfs", 1937, "movie")
SNOW_2025 = TitleSuggestion("tt6208148", "Snow White", 2025, "movie")
SNOW_SERIES = TitleSuggestion("tt9999999", "Snow White", 2030, "tvSeries")


def test_best_movie_match() -> None:
    suggestions = [SNOW_2025, SNOW_1937, SNOW_SERIES]
    assert best_movie_match("snow white", suggestions) == SNOW_2025  # the one movie titled exactly so
    assert best_movie_match("Snow White 1937", suggestions) == SNOW_1937
    assert best_movie_match("snow white (1937)", suggestions) == SNOW_1937
    assert best_movie_match("snow", suggestions) == [SNOW_2025, SNOW_1937]  # ambiguous: both movies
    assert best_movie_match("snow white 1999", suggestions) == []
    assert (
        best_movie_match("Citizen Kane", [TitleSuggestion("tt0033467", "Citizen Kane", 1941, "movie")]).year
        == 1941
    )
    remake = TitleSuggestion("tt0000002", "Snow White", 2012, "movie")
    assert best_movie_match("snow white", [SNOW_2025, remake]) == [SNOW_2025, remake]
    matrix = [TitleSuggestion("tt0133093", "The Matrix", 1999, "movie")]
    assert (
        best_movie_match(
            "matrix", [*matrix, TitleSuggestion("tt0234215", "The Matrix Reloaded", 2003, "movie")]
        )
        == matrix[0]
    )


def test_a_number_ending_a_title_is_not_taken_for_a_year() -> None:
    sequel = TitleSuggestion("tt1856101", "Blade Runner 2049", 2017, "movie")
    original = TitleSuggestion("tt0083658", "Blade Runner", 1982, "movie")
    assert best_movie_match("Blade Runner 2049", [sequel, original]) == sequel
    assert best_movie_match("blade runner 1982", [sequel, original]) == original
    assert best_movie_match("1917", [TitleSuggestion("tt8579674", "1917", 2019, "movie")]).year == 2019


def test_a_single_movie_titled_otherwise_is_only_a_candidate() -> None:
    series = TitleSuggestion("tt0903747", "Breaking Bad", 2008, "tvSeries")
    spin_off = TitleSuggestion("tt9243946", "El Camino: A Breaking Bad Movie", 2019, "movie")
    assert best_movie_match("breaking bad", [series, spin_off]) == [spin_off]


def test_token_bucket_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        bucket.acquire()
    assert slept == pytest.approx([0.5, 0.5, 0.5, 0.5])
    now[0] += 10  # a long pause refills one token only (burst 1)
    bucket.acquire()
    bucket.acquire()
    assert slept[-1] == pytest.approx(0.5) and len(slept) == 5


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    backoff = Backoff(1.0, 8.0)
    for attempt, ceiling in enumerate([1, 2, 4, 8, 8, 8]):
        assert ceiling / 2 <= backoff.delay(attempt) <= ceiling
    assert backoff.delay(0, retry_after=5.0) >= 5.0
    assert (parse_retry_after("3"), parse_retry_after(None), parse_retry_after("Wed, 21 Oct 2015")) == (
        3.0,
        None,
        None,
    )


def test_seen_ids_deduplicates_numeric_and_other_ids() -> None:
    seen = SeenIds()
    assert [seen.add(i) for i in ["rw10", "rw9", "rw10", "rwX", "rwX", "rw9", "rw0010"]] == [
        True,
        True,
        False,
        True,
        False,
        False,
        False,
    ]


def test_persisted_query_is_replayed_with_new_cursor_sort_and_size() -> None:
    variables = {
        "after": "c1",
        "const": "tt1",
        "filter": {},
        "first": 25,
        "locale": "en-US",
        "sort": {"by": "X"},
    }
    extensions = {"persistedQuery": {"sha256Hash": "abc", "version": 1}}
    body = json.dumps(
        {"operationName": "TitleReviewsRefine", "variables": variables, "extensions": extensions}
    )
    headers = {
        "content-type": "application/json",
        "x-imdb-client-name": "imdb-web-next",
        "referer": "http://x/",
    }
    query = PersistedQuery.from_request("POST", "https://caching.graphql.imdb.com/", headers, body)
    assert query is not None and (query.sha256_hash, query.after) == ("abc", "c1")
    request = query.page_request("c9")
    sent = json.loads(request.body or "")
    assert sent["variables"] == {
        **variables,
        "after": "c9",
        "first": 50,
        "sort": {"by": "SUBMISSION_DATE", "order": "DESC"},
    }
    assert sent["extensions"] == extensions and request.headers == {
        "content-type": "application/json",
        "x-imdb-client-name": "imdb-web-next",
    }
    from urllib.parse import urlencode

    get_url = "https://caching.graphql.imdb.com/?" + urlencode(
        {
            "operationName": "TitleReviewsRefine",
            "variables": json.dumps(variables),
            "extensions": json.dumps(extensions),
        }
    )
    as_get = PersistedQuery.from_request("GET", get_url, {}, None)
    assert as_get is not None and as_get.page_request("c2", 10).url.startswith(
        "https://caching.graphql.imdb.com/?"
    )
    assert (
        PersistedQuery.from_request("POST", "https://x/", {}, json.dumps({"operationName": "Other"})) is None
    )


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "http://exa mple.com",
        "http://-imdb-.com",
        "ftp://www.imdb.com",
        "http://:80",
        "http://x.com:99999",
    ],
)
def test_urls_that_cannot_be_loaded_are_rejected_before_any_browser(url: str) -> None:
    with pytest.raises(InvalidUrl, match=f"^IMDb base URL {re.escape(repr(url))} is not an http"):
        ImdbBrowser(url)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.imdb.com/", "https://www.imdb.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_site_urls_keep_their_form(url: str, kept: str) -> None:
    assert check_site_url(url) == kept


def test_budgeted_hosts_are_the_sites_own() -> None:
    prod = imdb_host_matcher("https://www.imdb.com", "https://v3.sg.media-imdb.com")
    assert all(map(prod, ["www.imdb.com", "imdb.com", "caching.graphql.imdb.com", "v3.sg.media-imdb.com"]))
    assert not any(map(prod, ["m.media-amazon.com", "notimdb.com", "fls-na.amazon.com"]))
    replica = imdb_host_matcher("http://127.0.0.1:8765")
    assert replica("127.0.0.1") and not replica("localhost")


class _PagedSession:
    """A browser session whose reviews page (25 reviews, 60 announced, cursor ``C1``) comes from the
    replica's renderer and whose GraphQL answers come from ``answer(after)``; no browser."""

    timeout_ms = 1000

    def __init__(self, answer: Callable[[str], dict]) -> None:
        first = [_stored(n) for n in range(25)]
        self.html = reviews_page(
            _MOVIE, first, 60, "C1", True, "https://www.imdb.com", sort={}, query_hash="h", renamed=False
        )
        self.answer = answer
        self.requests = 0

    def new_page(self) -> object:
        return object()

    def close_page(self, page: object) -> None:
        pass

    def open_document(self, page: object, url: str, movie_id: str | None = None) -> Document:
        return Document.from_html(self.html, url)

    def fetch_text(self, page: object, request: Any, refresh_url: str) -> str:
        self.requests += 1
        assert self.requests <= 20, "the scrape keeps following IMDb's cursors"
        return json.dumps(self.answer(json.loads(request.body)["variables"]["after"]))

    def scrape(self) -> ReviewScrape:
        """A scrape of the movie whose "25 more" request is known (no click to capture it)."""
        scrape = ReviewScrape(self, _MOVIE.movie_id, "https://www.imdb.com/title/tt12345678/reviews/")  # type: ignore[arg-type]
        query = PersistedQuery(
            "https://caching.graphql.imdb.com/",
            "POST",
            {},
            {"const": _MOVIE.movie_id, "after": "X"},
            {"persistedQuery": {"sha256Hash": "h", "version": 1}},
        )
        scrape._learn_query = lambda page: (query, None)  # type: ignore[method-assign]
        return scrape


_MOVIE = StoredMovie("tt12345678", "T", "T", 2024, 97, ["Drama"], "p", 6.4, 1234, None, 55, date(2024, 6, 1))


def _stored(number: int) -> StoredReview:
    return StoredReview(
        f"rw{1_000_000 + number}", _MOVIE.movie_id, "a", "ur1", 7, "s", "t", date(2024, 6, 2), 1, 0, False
    )


def _answer(numbers: range, cursor: str) -> dict:
    """A GraphQL page of the reviews ``numbers`` that says more follow after ``cursor``."""
    edges = [{"node": graphql_node(_stored(n))} for n in numbers]
    page_info = {"endCursor": cursor, "hasNextPage": True}
    return {"data": {"title": {"reviews": {"total": 60, "pageInfo": page_info, "edges": edges}}}}


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(
            lambda after: _answer(range(25, 50), "C1"), "lead back to a page already read", id="stuck"
        ),
        pytest.param(
            lambda after: _answer(range(25, 50), "C2") if after == "C1" else _answer(range(50, 60), "C1"),
            "lead back to a page already read",
            id="cycle",
        ),
        pytest.param(lambda after: _answer(range(0), f"{after}+"), "3 review pages in a row", id="empty"),
        pytest.param(lambda after: _answer(range(25), f"{after}+"), "3 review pages in a row", id="repeats"),
    ],
)
def test_review_pages_that_go_nowhere_end_the_scrape_with_an_error(
    answer: Callable[[str], dict], message: str
) -> None:
    session = _PagedSession(answer)
    scrape = session.scrape()
    read: list[str] = []
    with pytest.raises(ServerError, match=message):
        for batch in scrape:
            read += [review.review_id for review in batch]
    # What was read is kept (each page is stored as it comes), never twice, and not called complete.
    assert len(read) == len(set(read)) == scrape.scraped >= 25 and not scrape.complete
    assert session.requests <= 3


def test_a_graphql_error_without_usable_data_is_imdbs_message_not_a_layout_change() -> None:
    session = _PagedSession(
        lambda after: {"errors": [{"message": "Internal error"}], "data": {"title": None}}
    )
    with pytest.raises(ServerError, match="Internal error"):
        list(session.scrape())


@pytest.mark.parametrize(
    ("later_date", "newest_first"), [(date(2024, 6, 1), True), (date(2024, 6, 3), False)]
)
def test_a_review_newer_than_the_one_before_it_shows_the_order_was_not_honoured(
    later_date: date, newest_first: bool
) -> None:
    """The first page's reviews are of 2024-06-02; the second page's of ``later_date``."""

    def answer(after: str) -> dict:
        edges = [{"node": graphql_node(replace(_stored(n), submitted_at=later_date))} for n in range(25, 60)]
        last_page = {"total": 60, "pageInfo": {"endCursor": None, "hasNextPage": False}, "edges": edges}
        return {"data": {"title": {"reviews": last_page}}}

    scrape = _PagedSession(answer).scrape()
    assert sum(len(batch) for batch in scrape) == 60 and scrape.complete
    assert scrape.newest_first is newest_first
