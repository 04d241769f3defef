"""``imdb-tracker backup run|list|restore``: database backups on disk and in S3."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from imdb_tracker.backup.catalog import BackupRef, newest_at_or_before
from imdb_tracker.backup.checksum import read_sidecar
from imdb_tracker.backup.errors import BackupError
from imdb_tracker.backup.local_store import list_local_backups
from imdb_tracker.backup.pg_tools import sqlalchemy_url
from imdb_tracker.backup.restore import restore_database
from imdb_tracker.backup.retention import RetentionPolicy
from imdb_tracker.backup.run import BackupReport, S3Location, S3Unavailable, run_database_backup
from imdb_tracker.backup.s3_store import S3_ERRORS, describe_s3_error, download_backup, list_s3_backups
from imdb_tracker.cli.common import EXIT_BAD_INPUT, Runtime, fail, pass_runtime
from imdb_tracker.settings import Settings, mask_url_password

LOCATIONS = click.Choice(["local", "s3"])


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the configured endpoint and credentials."""
    import boto3

    secret = settings.aws_secret_access_key
    return boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.s3_endpoint_url or None,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
    )


def _s3_location(settings: Settings) -> S3Location:
    if not settings.s3_bucket:
        fail("S3_BUCKET is not set", EXIT_BAD_INPUT)
    return S3Location(s3_client(settings), settings.s3_bucket, settings.s3_prefix)


def _policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(settings.backup_keep_hourly, settings.backup_keep_daily)


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at {value!r} is not an ISO 8601 time such as 2025-04-11T12:00:00Z", EXIT_BAD_INPUT)


def _print_report(report: BackupReport) -> None:
    backup = report.backup
    click.echo(f"backup: {backup.path} ({backup.size_bytes} bytes, sha256 {backup.sha256})")
    if report.s3_key:
        click.echo(f"s3 key: {report.s3_key}")
    for pruned in [*(str(p) for p in report.pruned_local), *report.pruned_s3]:
        click.echo(f"pruned: {pruned}")


@click.group("backup")
def backup_group() -> None:
    """Back up the tracker database to disk and S3, list backups, restore one."""


@backup_group.command("run")
@click.option("--no-s3", is_flag=True, help="Only write the local backup, even if S3_BUCKET is set.")
@pass_runtime
def backup_run(runtime: Runtime, no_s3: bool) -> None:
    """Dump the database now (pg_dump custom format), upload it, apply retention."""
    settings = runtime.settings
    s3 = None if no_s3 or not settings.s3_bucket else _s3_location(settings)
    urls = runtime.urls
    try:
        report = run_database_backup(
            urls.tracker, settings.resolved_backup_dir, _policy(settings), pg_bin_dir=urls.pg_bin_dir, s3=s3
        )
    except S3Unavailable as exc:
        _print_report(exc.report)
        fail(str(exc))
    except BackupError as exc:
        fail(str(exc))
    _print_report(report)


@backup_group.command("list")
@click.option("--from", "source", type=LOCATIONS, default="local", show_default=True)
@pass_runtime
def backup_list(runtime: Runtime, source: str) -> None:
    """List backups, oldest first: UTC time, size in bytes, file or S3 key."""
    for backup in _list(runtime.settings, source):
        click.echo(f"{backup.taken_at.isoformat()}\t{backup.size_bytes}\t{backup.location}")


def _list(settings: Settings, source: str) -> list[BackupRef]:
    if source == "local":
        return list_local_backups(settings.resolved_backup_dir)
    s3 = _s3_location(settings)
    try:
        return list_s3_backups(s3.client, s3.bucket, s3.prefix)
    except S3_ERRORS as exc:
        fail(f"cannot list s3://{s3.bucket}: {describe_s3_error(exc)}")


@contextmanager
def _fetched(settings: Settings, source: str, backup: BackupRef) -> Iterator[tuple[Path, str]]:
    """The backup file on disk and its recorded sha256 (downloaded to a temporary folder from S3)."""
    if source == "local":
        dump = Path(backup.location)
        yield dump, read_sidecar(dump)
        return
    s3 = _s3_location(settings)
    settings.resolved_backup_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.resolved_backup_dir, prefix=".restore-") as folder:
        try:
            fetched = download_backup(s3.client, s3.bucket, backup.location, Path(folder))
        except S3_ERRORS as exc:
            fail(f"cannot download s3://{s3.bucket}/{backup.location}: {describe_s3_error(exc)}")
        yield fetched


@backup_group.command("restore")
@click.option("--from", "source", type=LOCATIONS, default="local", show_default=True)
@click.option(
    "--at", "at", metavar="TIMESTAMP", help="Newest backup at or before this time (UTC if no zone)."
)
@click.option(
    "--target-url",
    required=True,
    envvar="IMDB_TRACKER_RESTORE_URL",
    help="postgresql://user:password@host:port/database to restore into (or env IMDB_TRACKER_RESTORE_URL, "
    "which keeps the password off the command line).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite a non-empty target (drops the objects being restored)."
)
@pass_runtime
def backup_restore(runtime: Runtime, source: str, at: str | None, target_url: str, force: bool) -> None:
    """Verify and restore the newest backup (at or before --at) into the database at --target-url."""
    moment = _parse_time(at)
    try:
        sqlalchemy_url(target_url)
    except ValueError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    settings = runtime.settings
    where = settings.resolved_backup_dir if source == "local" else f"s3://{settings.s3_bucket}"
    try:
        backup = newest_at_or_before(_list(settings, source), moment, str(where))
        pg_bin_dir = runtime.urls.pg_bin_dir if settings.uses_embedded_database else None
        with _fetched(settings, source, backup) as (dump, sha256):
            restore_database(dump, sha256, target_url, pg_bin_dir=pg_bin_dir, force=force)
    except ValueError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except BackupError as exc:
        fail(str(exc))
    taken = backup.taken_at.isoformat()
    click.echo(f"restored {backup.location} (taken {taken}) into {mask_url_password(target_url)}")
