"""Clients: each client's Superset access kept equal to its watchlist, and drift repaired."""
