"""Turn IMDb's page data (``__NEXT_DATA__``, JSON-LD, GraphQL answers) into model records.

Pure functions over parsed JSON: no browser, no network. Every required path goes through
:func:`require`, so a page IMDb has reshaped raises :class:`LayoutChanged` instead of producing
half-filled records.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin

from imdb_tracker.imdb.errors import LayoutChanged, TitleMoved
from imdb_tracker.imdb.jsonpath import lookup, require
from imdb_tracker.imdb.models import MovieMetadata, Review

TITLE_ROOT = "props.pageProps.aboveTheFoldData"
REVIEWS_ROOT = "props.pageProps.contentData"
GRAPHQL_ROOT = "data.title.reviews"

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


@dataclass(frozen=True)
class ReviewPage:
    """One page of reviews plus where the cursor chain goes next."""

    reviews: list[Review]
    end_cursor: str | None
    has_next_page: bool
    total: int | None


def html_to_text(fragment: str) -> str:
    """Plain text of an IMDb HTML fragment: ``<br>`` becomes a newline, other tags go, entities decode."""
    return html.unescape(_TAG.sub("", _BR.sub("\n", fragment)))


def _text(value: Any) -> str | None:
    """Entity-decoded text, or None for a missing/empty value."""
    return html.unescape(value) if isinstance(value, str) and value else None


def check_title_id(page_id: Any, movie_id: str) -> None:
    """Raise :class:`TitleMoved` when a page names a title id (``page_id``) other than ``movie_id``
    (IMDb redirects a merged title to the one kept); a page that names none passes."""
    if isinstance(page_id, str) and page_id.startswith("tt") and page_id != movie_id:
        raise TitleMoved(movie_id, page_id)


def _rating(value: Any) -> int | None:
    """A reviewer's rating: 1..10, else None."""
    rating = _int(value)
    return rating if rating is not None and 1 <= rating <= 10 else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def parse_title_next_data(next_data: dict[str, Any], movie_id: str, url: str = "") -> MovieMetadata:
    """Metadata from the title page ``__NEXT_DATA__`` (paths in STRUCTURE.md); raises
    :class:`TitleMoved` when the page is another title's."""
    fold = require(next_data, TITLE_ROOT, kind=dict, url=url)
    check_title_id(lookup(fold, "id"), movie_id)
    main = lookup(next_data, "props.pageProps.mainColumnData", {})
    title = html.unescape(require(fold, "titleText.text", kind=str, prefix=TITLE_ROOT, url=url))
    genres = lookup(fold, "genres.genres")
    if genres is not None:
        genre_names = [
            html.unescape(require(g, "text", kind=str, prefix=f"{TITLE_ROOT}.genres.genres[]"))
            for g in genres
        ]
    else:
        genre_names = [
            html.unescape(g["genre"]["text"])
            for g in lookup(fold, "titleGenres.genres", [])
            if isinstance(lookup(g, "genre.text"), str)
        ]
    runtime_s = _int(lookup(fold, "runtime.seconds"))
    poster = lookup(fold, "primaryImage.url")
    return MovieMetadata(
        movie_id=movie_id,
        title=title,
        original_title=_text(lookup(fold, "originalTitleText.text")),
        year=_int(lookup(fold, "releaseYear.year")),
        runtime_minutes=None if runtime_s is None else round(runtime_s / 60),
        genres=genre_names,
        plot=_text(lookup(fold, "plot.plotText.plainText")),
        poster_url=urljoin(url, poster) if isinstance(poster, str) else None,
        rating=_float(lookup(fold, "ratingsSummary.aggregateRating")),
        votes=_int(lookup(fold, "ratingsSummary.voteCount")),
        review_count=_int(lookup(fold, "reviews.total", lookup(main, "reviews.total"))),
        metascore=_int(
            lookup(fold, "metacritic.metascore.score", lookup(main, "metacritic.metascore.score"))
        ),
        popularity=_int(lookup(fold, "meterRanking.currentRank")),
    )


def _iso_minutes(duration: Any) -> int | None:
    match = _ISO_DURATION.match(duration) if isinstance(duration, str) else None
    if not match:
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return round(hours * 60 + minutes + seconds / 60)


def parse_title_json_ld(documents: list[Any], movie_id: str, url: str = "") -> MovieMetadata:
    """Metadata from the title page JSON-LD, used when ``__NEXT_DATA__`` is absent."""
    movie = next((d for d in documents if isinstance(d, dict) and "name" in d), None)
    if movie is None:
        raise LayoutChanged("ld+json.name", url)
    genres = movie.get("genre") or []
    published = movie.get("datePublished")
    image = movie.get("image")
    return MovieMetadata(
        movie_id=movie_id,
        title=html.unescape(require(movie, "name", kind=str, prefix="ld+json", url=url)),
        original_title=_text(movie.get("alternateName")) or _text(movie.get("name")),
        year=int(published[:4]) if isinstance(published, str) and published[:4].isdigit() else None,
        runtime_minutes=_iso_minutes(movie.get("duration")),
        genres=[html.unescape(g) for g in ([genres] if isinstance(genres, str) else genres)],
        plot=_text(movie.get("description")),
        poster_url=urljoin(url, image) if isinstance(image, str) else None,
        rating=_float(lookup(movie, "aggregateRating.ratingValue")),
        votes=_int(lookup(movie, "aggregateRating.ratingCount")),
    )


