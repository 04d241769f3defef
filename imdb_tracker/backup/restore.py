"""Restore a verified backup into a target database with pg_restore."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url, text

from imdb_tracker.backup.checksum import verify_file
from imdb_tracker.backup.errors import TargetNotEmpty
from imdb_tracker.backup.pg_tools import connection_to, find_pg_tool, run_pg_tool, sqlalchemy_url
from imdb_tracker.settings import mask_url_password

_PUBLIC_RELATIONS = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname"
)


def public_relations(url: str) -> list[str]:
    """Tables, views and foreign tables in the ``public`` schema of the database at ``url``."""
    with connection_to(url) as conn:
        return list(conn.execute(_PUBLIC_RELATIONS).scalars())


def restore_database(
    dump: Path, sha256: str, target_url: str, *, pg_bin_dir: Path | None = None, force: bool = False
) -> None:
    """Verify ``dump`` against ``sha256`` and restore it into the database at ``target_url``.

    A target with any table in ``public`` is refused unless ``force``, which drops the objects the
    backup contains before re-creating them. The restore is one transaction: it lands whole or not at
    all. Owners and grants are not restored (the target's user owns everything).
    """
    database = make_url(sqlalchemy_url(target_url)).database
    if not database:
        raise ValueError(f"target URL names no database: {mask_url_password(target_url)!r}")
    verify_file(dump, sha256)
    existing = public_relations(target_url)
    if existing and not force:
        shown = ", ".join(existing[:5]) + (", …" if len(existing) > 5 else "")
        raise TargetNotEmpty(
            f"target database {mask_url_password(target_url)} is not empty ({shown}): "
            "use --force to overwrite"
        )
    pg_restore = find_pg_tool("pg_restore", target_url, pg_bin_dir)
    args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    args.append(f"--dbname={database}")
    if force:
        args += ["--clean", "--if-exists"]
    run_pg_tool(pg_restore, [*args, str(dump)], target_url)
