"""The Dagster layer: one folder per domain, loaded by ``imdb_tracker.definitions``.

- ``movies/``: the per-movie assets (metadata, reviews, sentiments), their checks and automation;
- ``backups/``: the database dump and the per-movie Parquet export, and their schedule;
- ``reporting/``: the dashboards' materialized aggregates and their refresh;
- ``resources.py``: the resources, built from the settings in one function;
- ``partitions.py``, ``policies.py``: what the domains share.

Modules here only wire the plain-Python core (``imdb``, ``sentiment``, ``db``, ``backup``,
``superset_client``) into Dagster objects.
"""
