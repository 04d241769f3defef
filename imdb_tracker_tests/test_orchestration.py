"""The Dagster layer end to end: real assets on the replica, the real embedded PostgreSQL, the real
`openai` client against the fake LLM server, sensors and schedules on a real instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from dagster import (
    DagsterInstance,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from sqlalchemy import Engine, func, select, text

from imdb_tracker.db.schema import movie_posters, movie_snapshots, movies, review_sentiments, reviews
from imdb_tracker.defs.movies.assets import (
    movie_metadata,
    movie_reviews,
)
from imdb_tracker.defs.movies.assets import (
    review_sentiments as sentiments_asset,
)
from imdb_tracker.defs.movies.automation import (
    movie_metadata_batch_hourly,
    movie_reviews_batch_daily,
    new_movies_sensor,
    new_reviews_sensor,
)
from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker.sentiment.cache import input_hash
from imdb_tracker.sentiment.models import ReviewInput
from imdb_tracker_dev.fake_openai import FakeOpenAI, start_fake_openai
from imdb_tracker_dev.replica.render import poster_png
from imdb_tracker_dev.replica.server import Replica
from imdb_tracker_tests.conftest import untrack_all_movies
from imdb_tracker_tests.fakes import TEST_RATE
from imdb_tracker_tests.pipeline_support import pipeline_resources

SAMPLE = {"tt0029583": 429, "tt6208148": 2027}
ALL_ASSETS = [movie_metadata, movie_reviews, sentiments_asset]


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeOpenAI]:
    server = start_fake_openai()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def instance(database_urls) -> Iterator[DagsterInstance]:
    with DagsterInstance.get() as inst:
        yield inst


def resources_for(replica: Replica, llm: FakeOpenAI) -> dict[str, object]:
    return pipeline_resources(
        imdb_base_url=replica.base_url,
        imdb_requests_per_second=TEST_RATE,
        imdb_timeout_s=15.0,
        sentiment_backend="openai",
        openai_api_key="sk-test",
        openai_base_url=llm.base_url,
        sentiment_batch_size=20,
    )


def materialize_movie(instance, replica, llm, movie_id, assets=ALL_ASSETS, run_config=None):
    result = materialize(
        assets,
        partition_key=movie_id,
        instance=instance,
        resources=resources_for(replica, llm),
        run_config=run_config,
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def metadata_of(result, asset_name: str) -> dict[str, object]:
    [materialization] = [m for m in result.asset_materializations_for_node(asset_name)]
    return {key: value.value for key, value in materialization.metadata.items()}


def count(engine: Engine, table, movie_id: str, *conditions) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.movie_id == movie_id, *conditions)
        ).scalar_one()


@pytest.fixture(scope="module")
def pipeline_run(database_urls, engine, instance, module_imdb_replica, llm):
    """Both sample movies through the three assets once (shared by the tests below)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE movies, clients RESTART IDENTITY CASCADE"))
    untrack_all_movies()  # the schedules and sensors below see exactly the sample movies
    instance.add_dynamic_partitions(MOVIES_PARTITION, list(SAMPLE))
    results = {
        movie_id: materialize_movie(instance, module_imdb_replica, llm, movie_id) for movie_id in SAMPLE
    }
    return results


def test_first_run_stores_every_sample_review_and_scores_it(
    pipeline_run, engine, llm, module_imdb_replica
) -> None:
    for movie_id, expected in SAMPLE.items():
        assert count(engine, reviews, movie_id) == expected
        assert count(engine, review_sentiments, movie_id) == expected
        assert count(engine, movie_snapshots, movie_id) >= 1
        meta = metadata_of(pipeline_run[movie_id], "movie_reviews")
        assert meta["new"] == expected and meta["complete"] is True and meta["announced"] == expected
        newest = max(r.submitted_at for r in module_imdb_replica.expected_reviews(movie_id))
        assert f"| {newest.isoformat()} |" in meta["newest_reviews"].splitlines()[2]
        scores = metadata_of(pipeline_run[movie_id], "review_sentiments")
        assert scores["scored"] == expected and scores["failed"] == 0
        assert scores["requests"] <= expected / 10  # several reviews per request
        assert scores["cost_usd"] > 0
    with engine.connect() as conn:
        title = conn.execute(select(movies.c.title).where(movies.c.movie_id == "tt0029583")).scalar_one()
    assert title == "Snow White and the Seven Dwarfs"
    for result in pipeline_run.values():
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks == {"review_count_matches_imdb": True, "reviews_scored": True}


