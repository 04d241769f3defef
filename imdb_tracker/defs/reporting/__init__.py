"""Reporting: the materialized aggregates the Superset dashboards read, and their refresh."""
