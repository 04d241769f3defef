"""The dashboards kept as code: the Superset export bundle in ``superset/bundle`` zipped for import.

The bundle's database file holds a placeholder instead of a connection URI; :func:`build_bundle_zip`
puts the read-only role's URI (password masked, Superset's ``passwords`` field supplies it) there.

Standard library only, so the Superset image can run this file as a script to import the bundle
at boot: ``python bundle.py BUNDLE_DIR OUT.zip SQLALCHEMY_URI [METADATA_TYPE]``.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path

BUNDLE_PACKAGE = "imdb_tracker_dashboards"
"""The package holding the bundle (``superset/bundle`` in the repository, package data when installed)."""
ZIP_ROOT = "imdb_tracker_dashboards"
DATABASE_FILE = "databases/imdb_tracker.yaml"
URI_PLACEHOLDER = "${READER_SQLALCHEMY_URI}"
PASSWORD_MASK = "XXXXXXXXXX"  # what Superset's exports put in place of a password
_METADATA_TYPE = re.compile(r"^type: \w+$", re.MULTILINE)
_UUID_LINE = re.compile(r"^uuid: ([0-9a-f-]{36})$", re.MULTILINE)


class BundleError(Exception):
    """The bundle folder is missing or incomplete."""


def build_bundle_zip(
    sqlalchemy_uri: str, bundle_dir: Path | None = None, metadata_type: str | None = None
) -> bytes:
    """The bundle as a zip (one top folder) with ``sqlalchemy_uri`` in the database file.

    ``metadata_type`` replaces the bundle's type (``Dashboard``), e.g. ``assets`` for
    ``/api/v1/assets/import/``.
    """
    bundle_dir = bundle_dir or default_bundle_dir()
    files = bundle_files(bundle_dir)
    if DATABASE_FILE not in files:
        raise BundleError(f"{bundle_dir / DATABASE_FILE} is missing")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files.items():
            content = path.read_text(encoding="utf-8")
            if name == DATABASE_FILE:
                if URI_PLACEHOLDER not in content:
                    raise BundleError(f"{path} lacks the {URI_PLACEHOLDER} placeholder")
                # A JSON string is a valid YAML double-quoted scalar, whatever the URI contains.
                content = content.replace(URI_PLACEHOLDER, json.dumps(sqlalchemy_uri))
            elif name == "metadata.yaml" and metadata_type:
                content = _METADATA_TYPE.sub(f"type: {metadata_type}", content)
            archive.writestr(f"{ZIP_ROOT}/{name}", content)
    return buffer.getvalue()


def default_bundle_dir() -> Path:
    """Where the installed bundle is (the standalone script is given the folder instead)."""
    from importlib.resources import files

    return Path(str(files(BUNDLE_PACKAGE)))


def bundle_files(bundle_dir: Path | None = None) -> dict[str, Path]:
    """Every YAML file of the bundle by its path inside the bundle, sorted."""
    bundle_dir = bundle_dir or default_bundle_dir()
    if not (bundle_dir / "metadata.yaml").is_file():
        raise BundleError(f"no Superset bundle at {bundle_dir} (metadata.yaml missing)")
    return {p.relative_to(bundle_dir).as_posix(): p for p in sorted(bundle_dir.rglob("*.yaml"))}


def bundle_uuids(kind: str, bundle_dir: Path | None = None) -> dict[str, str]:
    """``{file stem: uuid}`` of the bundle's ``kind`` (databases, datasets, charts, dashboards)."""
    result = {}
    for name, path in bundle_files(bundle_dir).items():
        if name.startswith(f"{kind}/"):
            found = _UUID_LINE.search(path.read_text(encoding="utf-8"))
            if not found:
                raise BundleError(f"{path} has no top-level uuid")
            result[path.stem] = found.group(1)
    return result


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: bundle.py BUNDLE_DIR OUT.zip SQLALCHEMY_URI [METADATA_TYPE]")
    kind = sys.argv[4] if len(sys.argv) == 5 else None
    Path(sys.argv[2]).write_bytes(build_bundle_zip(sys.argv[3], Path(sys.argv[1]), metadata_type=kind))
