"""HTML and JSON the replica serves, shaped like IMDb's pages (see shared/imdb/STRUCTURE.md)."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from imdb_tracker_dev.replica.data import StoredMovie, StoredReview

REVIEWS_JS = (Path(__file__).parent / "reviews_page.js").read_text(encoding="utf-8")
CHALLENGE_JS = (Path(__file__).parent / "challenge.js").read_text(encoding="utf-8")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def escape(text: str) -> str:
    """HTML-escape the way IMDb's review HTML does (``&#39;`` for apostrophes)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def review_html(text: str) -> str:
    """A review's plain text as IMDb's review HTML (escaped, newlines as ``<br/>``)."""
    return escape(text).replace("\n", "<br/>")


def entities(text: str) -> str:
    """Title-page text with the entities IMDb leaves in it (``&apos;``, ``&amp;``)."""
    return text.replace("&", "&amp;").replace("'", "&apos;")


def compact_count(n: int) -> str:
    """Vote count as the page shows it: ``999``, ``1.2K``, ``12K``, ``123K``, ``1.2M``."""
    if n < 1000:
        return str(n)
    value, suffix = (n / 1e6, "M") if n >= 1_000_000 else (n / 1e3, "K")
    shown = f"{value:.0f}" if value >= 100 else f"{float(f'{value:.2g}'):g}"
    return f"{shown}{suffix}"


def display_date(day: date) -> str:
    """``Mar 25, 2025``."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def script_json(value: Any) -> str:
    """JSON safe to embed in a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def poster_url(base_url: str, movie_id: str) -> str:
    """Absolute URL of the replica's poster for a movie."""
    return f"{base_url}/images/{movie_id}.jpg"


def poster_png(movie_id: str) -> bytes:
    """A small solid-colour 60x90 PNG with a lighter band, coloured from the movie id."""
    seed = int(movie_id[2:]) if movie_id[2:].isdigit() else 0
    colour = bytes(((seed * 37) % 200 + 30, (seed * 91) % 200 + 30, (seed * 53) % 200 + 30))
    light = bytes(min(255, c + 60) for c in colour)
    rows = b"".join(b"\x00" + (light if 35 <= y < 55 else colour) * 60 for y in range(90))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", 60, 90, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"{head}</head><body>{body}</body></html>"
    )


def _next_data(page: str, movie_id: str, page_props: dict[str, Any], base_url: str) -> str:
    document = {
        "props": {"pageProps": {"tconst": movie_id, **page_props}, "__N_SSP": True},
        "page": page,
        "query": {"tconst": movie_id},
        "buildId": "replica",
        "assetPrefix": base_url,
        "runtimeConfig": {
            "cachedGraphQLEndpoint": f"{base_url}/graphql",
            "graphQLEndpoint": f"{base_url}/graphql",
        },
        "isFallback": False,
        "gssp": True,
        "locale": "en-US",
    }
    return f'<script id="__NEXT_DATA__" type="application/json">{script_json(document)}</script>'


def _entity_metadata(movie: StoredMovie, base_url: str) -> dict[str, Any]:
    return {
        "id": movie.movie_id,
        "titleText": {"text": entities(movie.title)},
        "originalTitleText": {"text": entities(movie.original_title)},
        "releaseYear": {"year": movie.year, "endYear": None},
        "titleType": {"id": "movie", "text": "Movie", "isSeries": False, "isEpisode": False},
        "ratingsSummary": {"aggregateRating": movie.rating, "voteCount": movie.votes},
        "primaryImage": {"url": poster_url(base_url, movie.movie_id), "width": 60, "height": 90},
    }


