"""imdb-tracker: track how movies are received on IMDb (metadata, reviews, aspect sentiments)."""

__version__ = "0.1.0"
