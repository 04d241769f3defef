"""Superset over REST: provisioning the dashboards kept as code, and per-client access (RLS).

Plain Python (``requests``), no Dagster. Entry points for the CLI and the pipeline are in
:mod:`imdb_tracker.superset_client.service`, e.g. :func:`~.service.sync_client_access` after a
watchlist changed.
"""
