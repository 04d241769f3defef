#!/bin/sh
# First start of the `postgres` service only (docker-entrypoint-initdb.d): the application role
# and its three databases. The password is read from the environment with \getenv, never put on a
# command line. The role is an ordinary one, as on a managed server: LOGIN CREATEROLE, so that
# `imdb-tracker superset provision` can create the read-only role `imdb_reader` (and, on
# PostgreSQL 16+, holds ADMIN OPTION on it, which lets it change its password later).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv app_user TRACKER_DB_USER
\getenv app_password TRACKER_DB_PASSWORD
\getenv tracker_db TRACKER_DB_NAME
CREATE ROLE :"app_user" LOGIN CREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"tracker_db" OWNER :"app_user";
CREATE DATABASE dagster OWNER :"app_user";
CREATE DATABASE superset OWNER :"app_user";
SQL