def test_metadata_stores_the_poster_so_the_dashboards_outlive_the_site(
    pipeline_run, engine, module_imdb_replica
) -> None:
    for movie_id in SAMPLE:
        stored = metadata_of(pipeline_run[movie_id], "movie_metadata")["poster_stored"]
        assert stored.endswith(
            f"bytes (image/png) from {module_imdb_replica.base_url}/images/{movie_id}.jpg"
        ), stored
    with engine.connect() as conn:
        rows = conn.execute(select(movie_posters.c.movie_id, movie_posters.c.image)).all()
        overview = dict(conn.execute(text("SELECT movie_id, poster_src FROM v_movie_overview")).all())
    assert {movie_id: bytes(image) for movie_id, image in rows} == {m: poster_png(m) for m in SAMPLE}
    assert all(src.startswith("data:image/png;base64,iVBORw0KGgo") for src in overview.values())


def test_second_run_adds_nothing_and_calls_no_model(
    pipeline_run, engine, instance, module_imdb_replica, llm
) -> None:
    calls_before = llm.requests
    result = materialize_movie(instance, module_imdb_replica, llm, "tt0029583")
    assert metadata_of(result, "movie_metadata")["poster_stored"] == "unchanged"
    meta = metadata_of(result, "movie_reviews")
    assert (meta["new"], meta["updated"], meta["unchanged"], meta["removed"]) == (0, 0, 429, 0)
    assert metadata_of(result, "review_sentiments")["scored"] == 0
    assert llm.requests == calls_before
    assert count(engine, reviews, "tt0029583") == 429


def test_edited_review_is_updated_and_rescored(
    pipeline_run, engine, instance, module_imdb_replica, llm
) -> None:
    review_id = module_imdb_replica.expected_reviews("tt0029583")[5].review_id
    module_imdb_replica.edit_review(
        review_id, text="Edited: the songs are wonderful and the animation is gorgeous."
    )
    seen_before = len(llm.reviews_seen)
    result = materialize_movie(instance, module_imdb_replica, llm, "tt0029583")
    assert metadata_of(result, "movie_reviews")["updated"] == 1
    assert metadata_of(result, "review_sentiments")["scored"] == 1
    assert llm.reviews_seen[seen_before:] == [review_id]
    with engine.connect() as conn:
        stored = conn.execute(select(reviews.c.text).where(reviews.c.review_id == review_id)).scalar_one()
        scored_hash = conn.execute(
            select(review_sentiments.c.content_hash).where(review_sentiments.c.review_id == review_id)
        ).scalar_one()
        title = conn.execute(select(reviews.c.title).where(reviews.c.review_id == review_id)).scalar_one()
    # the LLM's fingerprint covers what it reads: title and text (not rating or spoiler flag)
    assert stored.startswith("Edited: the songs") and scored_hash == input_hash(
        ReviewInput(review_id, title, stored), with_rating=False
    )


