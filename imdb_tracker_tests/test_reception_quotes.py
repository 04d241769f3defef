"""What people say about each aspect: quote ranking and deduplication (pure), the analyser's public
sentence-to-aspect assignment, and the ``aspect_quotes`` asset on PostgreSQL, offline and with the
LLM summaries against the fake OpenAI server (batched, cached on the reviews, costed)."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import Engine, text

from imdb_tracker.defs.reception.assets import aspect_quotes
from imdb_tracker.imdb.models import review_content_hash
from imdb_tracker.reception.quotes import QuoteSource, candidates, pick, similarity, words
from imdb_tracker.reception.summaries import AspectSummariser, reviews_hash, user_message
from imdb_tracker.sentiment.models import ASPECTS, Prices, ReviewInput
from imdb_tracker.sentiment.offline import AspectSentence, OfflineAnalyser
from imdb_tracker_dev.fake_openai import FakeOpenAI, summarise_quotes
from imdb_tracker_tests.pipeline_support import pipeline_resources
from imdb_tracker_tests.sample_data import load_sample, sample_reviews

OLD, NEW = "tt0029583", "tt6208148"


def source(
    review_id: str, text: str, up: int = 0, down: int = 0, rating: int | None = None, **kw
) -> QuoteSource:
    return QuoteSource(review_id, None, text, rating, up, down, kw.get("spoiler", False), f"hash-{review_id}")


def fixed(logits: dict[str, float], review_score: int | None = None):
    """An assignment that gives every sentence of a review the acting log-odds listed for it, and
    the review an acting score of ``review_score`` (default: the side of each sentence)."""

    def assign(review: ReviewInput) -> list[AspectSentence]:
        return [
            AspectSentence(
                "acting", s, logits[s], (1 if logits[s] > 0 else -1) if review_score is None else review_score
            )
            for s in review.text.split("\n")
            if s in logits
        ]

    return assign


# --- ranking and deduplication (pure) -------------------------------------------------------------

GOOD = "The lead actress gives a warm, precise and very funny performance."
GREAT = "The whole cast is superb, every single performance lands perfectly."
COPY = "The whole cast is superb, every single performance lands perfectly!!"
BAD = "The acting is wooden and nobody seems to believe a word they say."


@pytest.mark.fast
def test_helpful_strong_sentences_come_first_and_near_duplicates_count_once() -> None:
    reviews = [
        source("rw1", GOOD, up=40, down=2),
        source("rw2", GREAT, up=0, down=0),
        source("rw3", COPY, up=1, down=0),  # a lightly edited copy of rw2
        source("rw4", BAD, up=10, down=1),
    ]
    ranked = candidates(reviews, fixed({GOOD: 2.0, GREAT: 2.5, COPY: 2.5, BAD: -3.0}))
    chosen = pick(ranked, per_side=3)
    # 2.0 × 41/44 = 1.86 beats 2.5 × 2/3 = 1.67 (the copy, one helpful vote) beats 2.5 × 1/2:
    # helpfulness counts, and the original of the copy is then a near-duplicate.
    assert [c.source.review_id for c in chosen[("acting", "positive")]] == ["rw1", "rw3"]
    assert [c.sentence for c in chosen[("acting", "negative")]] == [BAD]
    assert similarity(words(GREAT), words(COPY)) == 1.0


@pytest.mark.fast
def test_spoilers_fragments_weak_and_contradicted_sentences_are_held_back() -> None:
    praise_in_a_1_star_review = "The acting is the only good thing in this whole sorry film."
    reviews = [
        source("rw1", GOOD, spoiler=True),
        source("rw2", "Great acting.\n" + BAD),  # too short to quote
        source("rw3", GREAT),
        source("rw4", praise_in_a_1_star_review, rating=1),
        source("rw5", "The performances are fine I suppose, nothing more to say here."),
    ]
    logits = {GOOD: 3.0, "Great acting.": 3.0, BAD: -2.0, GREAT: 1.5, praise_in_a_1_star_review: 2.0}
    ranked = candidates(reviews, fixed({**logits, reviews[4].text: 0.4}))
    assert [(c.source.review_id, c.polarity) for c in ranked] == [
        ("rw2", "negative"),
        ("rw3", "positive"),
        ("rw4", "positive"),  # 2.0 × 0.5 × 0.5 (contradicts its 1★) ranks after 1.5 × 0.5
    ]
    assert pick(ranked, per_side=1)[("acting", "positive")][0].source.review_id == "rw3"


@pytest.mark.fast
def test_a_sentence_is_quoted_only_on_the_side_of_its_reviews_score_of_the_aspect() -> None:
    review = source("rw1", f"{GOOD}\n{BAD}")
    sides = {
        score: [c.polarity for c in candidates([review], fixed({GOOD: 2.0, BAD: -3.0}, score))]
        for score in (-2, -1, 0, 1, 2)
    }
    assert sides == {
        -2: ["negative"],
        -1: ["negative"],
        0: [],  # a mixed verdict on the aspect gives no quote on either side
        1: ["positive"],
        2: ["positive"],
    }


@pytest.mark.fast
def test_a_stored_score_decides_the_side_where_the_review_has_one() -> None:
    def sides(scores):
        review = QuoteSource("rw1", None, f"{GOOD}\n{BAD}", None, 0, 0, False, "h", scores)
        return [c.polarity for c in candidates([review], fixed({GOOD: 2.0, BAD: -3.0}, review_score=2))]

    stored = dict.fromkeys(ASPECTS, 1)
    assert sides(None) == ["positive"]  # nothing stored yet: the analyser's own score of the review
    assert sides(stored | {"acting": -1}) == ["negative"]  # the stored score, e.g. the LLM's, wins
    assert sides(stored | {"acting": 0}) == []  # stored as mixed
    assert sides(stored | {"acting": None}) == []  # stored as not judged


@pytest.mark.fast
def test_praise_the_analyser_outweighs_is_not_quoted() -> None:
    praise = "The lead actress gives a brilliant, wonderful and moving performance."
    text = (
        f"{praise} Sadly the rest of the acting is awful, wooden and laughable. "
        "Terrible actors, dreadful casting, the worst performances of the year."
    )
    analyser = OfflineAnalyser()
    assigned = analyser.aspect_sentences(ReviewInput("rw1", None, text))
    first = assigned[0]
    assert (first.sentence, first.logit >= 1.0, first.review_score) == (praise, True, -2)
    ranked = candidates([source("rw1", text)], analyser.aspect_sentences)
    assert [(c.aspect, c.polarity) for c in ranked] == [("acting", "negative"), ("acting", "negative")]


@pytest.mark.fast
def test_one_review_gives_at_most_one_quote_per_side() -> None:
    both = f"{GOOD}\n{GREAT}"
    chosen = pick(candidates([source("rw1", both)], fixed({GOOD: 2.0, GREAT: 2.5})), per_side=3)
    assert [c.sentence for c in chosen[("acting", "positive")]] == [GREAT]


@pytest.mark.fast
def test_the_analysers_sentences_are_the_ones_its_scores_come_from() -> None:
    analyser = OfflineAnalyser()
    reviews = [r for r in sample_reviews() if r["movie_id"] == OLD][:120]
    for row in reviews:
        review = ReviewInput(row["review_id"], row["title"], row["text"], row["rating"])
        scores = analyser.analyse(review).to_dict()
        assigned = analyser.aspect_sentences(review)
        assert {a.aspect for a in assigned} == {a for a in ASPECTS if scores[a] is not None}, row["review_id"]
        assert all(a.review_score == scores[a.aspect] for a in assigned), row["review_id"]
    sentence = analyser.aspect_sentences(
        ReviewInput("rw1", None, "Great plot. The songs were awful and forgettable.")
    )
    assert [(a.aspect, a.logit > 0) for a in sentence] == [("storytelling", True), ("music_sound", False)]


@pytest.mark.fast
def test_the_summary_cache_key_is_the_set_of_reviews_and_their_content() -> None:
    ranked = candidates([source("rw1", GOOD), source("rw2", BAD)], fixed({GOOD: 2.0, BAD: -2.0}))
    assert reviews_hash(ranked) == reviews_hash(list(reversed(ranked)))
    edited = candidates(
        [source("rw1", GOOD), QuoteSource("rw2", None, BAD, None, 0, 0, False, "edited")],
        fixed({GOOD: 2.0, BAD: -2.0}),
    )
    assert reviews_hash(edited) != reviews_hash(ranked)
    message = user_message("Film (2000)", pick(ranked, 3))
    assert message.splitlines()[:4] == ["Film: Film (2000)", "", "## acting", f'+ "{GOOD}"']
    assert summarise_quotes(message) == [
        {
            "aspect": "acting",
            "summary": f"1 quotes praise the acting, 1 criticise it. Praise: {GOOD} Criticism: {BAD}",
        }
    ]


def test_summaries_come_from_a_reasoning_model_without_structured_outputs(fake_openai: FakeOpenAI) -> None:
    fake_openai.refused_parameters = {"response_format", "temperature"}
    fake_openai.reasoning_tokens = 600  # more than the 140 output tokens asked for one aspect
    summariser = AspectSummariser(
        api_key="sk-test", base_url=fake_openai.base_url, model="m", prices=Prices()
    )
    evidence = pick(candidates([source("rw1", GOOD), source("rw2", BAD)], fixed({GOOD: 2.0, BAD: -2.0})), 3)
    expected = {"acting": summarise_quotes(user_message("Film (2000)", evidence))[0]["summary"]}
    assert summariser.summarise("Film (2000)", evidence).summaries == expected
    assert summariser.summarise("Film (2000)", evidence).summaries == expected
    # Refused once per parameter, cut off once by the thinking, then answered twice.
    assert fake_openai.answered_statuses == [400, 400, 200, 200, 200]


# --- the asset on PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
def instance(sample_partitions: DagsterInstance) -> DagsterInstance:
    return sample_partitions


def run(instance: DagsterInstance, movie_id: str, **settings):
    result = materialize(
        [aspect_quotes], partition_key=movie_id, instance=instance, resources=pipeline_resources(**settings)
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("aspect_quotes")
    return {key: value.value for key, value in materialization.metadata.items()}


def quotes(engine: Engine, movie_id: str) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT * FROM v_aspect_quotes WHERE movie_id = :m "
                    "ORDER BY aspect_order, polarity DESC, rank"
                ),
                {"m": movie_id},
            )
        )


def quote_key(row) -> tuple:
    """What a stored quote is, without when it was chosen."""
    return (row.aspect, row.polarity, row.rank, row.review_id, row.sentence)


def test_offline_quotes_are_stored_per_aspect_and_side_with_their_review(clean_db: Engine, instance) -> None:
    load_sample(clean_db)
    metadata = run(instance, NEW, sentiment_backend="offline")
    rows = quotes(clean_db, NEW)
    assert metadata["quotes"] == len(rows) and metadata["summaries"] == "off (offline backend)"
    by_side: dict[tuple[str, str], list] = {}
    for row in rows:
        by_side.setdefault((row.aspect, row.polarity), []).append(row)
    assert {aspect for aspect, _ in by_side} == set(ASPECTS)
    texts = {r["review_id"]: r["text"] for r in sample_reviews()}
    for kept in by_side.values():
        assert [r.rank for r in kept] == list(range(1, len(kept) + 1)) and len(kept) <= 3
        assert len({r.review_id for r in kept}) == len(kept)
        assert all(r.strength >= 1.0 for r in kept)
        assert all(r.sentence.split()[0] in texts[r.review_id] for r in kept)  # quoted from that review
        assert all(r.review_url == f"https://www.imdb.com/review/{r.review_id}/" for r in kept)
    assert [r.score for r in by_side[("acting", "negative")]] == sorted(
        (r.score for r in by_side[("acting", "negative")]), reverse=True
    )
    assert rows[0].movie == "Snow White (2025)" and rows[0].aspect_summary is None
    assert "**acting**" in metadata["quotes_by_aspect"] and rows[0].sentence in metadata["quotes_by_aspect"]


def test_quotes_take_the_side_of_the_stored_scores_and_the_analysers_where_none_is_stored(
    clean_db: Engine, instance
) -> None:
    load_sample(clean_db)  # with the offline analyser's scores stored, as the pipeline stores them
    run(instance, OLD, sentiment_backend="offline")
    analysers = quotes(clean_db, OLD)
    with clean_db.begin() as conn:  # as if another backend (an LLM) had read every review otherwise
        conn.execute(
            text("UPDATE review_sentiments SET acting = -acting WHERE movie_id = :m AND acting <> 0"),
            {"m": OLD},
        )
    run(instance, OLD, sentiment_backend="offline")
    flipped = [row for row in quotes(clean_db, OLD) if row.aspect == "acting"]
    with clean_db.connect() as conn:
        stored = dict(
            conn.execute(
                text("SELECT review_id, acting FROM review_sentiments WHERE movie_id = :m"), {"m": OLD}
            ).all()
        )
    assert {row.polarity for row in flipped} == {"positive", "negative"}
    assert all((stored[row.review_id] > 0) == (row.polarity == "positive") for row in flipped)

    with clean_db.begin() as conn:  # nothing stored: the analyser reads each review itself
        conn.execute(text("DELETE FROM review_sentiments WHERE movie_id = :m"), {"m": OLD})
    run(instance, OLD, sentiment_backend="offline")
    assert [quote_key(r) for r in quotes(clean_db, OLD)] == [quote_key(r) for r in analysers]


def test_llm_summaries_are_batched_cached_on_their_reviews_and_costed(
    clean_db: Engine, instance, fake_openai: FakeOpenAI
) -> None:
    load_sample(clean_db)
    llm = {
        "sentiment_backend": "openai",
        "openai_api_key": "sk-test",
        "openai_base_url": fake_openai.base_url,
    }
    first = run(instance, OLD, **llm)
    assert fake_openai.summary_requests == 1  # every aspect in one request
    assert first["requests"] == 1 and first["input_tokens"] > 500 and first["cost_usd"] > 0
    assert first["summaries"] == len(ASPECTS) and first["summary_cache_hit"] is False
    rows = quotes(clean_db, OLD)
    assert all(row.aspect_summary and "quotes praise the" in row.aspect_summary for row in rows)
    assert "_" + rows[0].aspect_summary + "_" in first["quotes_by_aspect"]

    again = run(instance, OLD, **llm)  # same reviews: no request, no cost
    assert fake_openai.summary_requests == 1 and again["summary_cache_hit"] is True
    assert again["requests"] == 0 and again["cost_usd"] == 0 and again["summaries"] == len(ASPECTS)

    quoted = rows[0].review_id  # a review the summaries were built from changes its text
    with clean_db.begin() as conn:
        row = conn.execute(
            text("SELECT title, text, rating FROM reviews WHERE review_id = :r"), {"r": quoted}
        ).one()
        edited = row.text + " Edited later."
        conn.execute(
            text("UPDATE reviews SET text = :t, content_hash = :h WHERE review_id = :r"),
            {"t": edited, "h": review_content_hash(row.title, edited, row.rating, False), "r": quoted},
        )
    run(instance, OLD, **llm)
    assert fake_openai.summary_requests == 2
