"""Fetching and parsing IMDb pages. Plain Python: knows nothing of Dagster or the database."""

from imdb_tracker.imdb.browser import ImdbBrowser
from imdb_tracker.imdb.reviews import ReviewScrape
from imdb_tracker.imdb.search import best_movie_match

__all__ = ["ImdbBrowser", "ReviewScrape", "best_movie_match"]