def test_deleted_review_is_marked_removed_only_after_two_complete_scrapes(
    pipeline_run, engine, instance, module_imdb_replica, llm
):
    review_id = module_imdb_replica.expected_reviews("tt0029583")[-1].review_id
    module_imdb_replica.delete_review(review_id)

    def removal_state() -> tuple[object, int]:
        with engine.connect() as conn:
            row = conn.execute(
                select(reviews.c.removed_at, reviews.c.missed_scrapes).where(reviews.c.review_id == review_id)
            ).one()
        return row.removed_at, row.missed_scrapes

    partial = materialize_movie(
        instance,
        module_imdb_replica,
        llm,
        "tt0029583",
        assets=[movie_reviews],
        run_config={"ops": {"movie_reviews": {"config": {"max_reviews": 100}}}},
    )
    assert metadata_of(partial, "movie_reviews")["complete"] is False
    assert removal_state() == (None, 0)

    first = materialize_movie(instance, module_imdb_replica, llm, "tt0029583", assets=[movie_reviews])
    meta = metadata_of(first, "movie_reviews")
    assert meta["complete"] is True and meta["removal_evidence"] is True and meta["removed"] == 0
    assert removal_state() == (None, 1)  # one complete scrape missed it: not yet evidence enough

    complete = materialize_movie(instance, module_imdb_replica, llm, "tt0029583", assets=[movie_reviews])
    meta = metadata_of(complete, "movie_reviews")
    assert meta["complete"] is True and meta["removed"] == 1
    with engine.connect() as conn:
        removed_at, text_kept = conn.execute(
            select(reviews.c.removed_at, reviews.c.text).where(reviews.c.review_id == review_id)
        ).one()
    assert removed_at is not None and text_kept  # hidden, never deleted
    assert count(engine, reviews, "tt0029583", reviews.c.removed_at.is_(None)) == 428


def test_unknown_movie_fails_clearly_and_writes_nothing(
    database_urls, engine, instance, module_imdb_replica, llm
) -> None:
    instance.add_dynamic_partitions(MOVIES_PARTITION, ["tt9999999"])
    result = materialize(
        [movie_metadata],
        partition_key="tt9999999",
        instance=instance,
        resources=resources_for(module_imdb_replica, llm),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "IMDb has no title tt9999999" in failure.step_failure_data.error.message
    assert count(engine, movie_snapshots, "tt9999999") == 0
    instance.delete_dynamic_partition(MOVIES_PARTITION, "tt9999999")


# --- automation: schedules and sensors on the real instance -----------------------------------


def test_hourly_schedule_requests_each_movie_once_per_tick(pipeline_run, instance) -> None:
    tick = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    resources = {"batching": pipeline_resources()["batching"]}

    # Each context is closed: the instance it opens from the reference is then closed too (left
    # open, that instance stays Dagster's current one after it is gone, and load_defs() fails later).
    def hourly() -> list:
        with build_schedule_context(
            instance=instance, scheduled_execution_time=tick, resources=resources
        ) as context:
            return list(movie_metadata_batch_hourly(context))

    requests = hourly()
    batched = [
        m for r in requests for m in r.run_config["ops"]["movie_metadata_batch"]["config"]["movie_ids"]
    ]
    assert batched == sorted(instance.get_dynamic_partitions(MOVIES_PARTITION))  # each movie in one batch
    again = hourly()
    assert [r.run_key for r in again] == [r.run_key for r in requests]  # same tick, same keys: deduplicated
    assert len({r.run_key for r in requests}) == len(requests)
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=tick,
        resources={**resources, "database": pipeline_resources()["database"]},
    ) as context:
        daily = list(movie_reviews_batch_daily(context))
    assert [
        m for r in daily for m in r.run_config["ops"]["movie_reviews_batch"]["config"]["movie_ids"]
    ] == batched


def test_new_reviews_sensor_requests_a_scrape_once_per_announcement(pipeline_run, engine, instance) -> None:
    def tick(cursor=None):
        with build_sensor_context(
            instance=instance, cursor=cursor, resources={"database": pipeline_resources()["database"]}
        ) as ctx:
            return new_reviews_sensor(ctx)

    first = tick()
    # tt6208148 is fully stored (tt0029583 may lag by the review deleted in an earlier test).
    assert "tt6208148" not in {r.partition_key for r in first.run_requests}
    with engine.begin() as conn:
        conn.execute(
            movie_snapshots.insert().values(
                movie_id="tt6208148", taken_at=datetime.now(UTC), review_count=2030
            )
        )
    second = tick(first.cursor)
    assert [(r.partition_key, r.run_key) for r in second.run_requests] == [("tt6208148", "tt6208148:2030")]
    assert second.run_requests[0].run_config == {"ops": {"movie_reviews": {"config": {"incremental": True}}}}
    third = tick(second.cursor)
    assert third.run_requests == []  # repeated tick: no duplicate
    with engine.begin() as conn:
        conn.execute(movie_snapshots.delete().where(movie_snapshots.c.review_count == 2030))


