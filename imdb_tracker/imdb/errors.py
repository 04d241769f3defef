"""Exceptions raised by the IMDb client; each names one way a scrape can fail."""

from __future__ import annotations


class ImdbError(Exception):
    """Base class of every IMDb scraping failure."""


class InvalidMovieId(ImdbError, ValueError):
    """The user gave something that is not an IMDb title id or URL."""

    def __init__(self, ref: str, reason: str) -> None:
        super().__init__(f"invalid movie id {ref!r}: {reason}")
        self.ref = ref
        self.reason = reason


class MovieNotFound(ImdbError):
    """IMDb answered 404 for this title."""

    def __init__(self, movie_id: str) -> None:
        super().__init__(f"IMDb has no title {movie_id}")
        self.movie_id = movie_id


class TitleMoved(ImdbError):
    """IMDb answers a title id with the page of another title (titles merged or redirected)."""

    def __init__(self, movie_id: str, other_id: str) -> None:
        super().__init__(f"IMDb shows {other_id} for {movie_id} (merged or moved): track {other_id} instead")
        self.movie_id = movie_id
        self.other_id = other_id


class SignInRequired(ImdbError):
    """IMDb shows its sign-in card instead of the reviews."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"IMDb asks for a signed-in account at {url}. Sign in once in a browser, save the "
            "Playwright storage state (e.g. `playwright open --save-storage=imdb_state.json "
            "https://www.imdb.com`) and set IMDB_STORAGE_STATE to that file."
        )
        self.url = url


class LayoutChanged(ImdbError):
    """An expected element or JSON path is missing: IMDb changed its pages."""

    def __init__(self, path: str, url: str = "") -> None:
        where = f" at {url}" if url else ""
        super().__init__(f"IMDb page layout changed: {path} is missing{where}")
        self.path = path
        self.url = url


class RateLimited(ImdbError):
    """IMDb kept answering 429 after every retry."""


class ScrapeTimeout(ImdbError):
    """IMDb did not answer in time after every retry."""


class BrowserHung(ScrapeTimeout):
    """A call into the browser did not return within its bound; the browser was stopped."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"the browser did not finish {what} within {seconds:g} s and was stopped")
        self.what = what
        self.seconds = seconds


class InvalidUrl(ImdbError, ValueError):
    """A URL the client was given cannot be loaded at all (no retry will change that)."""


class ServerError(ImdbError):
    """IMDb kept answering 5xx after every retry."""


class ImdbUnreachable(ImdbError):
    """IMDb (or the configured base URL) could not be reached at all after every retry."""
