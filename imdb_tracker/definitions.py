"""The one Dagster code location of imdb-tracker (``workspace.yaml``, ``[tool.dagster]``, ``[tool.dg]``).

Definitions are discovered in the ``imdb_tracker.defs`` folder the way ``create-dagster`` projects
load theirs; the resources are built from the settings (environment and ``.env``) in
:func:`imdb_tracker.defs.resources.build_resources`, the one configuration path.
"""

import warnings
from pathlib import Path

import dagster as dg

import imdb_tracker.defs
from imdb_tracker.defs.resources import build_resources
from imdb_tracker.settings import get_settings


@dg.definitions
def defs() -> dg.Definitions:
    """Everything in ``imdb_tracker/defs`` plus the resources of this process's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)  # the folder loader's internals are "preview"
        folder = dg.ComponentTree.from_module(
            defs_module=imdb_tracker.defs, project_root=Path(imdb_tracker.defs.__file__).parent.parent
        ).build_defs()
    return dg.Definitions.merge(folder, dg.Definitions(resources=build_resources(get_settings())))
