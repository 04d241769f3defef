# The pipeline image: the Dagster code server (runs execute here, or in containers of their own with
# the DockerRunLauncher overlay), webserver, daemon and CLI. Debian's Chromium drives Playwright
# (Playwright's own browser download is not used; its bundled node needs libatomic1), and the
# PostgreSQL client programs (pg_dump/pg_restore) come from Debian: 17 on trixie, so the compose
# `postgres` service runs PostgreSQL 17 (a pg_dump must be at least the server's version).
#
# BASE_IMAGE: any Debian with python3 and its venv module (CI builds from a debootstrap root, see
# deploy/ci/README.md). The package is installed from a wheel built in the first stage.
ARG BASE_IMAGE=python:3.11-slim-trixie

FROM ${BASE_IMAGE} AS wheel
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --no-cache-dir -q "setuptools>=68" wheel
COPY setup.py pyproject.toml /src/
COPY imdb_tracker /src/imdb_tracker
COPY imdb_tracker_dev /src/imdb_tracker_dev
COPY superset/bundle /src/superset/bundle
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation -w /wheels /src

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home \
    IMDB_TRACKER_HOME=/var/lib/imdb-tracker

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-liberation libatomic1 postgresql-client tini curl \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (from setup.py alone), so a code change does not reinstall them.
COPY setup.py pyproject.toml /tmp/deps/
RUN python3 -m venv /opt/venv \
    && mkdir -p /tmp/deps/imdb_tracker /tmp/deps/imdb_tracker_dev /tmp/deps/superset/bundle \
    && touch /tmp/deps/imdb_tracker/__init__.py /tmp/deps/imdb_tracker_dev/__init__.py \
    && pip install '/tmp/deps[docker]' \
    && pip uninstall -y imdb-tracker \
    && rm -rf /tmp/deps
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

# Dagster instance (the package's dagster.yaml: storage resolved from DB_* like the CLI's) and the
# gRPC workspace of the compose file; the DockerRunLauncher variant for deploy/docker-run-launcher.yml.
COPY imdb_tracker/dagster.yaml /opt/dagster/home/dagster.yaml
COPY deploy/dagster-docker-runs.yaml /opt/dagster/docker-runs/dagster.yaml
COPY deploy/workspace.docker.yaml /opt/dagster/workspace.yaml

RUN useradd --create-home --uid 1000 tracker \
    && mkdir -p /var/lib/imdb-tracker/backup \
    && chown -R tracker:tracker /var/lib/imdb-tracker /opt/dagster/home /opt/dagster/docker-runs
USER tracker
WORKDIR /var/lib/imdb-tracker

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["imdb-tracker", "--help"]