def test_new_movies_sensor_requests_metadata_for_added_movies_once(pipeline_run, instance) -> None:
    first = new_movies_sensor(build_sensor_context(instance=instance))
    assert {r.partition_key for r in first.run_requests} == set(
        instance.get_dynamic_partitions(MOVIES_PARTITION)
    )
    instance.add_dynamic_partitions(MOVIES_PARTITION, ["tt0033467"])
    try:
        second = new_movies_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.partition_key for r in second.run_requests] == ["tt0033467"]
        third = new_movies_sensor(build_sensor_context(instance=instance, cursor=second.cursor))
        assert third.run_requests == []
        # Removed, then added again: scraped again at once.
        instance.delete_dynamic_partition(MOVIES_PARTITION, "tt0033467")
        fourth = new_movies_sensor(build_sensor_context(instance=instance, cursor=third.cursor))
        instance.add_dynamic_partitions(MOVIES_PARTITION, ["tt0033467"])
        fifth = new_movies_sensor(build_sensor_context(instance=instance, cursor=fourth.cursor))
        assert [r.partition_key for r in fifth.run_requests] == ["tt0033467"]
    finally:
        instance.delete_dynamic_partition(MOVIES_PARTITION, "tt0033467")


def test_sentiments_follow_new_reviews_through_eager_automation(
    pipeline_run, instance, module_imdb_replica, llm
) -> None:
    from dagster import AssetSelection, evaluate_automation_conditions

    from imdb_tracker.definitions import defs as load_defs

    defs = load_defs()
    selection = AssetSelection.assets(sentiments_asset)
    baseline = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection)
    materialize_movie(instance, module_imdb_replica, llm, "tt0029583", assets=[movie_reviews])
    after = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=baseline.cursor
    )
    assert after.get_requested_partitions(sentiments_asset.key) == {"tt0029583"}
    settled = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=after.cursor
    )
    assert settled.total_requested == 0


def test_scrape_runs_are_tagged_for_the_run_queue() -> None:
    import yaml

    from imdb_tracker.defs.movies.automation import movie_metadata_job, movie_reviews_job
    from imdb_tracker.defs.partitions import PARTITION_TAG, SCRAPE_TAG
    from imdb_tracker_tests.conftest import REPO

    limits = yaml.safe_load((REPO / "dagster.yaml").read_text())["run_queue"]["tag_concurrency_limits"]
    assert {"key": SCRAPE_TAG, "limit": 5} in limits
    assert {"key": PARTITION_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    assert SCRAPE_TAG in movie_metadata_job.tags and SCRAPE_TAG in movie_reviews_job.tags
    assert json.dumps(limits)


def test_run_command_materializes_tracked_movies_with_the_definitions_resources(
    pipeline_run, engine, instance, module_imdb_replica
) -> None:
    from imdb_tracker_tests.cli_support import run_cli

    env = {
        "IMDB_BASE_URL": module_imdb_replica.base_url,
        "IMDB_REQUESTS_PER_SECOND": "50",
        "SENTIMENT_BACKEND": "offline",
    }
    assert run_cli("run", "tt12", env=env).returncode == 2
    untracked = run_cli("run", "tt0111161", env=env)
    assert untracked.returncode == 2 and "not tracked: tt0111161" in untracked.stderr
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM review_sentiments WHERE movie_id = 'tt0029583'"))
    result = run_cli("run", "tt0029583", env=env)
    assert result.returncode == 0, result.stderr
    assert "tt0029583: done" in result.stdout
    with engine.connect() as conn:
        backends = conn.execute(
            text("SELECT backend, count(*) FROM review_sentiments WHERE movie_id = 'tt0029583' GROUP BY 1")
        ).all()
    assert backends == [("offline", count(engine, reviews, "tt0029583", reviews.c.removed_at.is_(None)))]
