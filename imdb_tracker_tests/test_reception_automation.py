"""When the reception assets run by themselves: after a movie's reviews and sentiments, never after
each hourly metadata refresh (with thousands of movies that would be a run per movie an hour)."""

from __future__ import annotations

import dagster as dg
import pytest

from imdb_tracker.defs.movies.assets import movie_metadata, movie_reviews, review_sentiments
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker.defs.reception.assets import aspect_quotes, reception_signals
from imdb_tracker.defs.resources import build_resources
from imdb_tracker.settings import Settings

MOVIE = "tt0029583"
ASSETS = [movie_metadata, movie_reviews, review_sentiments, reception_signals, aspect_quotes]
DEFS = dg.Definitions(assets=ASSETS, resources=build_resources(Settings()))

pytestmark = pytest.mark.fast


def _requested(result: dg.EvaluateAutomationConditionsResult, asset: dg.AssetsDefinition) -> int:
    return result.get_num_requested(asset.key)


def _materialized(instance: dg.DagsterInstance, *assets: dg.AssetsDefinition) -> None:
    for asset in assets:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset.key, partition=MOVIE))


def test_reception_follows_reviews_and_sentiments_not_each_metadata_refresh() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MOVIES_PARTITION, [MOVIE])
        _materialized(instance, *ASSETS)
        cursor = dg.evaluate_automation_conditions(defs=DEFS, instance=instance).cursor

        _materialized(instance, movie_metadata)  # the hourly refresh
        after_metadata = dg.evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=cursor)
        assert _requested(after_metadata, reception_signals) == 0

        _materialized(instance, movie_reviews, review_sentiments)  # new reviews, scored
        after_reviews = dg.evaluate_automation_conditions(
            defs=DEFS, instance=instance, cursor=after_metadata.cursor
        )
        assert _requested(after_reviews, reception_signals) == 1
        assert _requested(after_reviews, aspect_quotes) == 1

        _materialized(instance, reception_signals, aspect_quotes)  # the requested run
        done = dg.evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=after_reviews.cursor)
        _materialized(instance, review_sentiments)  # re-scored alone (another backend or model)
        after_scores = dg.evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=done.cursor)
        assert _requested(after_scores, aspect_quotes) == 1  # a quote takes its review's stored side
