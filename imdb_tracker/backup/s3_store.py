"""Backups and exports in S3 (or any S3-compatible store) through a boto3 client passed in.

Layout under the configured prefix: ``{prefix}/db/tracker-<UTC time>.dump`` (sha256 in the object
metadata) and ``{prefix}/movies/{movie_id}/{reviews,sentiments}.parquet``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError

from imdb_tracker.backup.catalog import BackupRef
from imdb_tracker.backup.checksum import verify_file
from imdb_tracker.backup.errors import ChecksumMismatch, S3OperationFailed
from imdb_tracker.backup.fsutil import commit_partial, partial_path
from imdb_tracker.backup.naming import parse_backup_name
from imdb_tracker.backup.retention import RetentionPolicy, timestamps_to_prune

S3_ERRORS = (BotoCoreError, ClientError, Boto3Error, S3OperationFailed)
SHA256_METADATA = "sha256"
_DELETE_BATCH = 1000  # DeleteObjects limit


def s3_key(prefix: str, *parts: str) -> str:
    """``prefix/part/part``, without doubled or leading slashes."""
    return "/".join(p.strip("/") for p in (prefix, *parts) if p.strip("/"))


def database_backup_key(prefix: str, name: str) -> str:
    """Key of a database backup file called ``name``."""
    return s3_key(prefix, "db", name)


def upload_backup(client: Any, bucket: str, prefix: str, path: Path, sha256: str) -> str:
    """Upload a local backup file with its checksum as object metadata; returns the key."""
    key = database_backup_key(prefix, path.name)
    client.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {SHA256_METADATA: sha256}})
    return key


def list_s3_backups(client: Any, bucket: str, prefix: str) -> list[BackupRef]:
    """Database backups in the bucket, oldest first."""
    found = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=s3_key(prefix, "db") + "/"):
        for item in page.get("Contents", []):
            taken_at = parse_backup_name(item["Key"])
            if taken_at is not None:
                found.append(BackupRef(taken_at, item["Key"], item["Size"]))
    return sorted(found, key=lambda b: b.taken_at)


def prune_s3_backups(client: Any, bucket: str, prefix: str, policy: RetentionPolicy) -> list[str]:
    """Delete the backups that ``policy`` does not keep; returns the deleted keys, oldest first."""
    backups = list_s3_backups(client, bucket, prefix)
    doomed = set(timestamps_to_prune((b.taken_at for b in backups), policy.keep_hourly, policy.keep_daily))
    keys = [b.location for b in backups if b.taken_at in doomed]
    for start in range(0, len(keys), _DELETE_BATCH):
        batch = keys[start : start + _DELETE_BATCH]
        response = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise S3OperationFailed(f"S3 refused to delete {first.get('Key')}: {first.get('Message', '')}")
    return keys


def download_backup(client: Any, bucket: str, key: str, dest_dir: Path) -> tuple[Path, str]:
    """Download a backup into ``dest_dir`` and verify it against its metadata; returns (path, sha256)."""
    metadata = client.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    sha256 = metadata.get(SHA256_METADATA)
    if not sha256:
        raise ChecksumMismatch(f"s3://{bucket}/{key} has no sha256 metadata: cannot verify it")
    final = dest_dir / key.rsplit("/", 1)[-1]
    partial = partial_path(final)
    try:
        client.download_file(bucket, key, str(partial))
        verify_file(partial, sha256)
        commit_partial(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final, sha256


def put_object(client: Any, bucket: str, key: str, body: bytes, metadata: dict[str, str]) -> None:
    """Store ``body`` at ``key`` with string ``metadata``."""
    client.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)


def describe_s3_error(exc: BaseException) -> str:
    """A one-line description of a boto3/botocore failure."""
    return " ".join(str(exc).split()) or type(exc).__name__
