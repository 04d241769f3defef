"""The Dagster shell: assets, resources, sensors and schedules wiring the plain-Python core together."""
