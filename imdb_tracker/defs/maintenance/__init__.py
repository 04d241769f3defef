"""Upkeep of the Dagster instance itself: pruning the run history."""
