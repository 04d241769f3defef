"""The Dagster backup assets, materialized for real on the session database and a moto S3 server."""

import io
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance, materialize

from imdb_tracker.backup.checksum import sha256_file
from imdb_tracker.backup.local_store import list_local_backups
from imdb_tracker.defs.backups.assets import database_backup, movie_backup
from imdb_tracker.defs.backups.automation import database_backup_hourly
from imdb_tracker_tests.backup_support import (
    MOTO_CREDENTIALS,
    REGION,
    closed_port_url,
    moto_client,
    new_bucket,
)
from imdb_tracker_tests.pipeline_support import pipeline_resources


def resources(endpoint: str, bucket: str, backup_dir: Path) -> dict:
    return pipeline_resources(
        s3_endpoint_url=endpoint,
        aws_region=REGION,
        aws_access_key_id=MOTO_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=MOTO_CREDENTIALS["aws_secret_access_key"],
        backup_dir=backup_dir,
        s3_bucket=bucket,
        s3_prefix="tracker",
        backup_keep_hourly=2,
        backup_keep_daily=1,
    )


def step_failure(result):
    """The ``Failure`` an asset raised: description and metadata."""
    failures = result.get_step_failure_events()
    assert len(failures) == 1
    return failures[0].step_failure_data.user_failure_data


def test_database_backup_materializes_with_metadata_and_lands_in_s3(sample_db, s3_endpoint, tmp_path):
    bucket = new_bucket(s3_endpoint)
    result = materialize([database_backup], resources=resources(s3_endpoint, bucket, tmp_path))
    assert result.success
    metadata = result.asset_materializations_for_node("database_backup")[0].metadata
    local = Path(metadata["local_path"].value)
    assert local.parent == tmp_path and local.exists()
    assert metadata["sha256"].value == sha256_file(local)
    assert metadata["size_bytes"].value == local.stat().st_size > 1000
    assert metadata["duration_s"].value > 0
    assert metadata["s3_key"].value == f"tracker/db/{local.name}"
    assert metadata["pruned_s3_keys"].value == []
    head = moto_client(s3_endpoint).head_object(Bucket=bucket, Key=f"tracker/db/{local.name}")
    assert head["Metadata"]["sha256"] == metadata["sha256"].value

    assert database_backup_hourly.cron_schedule == "5 * * * *"
    assert database_backup_hourly.job_name == "database_backup_job"


def test_s3_down_keeps_the_local_backup_and_fails_naming_it(sample_db, tmp_path):
    result = materialize(
        [database_backup],
        resources=resources(closed_port_url(), "any-bucket", tmp_path),
        raise_on_error=False,
    )
    assert not result.success
    [backup] = list_local_backups(tmp_path)
    assert Path(backup.location).exists() and sha256_file(Path(backup.location))
    failure = step_failure(result)
    assert failure.description.startswith("S3 upload failed (Could not connect to the endpoint URL")
    assert failure.description.endswith(f"nothing is lost: the local backup is complete at {backup.location}")
    assert failure.metadata["local_path"].value == backup.location
    assert failure.metadata["s3_key"].value == "(not uploaded)"


def test_movie_backup_writes_parquet_per_movie_partition(sample_db, s3_endpoint, tmp_path):
    bucket = new_bucket(s3_endpoint)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("movies", ["tt0033467", "tt0111161"])
    result = materialize(
        [movie_backup],
        resources=resources(s3_endpoint, bucket, tmp_path),
        partition_key="tt0111161",
        instance=instance,
    )
    assert result.success
    metadata = result.asset_materializations_for_node("movie_backup")[0].metadata
    assert metadata["reviews_rows"].value == 2 and metadata["sentiments_rows"].value == 2
    client = moto_client(s3_endpoint)
    body = client.get_object(Bucket=bucket, Key="tracker/movies/tt0111161/reviews.parquet")["Body"].read()
    frame = pd.read_parquet(io.BytesIO(body))
    assert frame["review_id"].tolist() == ["rw0000010", "rw0000011"]
    assert frame["title"].tolist() == ["Hope", "Meh"]
    listed = client.list_objects_v2(Bucket=bucket, Prefix="tracker/movies/")["Contents"]
    assert sorted(item["Key"] for item in listed) == [
        "tracker/movies/tt0111161/reviews.parquet",
        "tracker/movies/tt0111161/sentiments.parquet",
    ]