def title_page(
    movie: StoredMovie, review_total: int, base_url: str, *, next_data: bool, renamed: bool
) -> str:
    """``/title/{id}/``: hero HTML, JSON-LD and (unless disabled) ``__NEXT_DATA__``."""
    fold = {
        **_entity_metadata(movie, base_url),
        "runtime": {"seconds": movie.runtime_minutes * 60},
        "genres": {"genres": [{"text": g, "id": g} for g in movie.genres]},
        "plot": {"plotText": {"plainText": entities(movie.plot)}},
        "reviews": {"total": review_total},
        "criticReviewsTotal": {"total": 120},
        "metacritic": None if movie.metascore is None else {"metascore": {"score": movie.metascore}},
        "meterRanking": {
            "currentRank": movie.popularity,
            "rankChange": {"changeDirection": "UP", "difference": 3},
        },
    }
    main_column = {
        "reviews": {"total": review_total},
        "releaseDate": {
            "year": movie.release_date.year,
            "month": movie.release_date.month,
            "day": movie.release_date.day,
            "country": {"text": "United States", "id": "US"},
        },
    }
    json_ld = {
        "@context": "https://schema.org",
        "@type": "Movie",
        "url": f"{base_url}/title/{movie.movie_id}/",
        "name": entities(movie.title),
        "image": poster_url(base_url, movie.movie_id),
        "description": entities(movie.plot),
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingCount": movie.votes,
            "bestRating": 10,
            "worstRating": 1,
            "ratingValue": movie.rating,
        },
        "genre": movie.genres,
        "datePublished": movie.release_date.isoformat(),
        "duration": f"PT{movie.runtime_minutes // 60}H{movie.runtime_minutes % 60}M",
    }
    head = f'<script type="application/ld+json">{script_json(json_ld)}</script>'
    body = (
        f'<section data-testid="hero-parent"><h1 data-testid="hero__pageTitle">'
        f'<span class="hero__primary-text">{escape(movie.title)}</span></h1>'
        f'<img class="ipc-image" alt="{escape(movie.title)}" src="{poster_url(base_url, movie.movie_id)}">'
        f'<span data-testid="plot-xl">{escape(movie.plot)}</span>'
        f'<a href="/title/{movie.movie_id}/reviews/">{review_total:,} User reviews</a></section>'
    )
    if next_data:
        props = {"heroData" if renamed else "aboveTheFoldData": fold, "mainColumnData": main_column}
        body += _next_data("/title/[tconst]", movie.movie_id, props, base_url)
    return _page(f"{movie.title} ({movie.year}) - IMDb", body, head)


def page_review_item(review: StoredReview, movie: StoredMovie) -> dict[str, Any]:
    """One ``contentData.reviews[]`` entry of the reviews page."""
    return {
        "titleId": movie.movie_id,
        "titleText": entities(movie.title),
        "isTopReview": False,
        "review": {
            "reviewId": review.review_id,
            "authorRating": review.rating,
            "author": {"username": {"text": review.author}, "userId": review.author_id},
            "reviewSummary": escape(review.title),
            "reviewText": review_html(review.text),
            "submissionDate": review.submitted_at.isoformat(),
            "helpfulnessVotes": {"upVotes": review.helpful_up, "downVotes": review.helpful_down},
            "spoiler": review.spoiler,
        },
    }


def graphql_node(review: StoredReview) -> dict[str, Any]:
    """One ``data.title.reviews.edges[].node`` of the ``TitleReviewsRefine`` answer."""
    return {
        "id": review.review_id,
        "author": {
            "username": {"text": review.author},
            "userId": review.author_id,
            "__typename": "UserProfile",
        },
        "authorRating": review.rating,
        "summary": {"originalText": escape(review.title), "__typename": "ReviewSummary"},
        "text": {"originalText": {"plaidHtml": review_html(review.text)}, "__typename": "ReviewText"},
        "submissionDate": review.submitted_at.isoformat(),
        "helpfulness": {"upVotes": review.helpful_up, "downVotes": review.helpful_down},
        "spoiler": review.spoiler,
        "__typename": "Review",
    }


def review_card(review: StoredReview) -> str:
    """``article.user-review-item`` as IMDb renders it (vote counts rounded); mirrored in reviews_page.js."""
    rating = (
        f'<span aria-label="IMDb rating: {review.rating}" class="ipc-rating-star review-rating">'
        f'<span class="ipc-rating-star--rating">{review.rating}</span>'
        f'<span class="ipc-rating-star--maxRating">/10</span></span>'
        if review.rating is not None
        else ""
    )
    spoiler = (
        '<div class="ipc-signpost review-spoiler-signpost">Spoiler</div>'
        '<button class="ipc-btn review-spoiler-button" type="button">Spoiler</button>'
        if review.spoiler
        else ""
    )
    hidden = ' style="display:none"' if review.spoiler else ""
    return (
        f'<article class="sc-review-card user-review-item" data-testid="review-card-parent" '
        f'data-review-id="{review.review_id}"><div class="ipc-list-card ipc-list-card--base">'
        f'<div class="ipc-list-card__content">{rating}'
        f'<div class="ipc-title" data-testid="review-summary"><a class="ipc-title-link-wrapper" '
        f'href="/review/{review.review_id}/"><h3 class="ipc-title__text">{escape(review.title)}</h3>'
        f'</a></div>{spoiler}<div data-testid="review-overflow"{hidden}>'
        f'<div class="ipc-html-content ipc-html-content--base"><div class="ipc-html-content-inner-div" '
        f'role="presentation">{review_html(review.text)}</div></div></div>'
        f'</div><div class="ipc-list-card__actions"><ul class="ipc-inline-list" data-testid="reviews-author">'
        f'<li class="ipc-inline-list__item"><a data-testid="author-link" href="/user/{review.author_id}/">'
        f'{escape(review.author)}</a></li><li class="ipc-inline-list__item review-date">'
        f"{display_date(review.submitted_at)}</li></ul>"
        f'<div class="ipc-voting"><span class="ipc-voting__label__count ipc-voting__label__count--up">'
        f"{compact_count(review.helpful_up)}</span>"
        f'<span class="ipc-voting__label__count ipc-voting__label__count--down">'
        f"{compact_count(review.helpful_down)}</span></div></div></div></article>"
    )


