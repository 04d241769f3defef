# imdb-tracker: `make demo` runs the pipeline on the sample movies, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install chromium compose-tools demo test test-fast test-deploy lint up superset clean

install: $(STAMP) ## Create .venv and install the package with its dev extras (fast when nothing changed).

$(STAMP): setup.py pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

chromium: ## Debian's Chromium for Playwright (Playwright cannot download its own browser here).
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || \
	  ($(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null)

compose-tools: ## Debian's docker-compose, only to validate docker-compose.yml (no Docker engine needed).
	@command -v docker-compose >/dev/null || \
	  ($(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null)

demo: install chromium ## Embedded PostgreSQL + the two sample movies through the real pipeline, offline.
	$(BIN)/python scripts/demo.py

test-fast: install ## Parsers, retention, sentiment core, settings, the definitions snapshot: no server, < 1 min.
	$(BIN)/pytest -m fast -q

# The database tests again, connected as an ordinary owner role with CREATEROLE (as on docker-compose
# or a managed server) instead of the embedded server's superuser. `--db-owner` leaves out the tests
# that do not connect through the session's database (conftest.py): they would only run again.
OWNER_TIER := imdb_tracker_tests/test_foundation.py imdb_tracker_tests/test_reporting.py

# The main tier in TEST_WORKERS processes (pytest-xdist), a test module per process at a time: each
# worker has a session of its own (home, embedded PostgreSQL, Dagster instance, replica), and the
# modules mostly wait on servers and daemons, so two workers fit a 2-core machine. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

test: install chromium compose-tools test-fast ## The fast tier, then everything else (real PostgreSQL, Chromium, Dagster, S3, Superset), then the database tests as an owner without superuser.
	$(BIN)/pytest -m "not fast" -n $(TEST_WORKERS) --dist loadfile --durations=15
	$(BIN)/pytest -m "not fast" --db-owner $(OWNER_TIER)

test-deploy: install ## The docker-compose stack built and run end to end on a dockerd of its own (deploy/ci/).
	deploy/ci/test-deploy.sh

lint: install ## ruff, the type checker, and Dagster's own check of the definitions.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	@# Loading the definitions needs no database: on a throwaway Dagster home (telemetry off),
	@# not the repository's dagster.yaml, whose storage would start the embedded server and leave it up.
	home="$$(mktemp -d)" && printf 'telemetry:\n  enabled: false\n' > "$$home/dagster.yaml" && \
	  DAGSTER_HOME="$$home" VIRTUAL_ENV=$(abspath $(VENV)) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dg check defs; \
	  status=$$?; rm -rf "$$home"; exit $$status

up: install chromium ## Dagster webserver + daemon on 127.0.0.1:3000, on the same instance as the CLI.
	$(BIN)/imdb-tracker ui

superset: install ## Superset in its own venv, provisioned, on 127.0.0.1:8088.
	bash superset/run.sh

clean: ## Stop the embedded database. Data in .imdb_tracker/ is kept.
	-$(BIN)/imdb-tracker db stop
