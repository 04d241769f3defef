"""Alembic environment: migrates the connection handed over by :mod:`imdb_tracker.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from imdb_tracker.db.schema import metadata

config = context.config


def run_migrations_online() -> None:
    """Run the migrations inside one transaction on the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic config without sqlalchemy.url: use imdb_tracker.db.migrate")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
