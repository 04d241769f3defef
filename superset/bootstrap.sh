#!/usr/bin/env bash
# Entry point of the Superset container (superset/Dockerfile): initialise the metadata database,
# make the admin user, import the dashboards bundle, then serve on 0.0.0.0:8088.
#
# Environment: SUPERSET_SECRET_KEY, SUPERSET_ADMIN_PASSWORD (required), SUPERSET_ADMIN_USER (admin),
# SUPERSET_METADATA_DATABASE_URI (SQLite in $SUPERSET_HOME when unset), and for the bundle's
# connection either IMDB_TRACKER_READER_URI or DB_HOST [DB_PORT DB_NAME] + SUPERSET_READONLY_PASSWORD.
# The read-only role itself, and the clients' row-level security, are made by the pipeline side:
# `imdb-tracker superset provision` (same bundle, idempotent).
set -euo pipefail

: "${SUPERSET_SECRET_KEY:?SUPERSET_SECRET_KEY is not set}"
: "${SUPERSET_ADMIN_PASSWORD:?SUPERSET_ADMIN_PASSWORD is not set}"
ADMIN="${SUPERSET_ADMIN_USER:-admin}"
BUNDLE="${IMDB_TRACKER_BUNDLE:-/app/imdb_tracker/bundle}"
mkdir -p "${SUPERSET_HOME:-/app/superset_home}"

superset db upgrade
superset fab create-admin --username "$ADMIN" --firstname Superset --lastname Admin \
  --email "$ADMIN@localhost" --password "$SUPERSET_ADMIN_PASSWORD" >/dev/null
superset fab reset-password --username "$ADMIN" --password "$SUPERSET_ADMIN_PASSWORD" >/dev/null
superset init

reader_uri="${IMDB_TRACKER_READER_URI:-}"
if [[ -z "$reader_uri" && -n "${DB_HOST:-}" && -n "${SUPERSET_READONLY_PASSWORD:-}" ]]; then
  reader_uri="$(python -c 'import os, urllib.parse as u
print("postgresql+psycopg2://imdb_reader:%s@%s:%s/%s" % (u.quote(os.environ["SUPERSET_READONLY_PASSWORD"], safe=""),
      os.environ["DB_HOST"], os.environ.get("DB_PORT", "5432"), os.environ.get("DB_NAME", "imdb_tracker")))')"
fi
if [[ -n "$reader_uri" ]]; then
  zip="$(mktemp --suffix=.zip)"
  python /app/imdb_tracker/render_bundle.py "$BUNDLE" "$zip" "$reader_uri" assets
  # Overwrites datasets and charts too (import-dashboards would not), exits 1 on failure.
  python /app/imdb_tracker/import_assets.py "$zip" "$ADMIN"
  rm -f "$zip"
else
  echo "bootstrap: no database settings, dashboards not imported (run imdb-tracker superset provision)" >&2
fi

exec gunicorn --bind "0.0.0.0:8088" --workers "${SUPERSET_WORKERS:-2}" --worker-class gthread --threads 4 \
  --timeout 120 --limit-request-line 0 --limit-request-field_size 0 "superset.app:create_app()"
