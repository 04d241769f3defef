"""The per-movie review sync (:mod:`imdb_tracker.tracking`) on the real database and the replica in
Chromium: incremental scrapes, removal evidence, ``last_seen_at`` and the per-movie writer lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from imdb_tracker.db.locks import MovieBusy, movie_writer_lock
from imdb_tracker.db.movies import register_movie
from imdb_tracker.db.reviews import upsert_reviews
from imdb_tracker.db.schema import reviews
from imdb_tracker.imdb import ImdbBrowser
from imdb_tracker.tracking import sync_reviews
from imdb_tracker_dev.replica import Replica
from imdb_tracker_tests.fakes import replica_browser

CLASSIC, REMAKE = "tt0029583", "tt6208148"  # 429 and 2,027 reviews


@pytest.fixture(scope="module")
def browser(module_imdb_replica: Replica) -> Iterator[ImdbBrowser]:
    with replica_browser(module_imdb_replica) as client:
        yield client


def review_state(engine: Engine, review_id: str) -> tuple[datetime | None, int]:
    with engine.connect() as conn:
        row = conn.execute(
            select(reviews.c.removed_at, reviews.c.missed_scrapes).where(reviews.c.review_id == review_id)
        ).one()
    return row.removed_at, row.missed_scrapes


def test_three_new_reviews_cost_one_graphql_request(
    clean_db: Engine, module_imdb_replica: Replica, browser
) -> None:
    full = sync_reviews(browser, clean_db, REMAKE)
    assert (full.counts.new, full.complete, full.stored) == (2027, True, 2027)
    added = [module_imdb_replica.add_review(REMAKE, text=f"New review number {n}.") for n in range(3)]
    module_imdb_replica.reset_counters()

    sync = sync_reviews(browser, clean_db, REMAKE, incremental=True)

    # page 1 (the reviews page itself) holds the 3 new reviews; page 2 (the answer to the page's own
    # "25 more" request) is wholly stored and unchanged: the scrape stops there.
    assert (sync.counts.new, sync.counts.updated, sync.counts.unchanged) == (3, 0, 47)
    assert (sync.complete, sync.removal_evidence, sync.removed, sync.stored) == (False, False, 0, 2030)
    assert (module_imdb_replica.requests["reviews"], module_imdb_replica.requests["graphql"]) == (1, 1)
    with clean_db.connect() as conn:
        stored = set(conn.execute(select(reviews.c.review_id).where(reviews.c.movie_id == REMAKE)).scalars())
    assert {review.review_id for review in added} <= stored

    module_imdb_replica.reset_counters()
    nothing_new = sync_reviews(browser, clean_db, REMAKE, incremental=True)
    assert (nothing_new.counts.new, nothing_new.counts.unchanged) == (0, 25)
    assert (module_imdb_replica.requests["reviews"], module_imdb_replica.requests["graphql"]) == (1, 0)


def test_an_edit_on_the_first_pages_is_caught_by_an_incremental_scrape(
    clean_db: Engine, module_imdb_replica: Replica, browser
) -> None:
    sync_reviews(browser, clean_db, CLASSIC)
    edited = module_imdb_replica.expected_reviews(CLASSIC)[3].review_id
    module_imdb_replica.edit_review(edited, text="Edited after the first scrape.")
    sync = sync_reviews(browser, clean_db, CLASSIC, incremental=True)
    assert (sync.counts.new, sync.counts.updated, sync.scraped) == (0, 1, 50)  # stops after page 2
    with clean_db.connect() as conn:
        text_now = conn.execute(select(reviews.c.text).where(reviews.c.review_id == edited)).scalar_one()
    assert text_now == "Edited after the first scrape."


def test_reviews_served_out_of_date_order_are_all_read_by_an_incremental_scrape(
    clean_db: Engine, fresh_imdb_replica: Replica
) -> None:
    """Were IMDb to ignore ``sort=submission_date``, new reviews (no votes yet) would come last in
    its default order: an incremental scrape that stopped at a stored page would miss them."""
    fresh_imdb_replica.ignores_review_sort = True
    with replica_browser(fresh_imdb_replica) as client:
        full = sync_reviews(client, clean_db, CLASSIC)
        assert (full.complete, full.newest_first, full.removal_evidence) == (True, False, False)
        added = [fresh_imdb_replica.add_review(CLASSIC, text=f"Posted later, number {n}.") for n in range(2)]
        sync = sync_reviews(client, clean_db, CLASSIC, incremental=True)
    assert (sync.counts.new, sync.scraped, sync.stored, sync.newest_first) == (2, 431, 431, False)
    with clean_db.connect() as conn:
        stored = set(conn.execute(select(reviews.c.review_id).where(reviews.c.movie_id == CLASSIC)).scalars())
    assert {review.review_id for review in added} <= stored


def test_a_review_is_removed_after_two_complete_scrapes_missed_it_whatever_the_count_drift(
    clean_db: Engine, fresh_imdb_replica: Replica
) -> None:
    with replica_browser(fresh_imdb_replica) as client:
        sync_reviews(client, clean_db, CLASSIC)
        gone = fresh_imdb_replica.expected_reviews(CLASSIC)[-1].review_id
        fresh_imdb_replica.delete_review(gone)
        fresh_imdb_replica.count_drift = 2  # IMDb announces 430 while its cursor chain returns 428

        partial = sync_reviews(client, clean_db, CLASSIC, max_reviews=100)
        incremental = sync_reviews(client, clean_db, CLASSIC, incremental=True)
        assert not partial.removal_evidence and not incremental.removal_evidence
        assert review_state(clean_db, gone) == (None, 0)

        first = sync_reviews(client, clean_db, CLASSIC)
        assert (first.complete, first.scraped, first.announced) == (True, 428, 430)
        assert first.removal_evidence and first.removed == 0
        assert review_state(clean_db, gone) == (None, 1)  # one complete scrape missed it: not enough

        fresh_imdb_replica.count_drift = 100  # a chain that ends far short of the count is no evidence
        short = sync_reviews(client, clean_db, CLASSIC)
        assert short.complete and not short.removal_evidence and short.removed == 0
        assert review_state(clean_db, gone) == (None, 1)

        fresh_imdb_replica.count_drift = -3
        second = sync_reviews(client, clean_db, CLASSIC)
        assert second.removal_evidence and second.removed == 1 and second.stored == 428
        removed_at, _ = review_state(clean_db, gone)
        assert removed_at is not None
        with clean_db.connect() as conn:
            removed = conn.execute(
                select(func.count()).select_from(reviews).where(reviews.c.removed_at.is_not(None))
            ).scalar_one()
        assert removed == 1  # and no live review was touched


def test_last_seen_at_only_moves_forward(clean_db: Engine, module_imdb_replica: Replica) -> None:
    review = module_imdb_replica.expected_reviews(CLASSIC)[0]
    newer = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with clean_db.begin() as conn:
        register_movie(conn, CLASSIC)
        upsert_reviews(conn, [review], seen_at=newer)
        upsert_reviews(conn, [review], seen_at=newer - timedelta(hours=1))  # an older scrape commits late
    with clean_db.connect() as conn:
        seen = conn.execute(
            select(reviews.c.last_seen_at).where(reviews.c.review_id == review.review_id)
        ).scalar_one()
    assert seen == newer


def test_the_writer_lock_admits_one_writer_per_movie(clean_db: Engine) -> None:
    events: list[tuple[str, float]] = []
    holding = threading.Event()

    def first_writer() -> None:
        with movie_writer_lock(clean_db, CLASSIC):
            events.append(("first in", time.monotonic()))
            holding.set()
            time.sleep(1.0)
            events.append(("first out", time.monotonic()))

    thread = threading.Thread(target=first_writer)
    thread.start()
    holding.wait(10)
    with (
        pytest.raises(MovieBusy, match=f"another run has been writing the reviews of {CLASSIC}"),
        movie_writer_lock(clean_db, CLASSIC, wait_s=0.2),
    ):
        pass
    with movie_writer_lock(clean_db, REMAKE, wait_s=0.2):  # another movie: free
        events.append(("other movie", time.monotonic()))
    with movie_writer_lock(clean_db, CLASSIC, wait_s=30):
        events.append(("second in", time.monotonic()))
    thread.join()
    order = [name for name, _ in sorted(events, key=lambda event: event[1])]
    assert order == ["first in", "other movie", "first out", "second in"]
