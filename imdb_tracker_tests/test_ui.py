"""`imdb-tracker ui` (what `make up` runs): the Dagster webserver on 127.0.0.1 serving our definitions
from the same instance as the CLI."""

from __future__ import annotations

from imdb_tracker.defs.partitions import MOVIES_PARTITION
from imdb_tracker_dev.processes import stop_process_group
from imdb_tracker_tests.cli_support import (
    free_port,
    graphql,
    partition_names,
    start_ui,
    wait_for_graphql,
)


def resource_values(port: int, resource: str) -> dict[str, tuple[str, str]]:
    """``{field: (type, value)}`` of a top-level resource as the UI's resource page shows it."""
    data = graphql(
        port,
        '{ topLevelResourceDetailsOrError(resourceSelector: {repositoryName: "__repository__", '
        f'repositoryLocationName: "imdb_tracker", resourceName: "{resource}"}}) '
        "{ ... on ResourceDetails { configuredValues { key value type } } } }",
    )
    return {
        v["key"]: (v["type"], v["value"]) for v in data["topLevelResourceDetailsOrError"]["configuredValues"]
    }


def test_ui_serves_the_assets_and_the_cli_partitions(no_tracked_movies, database_urls) -> None:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(MOVIES_PARTITION, ["tt0033467"])
    port = free_port()
    # Nothing to scrape from here; an API key from the environment, which the UI must not show.
    server = start_ui(port, IMDB_BASE_URL="http://127.0.0.1:9", OPENAI_API_KEY="sk-ui-secret-42")
    try:
        assets = wait_for_graphql(port)
        names = {node["assetKey"]["path"][0] for node in assets}
        assert {"movie_metadata", "movie_reviews", "review_sentiments", "database_backup"} <= names
        names = partition_names(port)
        assert names == ["tt0033467"]
        # The resource page shows the settings in force, and only the name of a secret.
        imdb, sentiment = (resource_values(port, name) for name in ("imdb", "sentiment"))
        assert imdb["base_url"] == ("VALUE", '"http://127.0.0.1:9"')
        assert imdb["requests_per_second"] == ("VALUE", "2.0")
        assert sentiment["backend"] == ("VALUE", '"openai"') and sentiment["model"] == (
            "VALUE",
            '"gpt-4o-mini"',
        )
        assert sentiment["api_key"] == ("ENV_VAR", "OPENAI_API_KEY")
    finally:
        stop_process_group(server)
        with DagsterInstance.get() as instance:
            instance.delete_dynamic_partition(MOVIES_PARTITION, "tt0033467")
