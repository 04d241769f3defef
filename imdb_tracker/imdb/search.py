"""Title search through IMDb's suggestion endpoint, and picking the movie a user meant."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from imdb_tracker.imdb.errors import LayoutChanged
from imdb_tracker.imdb.models import TitleSuggestion

MOVIE_KINDS = frozenset({"movie", "tvMovie"})
_ARTICLE = re.compile(r"^(?:the|a|an) ")
_YEAR = re.compile(r"[\s(]*\b(18[89]\d|19\d\d|20\d\d)\)?\s*$")


def suggestion_url(base: str, query: str) -> str:
    """``{base}/suggestion/x/{query}.json`` with the query lower-cased and URL-quoted."""
    return f"{base.rstrip('/')}/suggestion/x/{quote(query.strip().lower(), safe='')}.json"


def parse_suggestions(payload: Any, url: str = "") -> list[TitleSuggestion]:
    """Title hits (``tt`` ids only; names and other kinds of hit are dropped) of a suggestion answer."""
    if not isinstance(payload, dict):
        raise LayoutChanged("suggestion answer (not a JSON object)", url)
    hits = payload.get("d") or []  # IMDb leaves "d" out when nothing matches
    if not isinstance(hits, list):
        raise LayoutChanged("d (unexpected type)", url)
    suggestions = []
    for hit in hits:
        movie_id = hit.get("id") if isinstance(hit, dict) else None
        if not (isinstance(movie_id, str) and movie_id.startswith("tt") and isinstance(hit.get("l"), str)):
            continue
        year = hit.get("y")
        suggestions.append(
            TitleSuggestion(
                movie_id=movie_id,
                title=html.unescape(hit["l"]),
                year=year if isinstance(year, int) else None,
                kind=hit.get("qid"),
            )
        )
    return suggestions


def _normalise(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title.casefold())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split())


def _same_title(title: str, wanted: str) -> bool:
    """Equal ignoring case, accents, punctuation and a leading article (``matrix`` = ``The Matrix``)."""
    return _ARTICLE.sub("", _normalise(title)) == _ARTICLE.sub("", wanted)


def best_movie_match(
    query: str, suggestions: list[TitleSuggestion]
) -> TitleSuggestion | list[TitleSuggestion]:
    """The one movie ``query`` clearly names, or the candidate movies when it does not.

    A trailing year (``Citizen Kane 1941`` or ``Citizen Kane (1941)``) restricts the candidates to
    that year, unless one movie is titled with the whole query (``Blade Runner 2049``, ``Wonder
    Woman 1984``). A clear match is the single movie whose title equals the query (ignoring case,
    accents, punctuation and a leading article), or the single movie of the year asked for.
    Otherwise the movies are returned (a single one whose title differs from the query, such as a
    spin-off that names it, is only a candidate; all suggestions when none is a movie; an empty
    list when nothing matched at all).
    """
    movies = [s for s in suggestions if s.kind in MOVIE_KINDS]
    year_match = _YEAR.search(query)
    wanted_year = int(year_match.group(1)) if year_match and year_match.start() > 0 else None
    wanted_title = _normalise(query)
    if year_match and wanted_year is not None:
        titled = [s for s in movies if _same_title(s.title, wanted_title)]
        if len(titled) == 1:  # the number is part of the title
            return titled[0]
        movies = [s for s in movies if s.year == wanted_year]
        if len(movies) == 1:
            return movies[0]
        wanted_title = _normalise(query[: year_match.start()])
    exact = [s for s in movies if _same_title(s.title, wanted_title)]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return exact
    return movies if movies or wanted_year is not None else list(suggestions)
