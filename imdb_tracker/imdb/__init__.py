"""Fetching and parsing IMDb pages. Plain Python: knows nothing of Dagster or the database."""
