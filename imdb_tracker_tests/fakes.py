"""Pytest fixtures for the two stand-ins of :mod:`imdb_tracker_dev`: the IMDb replica and the fake
OpenAI server (a pytest plugin of ``conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from imdb_tracker.imdb import ImdbBrowser
from imdb_tracker_dev.fake_openai import FakeOpenAI, start_fake_openai
from imdb_tracker_dev.replica.server import Replica, start_replica

TEST_RATE = 50.0
"""Requests per second the tests allow the client (the default of 2 would make them slow)."""


def replica_browser(replica: Replica, **options: object) -> ImdbBrowser:
    """A fast, patient-enough client for ``replica`` (use as a context manager)."""
    settings: dict[str, object] = {
        "requests_per_second": TEST_RATE,
        "timeout_s": 10.0,
        "max_retries": 5,
        "retry_base_delay_s": 0.02,
        "max_retry_delay_s": 2.0,
    }
    settings.update(options)
    return ImdbBrowser(replica.base_url, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def imdb_replica() -> Iterator[Replica]:
    """One replica for the whole session with the two sample movies; tests must not mutate it."""
    replica = start_replica()
    yield replica
    replica.stop()


@pytest.fixture(scope="module")
def module_imdb_replica() -> Iterator[Replica]:
    """A replica of its own for a test module whose tests change its reviews (edits, deletions,
    additions) and share what the earlier ones left."""
    replica = start_replica()
    yield replica
    replica.stop()


@pytest.fixture
def fresh_imdb_replica() -> Iterator[Replica]:
    """A replica of its own for a test that changes options or reviews."""
    replica = start_replica()
    yield replica
    replica.stop()


@pytest.fixture(scope="module")
def imdb_client(imdb_replica: Replica) -> Iterator[ImdbBrowser]:
    """One Chromium per test module, pointed at the session replica."""
    with replica_browser(imdb_replica) as browser:
        yield browser


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A default fake server, stopped after the test; change its settings inside the test."""
    server = start_fake_openai()
    yield server
    server.stop()
