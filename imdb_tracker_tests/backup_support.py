"""Shared by the backup tests: a loopback S3 (moto server), sample rows, extra databases, table checksums."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine, create_engine, insert, make_url, text

from imdb_tracker.db.schema import (
    client_movies,
    clients,
    metadata,
    movie_snapshots,
    movies,
    review_sentiments,
    reviews,
)

MOTO_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing-secret"}
REGION = "us-east-1"


@contextmanager
def moto_server() -> Iterator[str]:
    """A real S3 API (moto in server mode) on a free loopback port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def moto_client(endpoint: str):
    """A boto3 client on the moto server at ``endpoint``."""
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **MOTO_CREDENTIALS)


def new_bucket(endpoint: str) -> str:
    """Create a bucket with a fresh name and return the name."""
    name = f"bk-{uuid.uuid4().hex[:12]}"
    moto_client(endpoint).create_bucket(Bucket=name)
    return name


def closed_port_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def fill_sample_rows(engine: Engine) -> None:
    """Two movies with snapshots, reviews (awkward text, NULLs) and sentiments, one client."""
    now = datetime(2025, 4, 11, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(movies),
            [
                {
                    "movie_id": "tt0033467",
                    "title": "Citizen Kane",
                    "year": 1941,
                    "genres": ["Drama", "Mystery"],
                    "plot": 'A publishing tycoon\'s last word: "Rosebud".',
                    "added_at": now,
                },
                {
                    "movie_id": "tt0111161",
                    "title": "The Shawshank Redemption",
                    "year": 1994,
                    "genres": None,
                    "plot": None,
                    "added_at": now,
                },
            ],
        )
        conn.execute(
            insert(movie_snapshots),
            [
                {"movie_id": "tt0033467", "taken_at": now, "rating": 8.3, "votes": 470000, "review_count": 3},
                {"movie_id": "tt0111161", "taken_at": now, "rating": 9.3, "votes": None, "review_count": 2},
            ],
        )
        review_rows = [
            (
                "rw0000001",
                "tt0033467",
                10,
                "Rosebud…",
                "Line one\nline two; tab\there, quote ' and \\ backslash",
            ),
            ("rw0000002", "tt0033467", None, None, "Überwältigend — 映画 ✓"),
            ("rw0000003", "tt0033467", 3, "Overrated", "Slow."),
            ("rw0000010", "tt0111161", 9, "Hope", "Get busy living."),
            ("rw0000011", "tt0111161", 1, "Meh", "Not for me."),
        ]
        conn.execute(
            insert(reviews),
            [
                {
                    "review_id": rid,
                    "movie_id": mid,
                    "author": f"user {rid}",
                    "rating": rating,
                    "title": title,
                    "text": body,
                    "submitted_at": date(2024, 1, int(rid[-1]) + 1),
                    "helpful_up": 4,
                    "spoiler": rid.endswith("3"),
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "content_hash": rid * 7,
                }
                for rid, mid, rating, title, body in review_rows
            ],
        )
        conn.execute(
            insert(review_sentiments),
            [
                {
                    "review_id": rid,
                    "movie_id": mid,
                    "storytelling": 2,
                    "acting": None,
                    "cinematography": 1,
                    "music_sound": 0,
                    "themes": -1,
                    "overall": overall,
                    "backend": "offline",
                    "model": "vader",
                    "prompt_version": "v1",
                    "content_hash": rid * 7,
                    "analysed_at": now,
                }
                for rid, mid, overall in [
                    ("rw0000001", "tt0033467", 2),
                    ("rw0000002", "tt0033467", 1),
                    ("rw0000010", "tt0111161", 2),
                    ("rw0000011", "tt0111161", -2),
                ]
            ],
        )
        client_id = conn.execute(
            insert(clients).values(name="acme").returning(clients.c.client_id)
        ).scalar_one()
        conn.execute(insert(client_movies).values(client_id=client_id, movie_id="tt0033467"))


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """``{table: (row count, md5 of its rows as text, sorted)}`` of the tracker tables and alembic_version."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: tuple(
                    conn.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                            f"FROM {name} t"
                        )
                    ).one()
                )
                for name in [*(table.name for table in metadata.sorted_tables), "alembic_version"]
            }
    finally:
        engine.dispose()


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server of ``server_url``, dropped afterwards; yields its URL."""
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(with_database(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield with_database(server_url, name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API on loopback (moto in server mode), one per test module."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def sample_db(clean_db: Engine) -> Engine:
    """The session tracker database holding the sample rows."""
    fill_sample_rows(clean_db)
    return clean_db


def first_tables_named() -> str:
    """How a refused restore names a full tracker database: its first five tables by name, then "…"."""
    names = sorted({*metadata.tables, "alembic_version"})
    return ", ".join(names[:5]) + ", …"
