"""Import a Superset bundle zip with every object overwritten (``python import_assets.py ZIP USER``).

Used by bootstrap.sh inside the Superset image. ``superset import-dashboards`` would keep existing
charts and datasets unchanged, and ``superset import-directory`` exits 0 even when it fails; this
runs the same command as ``POST /api/v1/assets/import/`` and exits 1 on any error.
"""

import sys
from zipfile import ZipFile

from flask import g
from superset.app import create_app


def main(path: str, username: str) -> None:
    """Import the bundle at ``path`` as user ``username``."""
    app = create_app()
    with app.app_context():
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        from superset import security_manager

        g.user = security_manager.find_user(username=username)
        if g.user is None:
            sys.exit(f"error: no Superset user {username!r}")
        with ZipFile(path) as bundle:
            contents = get_contents_from_bundle(bundle)
        try:
            ImportAssetsCommand(contents).run()
        except Exception as exc:  # one line for the container log, then exit 1
            sys.exit(
                f"error: importing {path} failed: {exc} {getattr(exc, 'normalized_messages', lambda: '')()}"
            )
    print(f"imported {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: import_assets.py BUNDLE.zip USERNAME")
    main(sys.argv[1], sys.argv[2])
