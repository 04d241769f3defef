#!/usr/bin/env bash
# Run Apache Superset for imdb-tracker on this machine (what `make superset` calls).
#
#   superset/run.sh [all]    install, init, serve on $SUPERSET_BIND, provision the dashboards
#   superset/run.sh install  superset/.venv from requirements.lock (skipped when the lock is unchanged)
#   superset/run.sh init     metadata DB upgrade, admin user (password from settings), roles
#   superset/run.sh serve    gunicorn in the foreground
#
# Settings come from the environment, then from ./.env (like the tracker's own settings):
# SUPERSET_SECRET_KEY and SUPERSET_ADMIN_PASSWORD are required; SUPERSET_ADMIN_USER (admin),
# IMDB_TRACKER_HOME (.imdb_tracker), SUPERSET_BIND (127.0.0.1:8088), SUPERSET_WORKERS (2) are optional.
# Superset's own state (SQLite metadata, cache) lives in $IMDB_TRACKER_HOME/superset.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
VENV="$HERE/.venv"
LOCK="$HERE/requirements.lock"
cd "$REPO"

load_dotenv() {  # KEY=VALUE lines of .env, without overriding the environment
  [[ -f .env ]] || return 0
  local key value
  while IFS='=' read -r key value; do
    key="${key#export }"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ -n "${!key+set}" ]] && continue
    value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
    export "$key=$value"
  done < .env
}
load_dotenv

IMDB_TRACKER_HOME="$(mkdir -p "${IMDB_TRACKER_HOME:-.imdb_tracker}" && cd "${IMDB_TRACKER_HOME:-.imdb_tracker}" && pwd)"
export IMDB_TRACKER_HOME
export SUPERSET_HOME="${SUPERSET_HOME:-$IMDB_TRACKER_HOME/superset}"
export SUPERSET_CONFIG_PATH="$HERE/superset_config.py"
export FLASK_APP=superset
SUPERSET_ADMIN_USER="${SUPERSET_ADMIN_USER:-admin}"
SUPERSET_BIND="${SUPERSET_BIND:-127.0.0.1:8088}"

fail() { echo "error: $*" >&2; exit 2; }
require() { [[ -n "${!1:-}" ]] || fail "$1 is not set (export it or put it in .env)"; }
superset() { "$VENV/bin/superset" "$@"; }

install() {
  local want
  want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/superset" && "$(cat "$VENV/.lock-sha256" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  echo "installing Superset into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$LOCK"
  echo "$want" > "$VENV/.lock-sha256"
}

init() {
  require SUPERSET_SECRET_KEY
  require SUPERSET_ADMIN_PASSWORD
  mkdir -p "$SUPERSET_HOME"
  local stamp="$SUPERSET_HOME/.initialised" want
  want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    superset db upgrade
    superset init
    echo "$want" > "$stamp"
  fi
  superset fab create-admin --username "$SUPERSET_ADMIN_USER" --firstname Superset --lastname Admin \
    --email "$SUPERSET_ADMIN_USER@localhost" --password "$SUPERSET_ADMIN_PASSWORD" >/dev/null
  # create-admin leaves an existing user alone: make its password the configured one.
  superset fab reset-password --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" >/dev/null
}

serve() {
  require SUPERSET_SECRET_KEY
  exec "$VENV/bin/gunicorn" --bind "$SUPERSET_BIND" --workers "${SUPERSET_WORKERS:-2}" \
    --worker-class gthread --threads 4 --timeout 120 --limit-request-line 0 --limit-request-field_size 0 \
    "superset.app:create_app()"
}

wait_healthy() {
  local url="http://$SUPERSET_BIND/health"
  for _ in $(seq 1 120); do
    if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "$url" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  fail "Superset did not answer on $url within 120 s"
}

all() {
  install
  init
  serve &
  local server=$!
  trap 'kill "$server" 2>/dev/null' EXIT INT TERM
  wait_healthy
  SUPERSET_URL="http://$SUPERSET_BIND" "$REPO/.venv/bin/imdb-tracker" superset provision
  echo "Superset on http://$SUPERSET_BIND (user $SUPERSET_ADMIN_USER)" >&2
  wait "$server"
}

case "${1:-all}" in
  install) install ;;
  init) install; init ;;
  serve) serve ;;
  all) all ;;
  *) fail "unknown command ${1}: use install, init, serve or all" ;;
esac
