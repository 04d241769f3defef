"""Sentiment storage on the real PostgreSQL: the SQL fingerprint equals the Python one, what each
backend re-scores, bounded retries of failing reviews, provenance, and migration 0003."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text, update

from imdb_tracker.db import migrate
from imdb_tracker.db.schema import movies, review_sentiments, reviews, sentiment_failures
from imdb_tracker.db.sentiments import input_hash_sql, iter_reviews_to_score, score_movie
from imdb_tracker.db.server import DatabaseUrls, ensure_database
from imdb_tracker.imdb.models import review_content_hash
from imdb_tracker.sentiment import OfflineAnalyser, OpenAIBackend, ReviewInput
from imdb_tracker.sentiment.cache import input_hash
from imdb_tracker.sentiment.models import AspectScores, ProgressCallback, ScoringRun, SentimentResult
from imdb_tracker.sentiment.offline import OFFLINE_VERSION

MOVIE = "tt0000001"
REVIEWS = [
    ("rw1", "Loved it", "The acting is superb and the music wonderful.", 9),
    ("rw2", None, "Boring plot, awful dialogue. Café crème, 😀 and \u00e9.", None),
    ("rw3", "Meh", "The effects were cheap.\nThe ending was fine.", 4),
]


def _insert_reviews(engine: Engine) -> None:
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(movies).values(movie_id=MOVIE, title="A movie"))
        conn.execute(
            insert(reviews),
            [
                {
                    "review_id": review_id,
                    "movie_id": MOVIE,
                    "author": "someone",
                    "rating": rating,
                    "title": title,
                    "text": body,
                    "submitted_at": date(2026, 10, 1),
                    "first_seen_at": seen,
                    "last_seen_at": seen,
                    "content_hash": review_content_hash(title, body, rating, False),
                }
                for review_id, title, body, rating in REVIEWS
            ],
        )


@pytest.fixture
def stored(clean_db: Engine) -> Engine:
    _insert_reviews(clean_db)
    return clean_db


class FlakyBackend:
    """Scores like the offline analyser but fails the reviews in ``failing``."""

    name = "openai"
    model = "fake-model"
    prompt_version = "aspects-v2"

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.seen: list[str] = []
        self._offline = OfflineAnalyser()

    def score(self, batch: Sequence[ReviewInput], progress: ProgressCallback | None = None) -> ScoringRun:
        self.seen += [review.review_id for review in batch]
        results = [
            SentimentResult(r.review_id, None, "HTTP 400 from the API: bad request")
            if r.review_id in self.failing
            else SentimentResult(r.review_id, self._offline.analyse(r))
            for r in batch
        ]
        return ScoringRun(results)


def _to_score(engine: Engine, backend: object, max_attempts: int = 3) -> list[str]:
    batches = iter_reviews_to_score(
        engine, MOVIE, backend.name, backend.model, backend.prompt_version, max_attempts=max_attempts
    )
    return [review.review_id for batch in batches for review in batch]


def test_the_sql_input_hash_equals_the_python_one(stored: Engine) -> None:
    with stored.connect() as conn:
        rows = conn.execute(
            select(reviews.c.review_id, input_hash_sql(False), input_hash_sql(True)).order_by(
                reviews.c.review_id
            )
        ).all()
    for (review_id, title, body, rating), (stored_id, without, with_rating) in zip(
        REVIEWS, rows, strict=True
    ):
        review = ReviewInput(review_id, title, body, rating=rating)
        assert (stored_id, without, with_rating) == (
            review_id,
            input_hash(review, False),
            input_hash(review, True),
        )


def test_a_rating_or_spoiler_change_rescores_offline_for_free_but_never_the_llm(stored: Engine) -> None:
    offline, llm = OfflineAnalyser(), FlakyBackend(set())
    score_movie(stored, MOVIE, offline)
    assert _to_score(stored, offline) == []
    with stored.begin() as conn:
        conn.execute(update(reviews).where(reviews.c.review_id == "rw3").values(rating=10, spoiler=True))
    assert _to_score(stored, offline) == ["rw3"]  # offline's overall follows the stars

    assert score_movie(stored, MOVIE, llm).scored == 3
    assert _to_score(stored, llm) == []
    with stored.begin() as conn:
        conn.execute(update(reviews).where(reviews.c.review_id == "rw1").values(rating=1, spoiler=True))
    assert _to_score(stored, llm) == []  # the LLM never saw the rating or the spoiler flag
    with stored.begin() as conn:
        conn.execute(update(reviews).where(reviews.c.review_id == "rw1").values(title="Hated it"))
    assert _to_score(stored, llm) == ["rw1"]


def test_a_failing_review_is_retried_max_attempts_times_then_reported(stored: Engine) -> None:
    backend = FlakyBackend({"rw2"})
    outcomes = [score_movie(stored, MOVIE, backend, max_attempts=2) for _ in range(3)]
    assert backend.seen == ["rw1", "rw2", "rw3", "rw2"]  # third run sends nothing
    assert [(o.scored, o.failed_now, o.failures.retrying, o.failures.given_up) for o in outcomes] == [
        (2, 1, 1, 0),
        (0, 1, 0, 1),
        (0, 0, 0, 1),
    ]
    assert outcomes[2].failures.given_up_examples == ["rw2: HTTP 400 from the API: bad request"]
    with stored.connect() as conn:
        failure = conn.execute(select(sentiment_failures)).one()
    assert (failure.review_id, failure.attempts, failure.backend) == ("rw2", 2, "openai")
    # an edit gives the review a new chance, and a success forgets the failure
    with stored.begin() as conn:
        conn.execute(update(reviews).where(reviews.c.review_id == "rw2").values(text="Fixed text."))
    assert _to_score(stored, backend, max_attempts=2) == ["rw2"]
    backend.failing.clear()
    assert score_movie(stored, MOVIE, backend, max_attempts=2).scored == 1
    with stored.connect() as conn:
        assert conn.execute(select(sentiment_failures)).all() == []


def test_score_movie_says_where_the_scores_come_from(stored: Engine) -> None:
    offline = OfflineAnalyser()
    outcome = score_movie(stored, MOVIE, offline)
    meta = outcome.metadata()
    assert (meta["sentiment_backend"], meta["sentiment_model"], meta["sentiment_version"]) == (
        "offline",
        offline.model,
        OFFLINE_VERSION,
    )
    assert "Maas et al., ACL 2011" in meta["sentiment_description"]
    assert meta["score_providers"] == f"offline/{offline.model} ({OFFLINE_VERSION}): 3"
    assert meta["scored"] == 3 and meta["failed_given_up"] == 0 and meta["cost_usd"] == 0.0
    llm = OpenAIBackend(api_key="sk-unused")
    assert llm.name == "openai"  # kinds of the asset must not claim "openai" for offline runs
    with stored.connect() as conn:
        rows = conn.execute(select(review_sentiments.c.backend, review_sentiments.c.model)).all()
    assert set(rows) == {("offline", offline.model)}


def test_migration_0003_keeps_llm_scores_valid_and_adds_the_failures_table(
    database_urls: DatabaseUrls,
) -> None:
    admin_url = (
        database_urls.tracker.rsplit("/", 1)[0] + "/postgres?" + database_urls.tracker.split("?", 1)[1]
    )
    ensure_database(admin_url, "sentiment_migration_check")
    url = database_urls.tracker.replace("/imdb_tracker?", "/sentiment_migration_check?")
    migrate.upgrade(url)
    migrate.downgrade(url, "0002")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE movies CASCADE"))
        _insert_reviews(engine)
        scores = AspectScores(
            storytelling=1, acting=None, cinematography=None, music_sound=None, themes=None, overall=1
        )
        with engine.begin() as conn:
            whole_review_hash = {
                row.review_id: row.content_hash
                for row in conn.execute(select(reviews.c.review_id, reviews.c.content_hash))
            }
            for review_id, backend in (("rw1", "openai"), ("rw3", "offline")):
                conn.execute(
                    text(
                        "INSERT INTO review_sentiments (review_id, movie_id, storytelling, overall, backend, "
                        "model, prompt_version, content_hash) VALUES (:r, :m, :s, :o, :b, 'x', 'v', :h)"
                    ),
                    {
                        "r": review_id,
                        "m": MOVIE,
                        "s": scores.storytelling,
                        "o": 1,
                        "b": backend,
                        "h": whole_review_hash[review_id],
                    },
                )
        migrate.upgrade(url)
        with engine.connect() as conn:
            hashes = dict(conn.execute(text("SELECT review_id, content_hash FROM review_sentiments")).all())
            assert conn.execute(text("SELECT count(*) FROM sentiment_failures")).scalar_one() == 0
        title, body = REVIEWS[0][1], REVIEWS[0][2]
        assert hashes["rw1"] == input_hash(ReviewInput("rw1", title, body), False)  # no paid re-score
        assert hashes["rw3"] == whole_review_hash["rw3"]  # offline is re-scored anyway (new version)
        migrate.downgrade(url, "0002")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('sentiment_failures')")).scalar_one() is None
    finally:
        engine.dispose()
