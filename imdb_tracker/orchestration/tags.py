"""Run tags read by the run queue in ``dagster.yaml`` (tag concurrency limits)."""

# Every scraping run carries this tag: at most 5 such runs at once.
SCRAPE_TAG = "imdb-tracker/scrape"

# Dagster tags every single-partition run with its partition key; the run queue allows one run per
# movie at a time, so two scrapes of one movie never overlap (later ones wait in the queue).
PARTITION_TAG = "dagster/partition"
