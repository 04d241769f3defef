"""The ``movies`` dynamic partitions: the one source of truth for which movies are tracked."""

from dagster import DynamicPartitionsDefinition

MOVIES_PARTITION = "movies"

movies_partitions = DynamicPartitionsDefinition(name=MOVIES_PARTITION)
