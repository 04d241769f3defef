"""``imdb-tracker backup run|list|restore`` on the session database and a moto S3 server."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from imdb_tracker.cli.backup import backup_group
from imdb_tracker.cli.common import Runtime
from imdb_tracker.settings import Settings
from imdb_tracker_tests.backup_support import (
    MOTO_CREDENTIALS,
    closed_port_url,
    first_tables_named,
    new_bucket,
    scratch_database,
    table_fingerprints,
)


def settings_for(tmp_path: Path, endpoint: str | None = None, bucket: str | None = None) -> Settings:
    return Settings(
        backup_dir=tmp_path / "backups",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        aws_access_key_id=MOTO_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=MOTO_CREDENTIALS["aws_secret_access_key"],
    )


def invoke(settings: Settings, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(backup_group, list(args), obj=Runtime(settings), env=env)


def test_run_list_and_restore_from_s3_into_an_empty_database(database_urls, sample_db, s3_endpoint, tmp_path):
    settings = settings_for(tmp_path, s3_endpoint, new_bucket(s3_endpoint))
    ran = invoke(settings, "run")
    assert ran.exit_code == 0, ran.output
    [backup_line, key_line] = ran.stdout.splitlines()
    local = Path(backup_line.removeprefix("backup: ").split(" (")[0])
    assert local.parent == settings.resolved_backup_dir and local.exists()
    assert key_line == f"s3 key: imdb-tracker/db/{local.name}"

    for source, location in (("local", str(local)), ("s3", f"imdb-tracker/db/{local.name}")):
        listed = invoke(settings, "list", "--from", source)
        assert listed.exit_code == 0
        [line] = listed.stdout.splitlines()
        assert line.endswith(f"\t{local.stat().st_size}\t{location}")
        assert line.startswith(local.name[8:12] + "-")  # the year of the UTC timestamp

    expected = table_fingerprints(database_urls.tracker)
    assert expected["reviews"][0] == 5
    with scratch_database(database_urls.tracker) as target:
        restored = invoke(settings, "restore", "--from", "s3", "--target-url", target)
        assert restored.exit_code == 0, restored.output
        assert restored.stdout.startswith(f"restored imdb-tracker/db/{local.name} (taken ")
        assert table_fingerprints(target) == expected

        # Now the target holds tables: a second restore is refused, unless forced.
        refused = invoke(settings, "restore", "--target-url", target)
        assert refused.exit_code == 1
        assert refused.stderr.count("\n") == 1
        assert refused.stderr.startswith("error: target database ")
        assert f"is not empty ({first_tables_named()})" in refused.stderr
        assert refused.stderr.endswith("use --force to overwrite\n")
        # The target (with its password) may come from the environment instead of the command line.
        forced = invoke(settings, "restore", "--force", env={"IMDB_TRACKER_RESTORE_URL": target})
        assert forced.exit_code == 0, forced.output
        assert table_fingerprints(target) == expected


def test_s3_down_keeps_the_local_backup_and_exits_1(sample_db, tmp_path):
    settings = settings_for(tmp_path, closed_port_url(), "unreachable")
    ran = invoke(settings, "run")
    assert ran.exit_code == 1
    [backup] = list(settings.resolved_backup_dir.glob("tracker-*.dump"))
    assert ran.stdout.startswith(f"backup: {backup} (")
    assert ran.stderr.startswith("error: S3 upload failed (Could not connect to the endpoint URL")
    assert ran.stderr.endswith(f"the local backup is complete at {backup}\n")

    no_s3 = invoke(settings, "run", "--no-s3")
    assert no_s3.exit_code == 0, no_s3.stderr
    assert "s3 key" not in no_s3.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--at", "yesterday"], 2, "error: --at 'yesterday' is not an ISO 8601 time"),
        (["--at", "2001-01-01T00:00:00Z"], 1, "error: no backup at or before 2001-01-01T00:00:00+00:00 in "),
        (["--target-url", "mysql://u@h/db"], 2, "error: not a PostgreSQL URL: 'mysql://u@h/db'"),
        (["--target-url", "::nonsense"], 2, "error: not a database URL"),
        (["--from", "s3"], 2, "error: S3_BUCKET is not set"),
        (["--from", "ftp"], 2, "Invalid value for '--from'"),
    ],
)
def test_bad_restore_requests_fail_with_one_line(database_urls, tmp_path, args, code, message):
    settings = settings_for(tmp_path)
    invoke(settings, "run", "--no-s3")
    if "--target-url" not in args:
        args = [*args, "--target-url", database_urls.tracker]
    result = invoke(settings, "restore", *args)
    assert result.exit_code == code
    assert message in result.stderr
