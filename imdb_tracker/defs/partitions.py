"""The ``movies`` dynamic partitions (the one list of tracked movies) and the run tags the run
queue limits by (``dagster.yaml``)."""

import dagster as dg

MOVIES_PARTITION = "movies"

movies_partitions = dg.DynamicPartitionsDefinition(name=MOVIES_PARTITION)

SCRAPE_TAG = "imdb-tracker/scrape"
"""Every scraping run carries this tag: at most 5 such runs at once."""

PARTITION_TAG = "dagster/partition"
"""Dagster tags every single-partition run with its partition key; the run queue allows one run per
movie at a time, so two scrapes of one movie never overlap (later ones wait in the queue)."""


def tracked_movies(instance: dg.DagsterInstance) -> list[str]:
    """Ids of the tracked movies (the partition keys), sorted."""
    return sorted(instance.get_dynamic_partitions(MOVIES_PARTITION))
