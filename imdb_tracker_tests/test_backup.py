"""Backups on the real embedded PostgreSQL and a real S3 API (moto server on 127.0.0.1)."""

import io
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, select, text

from imdb_tracker.backup.checksum import read_sidecar, sha256_file, sidecar_path
from imdb_tracker.backup.errors import ChecksumMismatch, PgToolError, TargetNotEmpty
from imdb_tracker.backup.local_store import list_local_backups
from imdb_tracker.backup.parquet_export import export_movie_to_s3
from imdb_tracker.backup.pg_tools import find_pg_tool
from imdb_tracker.backup.restore import public_relations, restore_database
from imdb_tracker.backup.retention import RetentionPolicy
from imdb_tracker.backup.run import S3Location, run_database_backup
from imdb_tracker.backup.s3_store import download_backup, list_s3_backups
from imdb_tracker.db import migrate
from imdb_tracker.db.schema import review_sentiments, reviews
from imdb_tracker_tests.backup_support import (
    fill_sample_rows,
    first_tables_named,
    moto_client,
    new_bucket,
    scratch_database,
    table_fingerprints,
)

KEEP_MANY = RetentionPolicy(keep_hourly=100, keep_daily=100)


@pytest.fixture
def s3(s3_endpoint: str) -> S3Location:
    """A fresh bucket on the moto server."""
    return S3Location(moto_client(s3_endpoint), new_bucket(s3_endpoint), "imdb-tracker")


@pytest.fixture
def source_url(database_urls) -> Iterator[str]:
    """A migrated database with sample rows, separate from the session's tracker database."""
    with scratch_database(database_urls.tracker) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        fill_sample_rows(engine)
        engine.dispose()
        yield url


