"""A faithful local replica of IMDb (pages, GraphQL, suggestions, WAF, faults) for tests and demos."""

from imdb_tracker_dev.replica.data import author_id_for, is_spoiler, sample_reviews
from imdb_tracker_dev.replica.server import Fault, Replica, start_replica

__all__ = ["Fault", "Replica", "author_id_for", "is_spoiler", "sample_reviews", "start_replica"]
