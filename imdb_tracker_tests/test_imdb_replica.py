"""The replica itself: IMDb-shaped HTML, the GraphQL contract and the page's "25 more"/"All" script."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import sync_playwright

from imdb_tracker.imdb.session import launch_chromium
from imdb_tracker_dev.replica import Replica
from imdb_tracker_dev.replica.render import compact_count
from imdb_tracker_dev.replica.server import decode_cursor, encode_cursor


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _graphql(replica: Replica, variables: dict, query_hash: str | None = None) -> dict:
    body = {
        "operationName": "TitleReviewsRefine",
        "variables": variables,
        "extensions": {"persistedQuery": {"sha256Hash": query_hash or replica.query_hash, "version": 1}},
    }
    request = urllib.request.Request(
        f"{replica.base_url}/graphql",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-imdb-client-name": "imdb-web-next"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_compact_vote_counts_and_cursors() -> None:
    assert [compact_count(n) for n in (0, 999, 1000, 1234, 1250, 9960, 12345, 123456, 1_234_567)] == [
        "0",
        "999",
        "1K",
        "1.2K",
        "1.2K",
        "10K",
        "12K",
        "123K",
        "1.2M",
    ]
    assert decode_cursor(encode_cursor(175)) == 175 and decode_cursor(None) == 0


def test_reviews_page_html_is_imdb_shaped(imdb_replica: Replica) -> None:
    status, html = _get(f"{imdb_replica.base_url}/title/tt6208148/reviews/?sort=submission_date&dir=desc")
    assert status == 200
    markup = html.split('<script id="__NEXT_DATA__"')[0]  # the page script holds a card template too
    assert len(re.findall(r'<article class="[^"]*\buser-review-item\b', markup)) == 25
    assert '<div data-testid="tturv-total-reviews">2,027 reviews</div>' in html
    assert re.search(r'data-testid="tturv-pagination".*25 more.*All', html)
    next_data = json.loads(re.search(r'<script id="__NEXT_DATA__"[^>]*>(.*?)</script>', html).group(1))
    content = next_data["props"]["pageProps"]["contentData"]
    newest = imdb_replica.expected_reviews("tt6208148")[:25]
    assert [item["review"]["reviewId"] for item in content["reviews"]] == [r.review_id for r in newest]
    assert content["reviewCount"] == 2027 and content["pageInfo"]["hasNextPage"] is True
    assert _get(f"{imdb_replica.base_url}/title/tt0000001/reviews/")[0] == 404


def test_graphql_contract(imdb_replica: Replica) -> None:
    variables = {"const": "tt0029583", "first": 80, "sort": {"by": "SUBMISSION_DATE", "order": "DESC"}}
    answer = _graphql(imdb_replica, {**variables, "after": encode_cursor(400)})
    reviews = answer["data"]["title"]["reviews"]
    assert (
        reviews["total"] == 429
        and len(reviews["edges"]) == 29
        and reviews["pageInfo"]["hasNextPage"] is False
    )
    first = _graphql(imdb_replica, variables)["data"]["title"]["reviews"]
    assert len(first["edges"]) == 50  # "first" is capped at 50
    node = first["edges"][0]["node"]
    assert set(node) >= {
        "id",
        "author",
        "authorRating",
        "summary",
        "text",
        "submissionDate",
        "helpfulness",
        "spoiler",
    }
    stale = _graphql(imdb_replica, variables, query_hash="0" * 64)
    assert stale == {
        "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    }


def test_page_buttons_append_cards_like_imdb(imdb_replica: Replica) -> None:
    expected = imdb_replica.expected_reviews("tt0029583")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(f"{imdb_replica.base_url}/title/tt0029583/reviews/?sort=submission_date&dir=desc")
        cards = page.locator("article.user-review-item")
        page.click('div[data-testid="tturv-pagination"] button:has-text("25 more")')
        cards.nth(49).wait_for(state="attached")
        page.click('div[data-testid="tturv-pagination"] button:has-text("All")')
        cards.nth(428).wait_for(state="attached")
        assert page.locator('div[data-testid="tturv-pagination"]').count() == 0
        ids = cards.evaluate_all("cards => cards.map(c => c.dataset.reviewId)")
        ups = page.locator(".ipc-voting__label__count--up").all_inner_texts()
        texts = page.locator("div.ipc-html-content-inner-div").all_inner_texts()
        browser.close()
    assert ids == [r.review_id for r in expected]
    assert ups == [compact_count(r.helpful_up) for r in expected]  # the DOM only has rounded votes
    plain = [i for i, r in enumerate(expected) if not r.spoiler and "  " not in r.text and "\n" in r.text]
    assert plain and all(texts[i] == expected[i].text for i in plain)  # <br/> rendered as line breaks