def reviews_page(
    movie: StoredMovie,
    first_page: list[StoredReview],
    total: int,
    end_cursor: str | None,
    has_next_page: bool,
    base_url: str,
    *,
    sort: dict[str, str],
    query_hash: str,
    renamed: bool,
) -> str:
    """``/title/{id}/reviews/``: cards, total, pagination buttons, ``__NEXT_DATA__`` and page script."""
    script = REVIEWS_JS.replace("__QUERY_HASH__", query_hash).replace("__SORT__", json.dumps(sort))
    content = {
        "entityMetadata": _entity_metadata(movie, base_url),
        "reviews": [page_review_item(r, movie) for r in first_page],
        "pageInfo": {"endCursor": end_cursor, "hasNextPage": has_next_page},
        "reviewCount": total,
    }
    pagination = (
        '<div data-testid="tturv-pagination" class="sc-pagination">'
        '<span class="ipc-see-more"><button class="ipc-btn ipc-see-more__button" data-action="more" '
        'type="button"><span class="ipc-btn__text"><span class="ipc-see-more__text">25 more</span></span>'
        '</button></span><span class="ipc-see-more"><button class="ipc-btn ipc-see-more__button" '
        'data-action="all" type="button"><span class="ipc-btn__text"><span class="ipc-see-more__text">All'
        "</span></span></button></span></div>"
        if has_next_page
        else ""
    )
    body = (
        f'<main><section class="ipc-page-section"><h1>{escape(movie.title)}</h1><h2>User reviews</h2>'
        f'<div data-testid="tturv-total-reviews">{total:,} reviews</div>'
        f'<div data-testid="tturv-review-list">{"".join(review_card(r) for r in first_page)}</div>'
        f"{pagination}</section></main>"
        + _next_data(
            "/title/[tconst]/reviews",
            movie.movie_id,
            {"mainContentData" if renamed else "contentData": content},
            base_url,
        )
        + f"<script>{script}</script>"
    )
    return _page(f"{movie.title} ({movie.year}) - User reviews - IMDb", body)


def sign_in_page(movie: StoredMovie, base_url: str) -> str:
    """The reviews page as shown to signed-out visitors while IMDb requires an account."""
    body = (
        f"<main><h1>{escape(movie.title)}</h1><h2>User reviews</h2>"
        '<section data-testid="reviews-sign-in-card" class="ipc-page-section">'
        '<p>Sign in to see user reviews</p><a href="/registration/signin/">Sign in</a></section></main>'
        + _next_data(
            "/title/[tconst]/reviews",
            movie.movie_id,
            {"contentData": {"entityMetadata": _entity_metadata(movie, base_url)}},
            base_url,
        )
    )
    return _page(f"{movie.title} - User reviews - IMDb", body)


def not_found_page() -> str:
    """IMDb's 404 page."""
    return _page("404 Error - IMDb", "<main><h1>404 Error</h1><p>The requested URL was not found.</p></main>")


def challenge_page(key: str) -> str:
    """AWS WAF's JavaScript interstitial (answered with status 202)."""
    goku = {"key": key, "iv": key[:16], "context": "replica"}
    head = (
        f'<script>window.gokuProps = {script_json(goku)};</script><script src="/challenge.js" defer></script>'
    )
    body = '<div id="challenge-container"></div><noscript>JavaScript is disabled</noscript>'
    return _page("", body, head)


def suggestion_hit(movie: StoredMovie, base_url: str) -> dict[str, Any]:
    """One ``d[]`` entry of the suggestion endpoint."""
    return {
        "i": {"height": 90, "imageUrl": poster_url(base_url, movie.movie_id), "width": 60},
        "id": movie.movie_id,
        "l": movie.title,
        "q": "feature",
        "qid": "movie",
        "rank": movie.popularity,
        "s": "",
        "y": movie.year,
    }
