#!/bin/sh
# First start of the `postgres` service only (docker-entrypoint-initdb.d): the application role
# and its three databases, and the login of the read-only role Superset queries with (its grants
# come from `imdb-tracker superset provision`, the superset-provision service). Passwords are read
# from the environment with \getenv, never put on a command line. CREATEROLE lets the tracker
# manage the read-only role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv app_user TRACKER_DB_USER
\getenv app_password TRACKER_DB_PASSWORD
\getenv tracker_db TRACKER_DB_NAME
\getenv reader_password READER_DB_PASSWORD
CREATE ROLE :"app_user" LOGIN CREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"tracker_db" OWNER :"app_user";
CREATE DATABASE dagster OWNER :"app_user";
CREATE DATABASE superset OWNER :"app_user";
CREATE ROLE imdb_reader LOGIN PASSWORD :'reader_password';
SQL