def test_backup_drop_restore_from_s3_gives_identical_tables(database_urls, source_url, s3, tmp_path):
    before = table_fingerprints(source_url)
    assert (
        before["reviews"][0] == 5
        and before["review_sentiments"][0] == 4
        and before["alembic_version"][0] == 1
    )

    report = run_database_backup(
        source_url, tmp_path / "backups", KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir, s3=s3
    )
    backup = report.backup
    assert backup.path.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format
    assert read_sidecar(backup.path) == backup.sha256 == sha256_file(backup.path)
    assert sidecar_path(backup.path).read_text() == f"{backup.sha256}  {backup.path.name}\n"
    assert report.s3_key == f"imdb-tracker/db/{backup.path.name}"
    head = s3.client.head_object(Bucket=s3.bucket, Key=report.s3_key)
    assert head["Metadata"] == {"sha256": backup.sha256}
    assert head["ContentLength"] == backup.size_bytes
    assert not list(backup.path.parent.glob(".*"))  # no partial files left behind

    # Disaster: the database is gone, and so is the local folder. Restore from S3 into a new database.
    source_name = source_url.rsplit("/", 1)[-1].split("?")[0]
    admin = create_engine(source_url.replace(f"/{source_name}", "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{source_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{source_name}"'))
    admin.dispose()
    assert public_relations(source_url) == []
    dump, sha256 = download_backup(s3.client, s3.bucket, report.s3_key, tmp_path)
    restore_database(dump, sha256, source_url, pg_bin_dir=database_urls.pg_bin_dir)
    assert table_fingerprints(source_url) == before


def test_forced_restore_replaces_changed_rows_and_plain_restore_refuses(database_urls, source_url, tmp_path):
    backup = run_database_backup(source_url, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir).backup
    before = table_fingerprints(source_url)
    engine = create_engine(source_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM reviews WHERE review_id = 'rw0000003'"))
        conn.execute(text("UPDATE movies SET title = 'changed' WHERE movie_id = 'tt0033467'"))
    engine.dispose()
    assert table_fingerprints(source_url) != before

    refusal = re.escape(f"is not empty ({first_tables_named()}): use --force")
    with pytest.raises(TargetNotEmpty, match=refusal):
        restore_database(backup.path, backup.sha256, source_url, pg_bin_dir=database_urls.pg_bin_dir)
    restore_database(backup.path, backup.sha256, source_url, pg_bin_dir=database_urls.pg_bin_dir, force=True)
    assert table_fingerprints(source_url) == before


def test_corrupt_backup_is_refused_before_touching_the_target(database_urls, source_url, tmp_path):
    backup = run_database_backup(source_url, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir).backup
    with backup.path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00corrupt\x00")
    with scratch_database(database_urls.tracker) as target, pytest.raises(ChecksumMismatch, match="corrupt"):
        restore_database(backup.path, backup.sha256, target, pg_bin_dir=database_urls.pg_bin_dir)


def test_retention_prunes_exactly_the_expected_backups_locally_and_in_s3(
    database_urls, source_url, s3, tmp_path
):
    # Eight backups: three on each of two earlier days, then two in the last two hours.
    moments = [
        datetime(2025, 4, 9, 8, tzinfo=UTC),
        datetime(2025, 4, 9, 12, tzinfo=UTC),
        datetime(2025, 4, 9, 20, tzinfo=UTC),
        datetime(2025, 4, 10, 8, tzinfo=UTC),
        datetime(2025, 4, 10, 12, tzinfo=UTC),
        datetime(2025, 4, 10, 20, tzinfo=UTC),
        datetime(2025, 4, 11, 10, 5, tzinfo=UTC),
    ]
    policy = RetentionPolicy(keep_hourly=2, keep_daily=2)
    folder = tmp_path / "backups"
    for moment in moments:
        run_database_backup(
            source_url, folder, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir, s3=s3, now=moment
        )
    last = datetime(2025, 4, 11, 11, 5, tzinfo=UTC)
    report = run_database_backup(
        source_url, folder, policy, pg_bin_dir=database_urls.pg_bin_dir, s3=s3, now=last
    )

    # Kept: the two newest hours (11:05, 10:05 on the 11th) and the newest of the last two days (11th, 10th).
    kept = {last, moments[6], moments[5]}
    expected_pruned = [m for m in moments if m not in kept]
    stamp = "%Y%m%dT%H%M%SZ"
    assert [p.name for p in report.pruned_local] == [
        f"tracker-{m.strftime(stamp)}.dump" for m in expected_pruned
    ]
    assert report.pruned_s3 == [f"imdb-tracker/db/tracker-{m.strftime(stamp)}.dump" for m in expected_pruned]
    assert [b.taken_at for b in list_local_backups(folder)] == sorted(kept)
    assert [b.taken_at for b in list_s3_backups(s3.client, s3.bucket, s3.prefix)] == sorted(kept)
    assert sorted(p.name for p in folder.glob("*.sha256")) == sorted(
        f"{Path(b.location).name}.sha256" for b in list_local_backups(folder)
    )


def test_passwords_stay_out_of_argv(database_urls, source_url, tmp_path, monkeypatch):
    password = "pw-Secret-4-test"
    admin = create_engine(source_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"DROP ROLE IF EXISTS backup_reader; CREATE ROLE backup_reader LOGIN PASSWORD '{password}'")
        )
        conn.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO backup_reader"))
        conn.execute(text("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO backup_reader"))
    admin.dispose()
    url_with_password = source_url.replace("postgres:@", f"backup_reader:{password}@")
    assert password in url_with_password

    calls = []
    real_run = subprocess.run

    def recording_run(args, **kwargs):
        calls.append((list(args), kwargs.get("env") or {}))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording_run)
    run_database_backup(url_with_password, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir)
    dump_calls = [(argv, env) for argv, env in calls if argv[0].endswith("pg_dump")]
    assert dump_calls, calls
    for argv, env in dump_calls:
        assert not any(password in arg for arg in argv)
        assert env["PGPASSWORD"] == password and env["PGUSER"] == "backup_reader"


def test_pg_dump_older_than_the_server_is_refused_clearly(database_urls, tmp_path, monkeypatch):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    old = fake_bin / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.22'\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:/usr/bin:/bin")
    with pytest.raises(
        PgToolError, match=r"PostgreSQL 12 but the server is PostgreSQL 18.*postgresql-client-18"
    ):
        find_pg_tool("pg_dump", database_urls.tracker, None)


def test_movie_parquet_export_reads_back_equal_to_the_database(source_url, s3, tmp_path):
    engine = create_engine(source_url)
    files = export_movie_to_s3(engine, s3.client, s3.bucket, s3.prefix, "tt0033467")
    assert [(f.key, f.rows) for f in files] == [
        ("imdb-tracker/movies/tt0033467/reviews.parquet", 3),
        ("imdb-tracker/movies/tt0033467/sentiments.parquet", 2),
    ]
    for exported, table in zip(files, (reviews, review_sentiments), strict=True):
        local = tmp_path / exported.key.rsplit("/", 1)[-1]
        s3.client.download_file(s3.bucket, exported.key, str(local))
        frame = pd.read_parquet(local)  # no database needed
        with engine.connect() as conn:
            rows = (
                conn.execute(select(table).where(table.c.movie_id == "tt0033467").order_by(table.c.review_id))
                .mappings()
                .all()
            )
        assert list(frame.columns) == list(table.c.keys())
        read_back = [
            {k: (None if pd.isna(v) else v) for k, v in record.items()} for record in frame.to_dict("records")
        ]
        assert read_back == [dict(row) for row in rows]
    schema = pq.read_schema(tmp_path / "reviews.parquet")
    assert str(schema.field("submitted_at").type) == "date32[day]"
    assert str(schema.field("first_seen_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("rating").type) == "int16"
    assert "Überwältigend — 映画 ✓" in pd.read_parquet(tmp_path / "reviews.parquet")["text"].tolist()

    # A movie without reviews still gets files with every column, and no rows.
    empty = export_movie_to_s3(engine, s3.client, s3.bucket, s3.prefix, "tt9999999")
    engine.dispose()
    assert [f.rows for f in empty] == [0, 0]
    body = s3.client.get_object(Bucket=s3.bucket, Key=empty[1].key)["Body"].read()
    frame = pd.read_parquet(io.BytesIO(body))
    assert frame.empty and list(frame.columns) == list(review_sentiments.c.keys())


def test_backup_list_times_are_utc_and_sorted(database_urls, source_url, tmp_path):
    first = datetime(2025, 4, 11, 9, 0, 1, tzinfo=UTC)
    for moment in (first + timedelta(hours=1), first):
        run_database_backup(source_url, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir, now=moment)
    assert [b.taken_at for b in list_local_backups(tmp_path)] == [first, first + timedelta(hours=1)]


def test_two_backups_in_one_second_get_distinct_names(database_urls, source_url, tmp_path):
    moment = datetime(2025, 4, 11, 9, 0, 0, tzinfo=UTC)
    first = run_database_backup(
        source_url, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir, now=moment
    )
    second = run_database_backup(
        source_url, tmp_path, KEEP_MANY, pg_bin_dir=database_urls.pg_bin_dir, now=moment
    )
    assert (first.backup.taken_at, second.backup.taken_at) == (moment, moment + timedelta(seconds=1))
    # Same hour: retention keeps only the newer one (newest backup per hour).
    assert second.pruned_local == [first.backup.path]
    assert [b.taken_at for b in list_local_backups(tmp_path)] == [second.backup.taken_at]