def _date(value: Any, path: str, url: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        raise LayoutChanged(f"{path} (not an ISO date: {value!r})", url) from None


def _review_from_page_item(item: Any, movie_id: str, where: str, url: str) -> Review:
    check_title_id(lookup(item, "titleId"), movie_id)
    review = require(item, "review", kind=dict, prefix=where, url=url)
    where = f"{where}.review"
    return Review(
        review_id=require(review, "reviewId", kind=str, prefix=where, url=url),
        movie_id=movie_id,
        author=html.unescape(require(review, "author.username.text", kind=str, prefix=where, url=url)),
        author_id=lookup(review, "author.userId"),
        rating=_rating(lookup(review, "authorRating")),
        title=_text(lookup(review, "reviewSummary")),
        text=html_to_text(require(review, "reviewText", kind=str, prefix=where, url=url)),
        submitted_at=_date(
            require(review, "submissionDate", prefix=where, url=url), f"{where}.submissionDate", url
        ),
        helpful_up=int(require(review, "helpfulnessVotes.upVotes", kind=int, prefix=where, url=url)),
        helpful_down=int(require(review, "helpfulnessVotes.downVotes", kind=int, prefix=where, url=url)),
        spoiler=bool(lookup(review, "spoiler", False)),
    )


def _review_from_node(node: Any, movie_id: str, where: str, url: str) -> Review:
    return Review(
        review_id=require(node, "id", kind=str, prefix=where, url=url),
        movie_id=movie_id,
        author=html.unescape(require(node, "author.username.text", kind=str, prefix=where, url=url)),
        author_id=lookup(node, "author.userId"),
        rating=_rating(lookup(node, "authorRating")),
        title=_text(lookup(node, "summary.originalText")),
        text=html_to_text(require(node, "text.originalText.plaidHtml", kind=str, prefix=where, url=url)),
        submitted_at=_date(
            require(node, "submissionDate", prefix=where, url=url), f"{where}.submissionDate", url
        ),
        helpful_up=int(require(node, "helpfulness.upVotes", kind=int, prefix=where, url=url)),
        helpful_down=int(require(node, "helpfulness.downVotes", kind=int, prefix=where, url=url)),
        spoiler=bool(lookup(node, "spoiler", False)),
    )


def _page_info(container: dict[str, Any], prefix: str, url: str) -> tuple[str | None, bool]:
    has_next = require(container, "pageInfo.hasNextPage", kind=bool, prefix=prefix, url=url)
    cursor = lookup(container, "pageInfo.endCursor")
    if has_next and not isinstance(cursor, str):
        raise LayoutChanged(f"{prefix}.pageInfo.endCursor", url)
    return cursor, has_next


def parse_reviews_page(next_data: dict[str, Any], movie_id: str, url: str = "") -> ReviewPage:
    """The first page of reviews from the ``/reviews/`` page ``__NEXT_DATA__``."""
    content = require(next_data, REVIEWS_ROOT, kind=dict, url=url)
    items = require(content, "reviews", kind=list, prefix=REVIEWS_ROOT, url=url)
    reviews = [
        _review_from_page_item(item, movie_id, f"{REVIEWS_ROOT}.reviews[{i}]", url)
        for i, item in enumerate(items)
    ]
    cursor, has_next = _page_info(content, REVIEWS_ROOT, url)
    return ReviewPage(reviews, cursor, has_next, _int(content.get("reviewCount")))


def parse_reviews_graphql(payload: dict[str, Any], movie_id: str, url: str = "") -> ReviewPage:
    """A further page of reviews from a ``TitleReviewsRefine`` GraphQL answer."""
    connection = require(payload, GRAPHQL_ROOT, kind=dict, url=url)
    edges = require(connection, "edges", kind=list, prefix=GRAPHQL_ROOT, url=url)
    reviews = [
        _review_from_node(
            require(edge, "node", kind=dict, prefix=f"{GRAPHQL_ROOT}.edges[{i}]", url=url),
            movie_id,
            f"{GRAPHQL_ROOT}.edges[{i}].node",
            url,
        )
        for i, edge in enumerate(edges)
    ]
    cursor, has_next = _page_info(connection, GRAPHQL_ROOT, url)
    return ReviewPage(reviews, cursor, has_next, _int(connection.get("total")))


def graphql_error_messages(payload: Any) -> list[str]:
    """The ``errors[].message`` strings of a GraphQL answer (empty when there are none)."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors or []]
