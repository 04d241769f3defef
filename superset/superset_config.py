"""Superset configuration of imdb-tracker, read by Superset through ``SUPERSET_CONFIG_PATH``.

Everything that differs between a laptop and a deployment comes from the environment; secrets are
never written here. ``run.sh`` (local) and ``bootstrap.sh`` (Docker) set the variables.
"""

import os

from flask import Flask, Response, request, session


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Metadata database: SQLite under $SUPERSET_HOME unless a URL is given (Docker uses PostgreSQL).
DATA_DIR = os.environ.get("SUPERSET_HOME", os.path.expanduser("~/.superset"))
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "SUPERSET_METADATA_DATABASE_URI", f"sqlite:///{os.path.join(DATA_DIR, 'superset.db')}"
)

# Users, roles and row-level-security rules are managed over the REST API (imdb-tracker clients).
FAB_ADD_SECURITY_API = True
# Dashboards are shared with a client's role, not with everyone who can read the datasets.
FEATURE_FLAGS = {"DASHBOARD_RBAC": True}

# The movie header (a Handlebars chart) lays itself out with inline styles and shows the poster
# stored in the tracker database as a data: URI; Superset's sanitizer drops both by default.
HTML_SANITIZATION_SCHEMA_EXTENSIONS = {"attributes": {"*": ["style"]}, "protocols": {"src": ["data"]}}

# A local server on 127.0.0.1 runs without Talisman; a deployment behind TLS turns it on.
TALISMAN_ENABLED = _env_flag("SUPERSET_TALISMAN_ENABLED", False)
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:", "https://m.media-amazon.com"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}

# Served on plain HTTP locally: session cookies must not require HTTPS.
SESSION_COOKIE_SECURE = _env_flag("SUPERSET_COOKIE_SECURE", False)
SESSION_COOKIE_SAMESITE = "Lax"

# Results cached briefly; the cache key includes the row-level-security clauses of the user.
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": os.path.join(DATA_DIR, "cache"),
    "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("SUPERSET_DATA_CACHE_SECONDS", "300")),
    "CACHE_THRESHOLD": 2000,
}

SUPERSET_WEBSERVER_TIMEOUT = 120


def _ignore_anonymous_event_logs(app: Flask) -> None:
    """Answer an anonymous ``POST /superset/log/`` with 204, leaving the session cookie alone.

    Superset's front end posts its event log as the login page unloads, with the session of before the
    login. Superset answers that post with "Access is Denied" flashed into the session and a redirect
    to the login page (apache/superset#36186), and the cookie of that answer can reach the browser
    after the login's own cookie and replace it: the user is sent back to the login page. Seen on a
    busy machine, for the admin and for a client; an anonymous event has nothing to log anyway.
    """

    @app.before_request
    def ignore_anonymous_event_log() -> Response | None:
        if request.method == "POST" and request.path == "/superset/log/" and "_user_id" not in session:
            return Response(status=204)
        return None


FLASK_APP_MUTATOR = _ignore_anonymous_event_logs
