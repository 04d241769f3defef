# The pipeline image: the Dagster code server (runs execute here), webserver, daemon and CLI.
# Debian's Chromium drives Playwright (Playwright's own browser download is not used), and the
# PostgreSQL client programs (pg_dump/pg_restore) come from Debian: 17 on trixie, so the
# compose `postgres` service runs PostgreSQL 17 (a pg_dump must be at least the server's version).
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    DAGSTER_HOME=/opt/dagster/home \
    IMDB_TRACKER_HOME=/var/lib/imdb-tracker

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-liberation postgresql-client tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/imdb-tracker
# Dependencies first, so a code change does not reinstall them.
COPY setup.py pyproject.toml ./
RUN mkdir imdb_tracker && touch imdb_tracker/__init__.py \
    && pip install . \
    && pip uninstall -y imdb-tracker \
    && rm -rf imdb_tracker build imdb_tracker.egg-info
# Editable install: the package stays in /opt/imdb-tracker next to superset/bundle, where
# `imdb-tracker superset provision` finds the dashboards (imdb_tracker/superset_client/bundle.py).
COPY imdb_tracker ./imdb_tracker
COPY superset/bundle ./superset/bundle
RUN pip install --no-deps -e .

# Dagster instance (PostgreSQL storage via IMDB_TRACKER_DAGSTER_PG_URL) and the gRPC workspace.
COPY dagster.yaml /opt/dagster/home/dagster.yaml
COPY deploy/workspace.docker.yaml /opt/dagster/workspace.yaml

RUN useradd --create-home --uid 1000 tracker \
    && mkdir -p /var/lib/imdb-tracker/backup \
    && chown -R tracker:tracker /var/lib/imdb-tracker /opt/dagster/home
USER tracker

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["imdb-tracker", "--help"]
