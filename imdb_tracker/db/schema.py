"""The tracker's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

ASPECT_COLUMNS = ("storytelling", "acting", "cinematography", "music_sound", "themes")

movies = Table(
    "movies",
    metadata,
    Column("movie_id", String(12), primary_key=True, comment="IMDb title id, tt…"),
    Column("title", Text),
    Column("original_title", Text),
    Column("year", Integer),
    Column("runtime_minutes", Integer),
    Column("genres", ARRAY(Text)),
    Column("plot", Text),
    Column("poster_url", Text),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_metadata_at", DateTime(timezone=True)),
    Column("last_reviews_at", DateTime(timezone=True)),
    CheckConstraint(r"movie_id ~ '^tt[0-9]{7,9}$'", name="movie_id_format"),
)

movie_snapshots = Table(
    "movie_snapshots",
    metadata,
    Column("snapshot_id", BigInteger, primary_key=True, autoincrement=True),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("rating", Numeric(3, 1)),
    Column("votes", Integer),
    Column("review_count", Integer),
    Column("metascore", Integer),
    Column("popularity", Integer),
    Index("ix_movie_snapshots_movie_taken", "movie_id", "taken_at"),
)

movie_posters = Table(
    "movie_posters",
    metadata,
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), primary_key=True),
    Column("content_type", Text, nullable=False),
    Column("image", LargeBinary, nullable=False, comment="the poster itself, at most 2 MiB"),
    Column("source_url", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(r"content_type ~ '^image/[a-z0-9.+-]+$'", name="content_type_image"),
    CheckConstraint("octet_length(image) BETWEEN 1 AND 2097152", name="image_size"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", String(16), primary_key=True, comment="IMDb review id, rw…"),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), nullable=False),
    Column("author", Text, nullable=False),
    Column("author_id", String(16)),
    Column("rating", SmallInteger),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("submitted_at", Date, nullable=False),
    Column("helpful_up", Integer, nullable=False, server_default="0"),
    Column("helpful_down", Integer, nullable=False, server_default="0"),
    Column("spoiler", Boolean, nullable=False, server_default="false"),
    Column("first_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("removed_at", DateTime(timezone=True)),
    Column("content_hash", String(64), nullable=False),
    Column(
        "missed_scrapes",
        SmallInteger,
        nullable=False,
        server_default="0",
        comment="complete scrapes in a row that did not return the review",
    ),
    CheckConstraint("rating BETWEEN 1 AND 10", name="rating_range"),
    CheckConstraint(r"review_id ~ '^rw[0-9]+$'", name="review_id_format"),
    Index("ix_reviews_movie_submitted", "movie_id", "submitted_at"),
    Index("ix_reviews_movie_helpful", "movie_id", "helpful_up"),
    Index("ix_reviews_movie_first_seen", "movie_id", "first_seen_at"),
)

review_sentiments = Table(
    "review_sentiments",
    metadata,
    Column("review_id", String(16), ForeignKey("reviews.review_id", ondelete="CASCADE"), primary_key=True),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), nullable=False),
    *(Column(name, SmallInteger) for name in ASPECT_COLUMNS),
    Column("overall", SmallInteger, nullable=False),
    Column("backend", String(32), nullable=False),
    Column("model", String(128), nullable=False),
    Column("prompt_version", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False, comment="hash of what the backend read"),
    Column("analysed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    *(
        CheckConstraint(f"{name} BETWEEN -2 AND 2", name=f"{name}_range")
        for name in (*ASPECT_COLUMNS, "overall")
    ),
    Index("ix_review_sentiments_movie", "movie_id"),
)

sentiment_failures = Table(
    "sentiment_failures",
    metadata,
    Column("review_id", String(16), ForeignKey("reviews.review_id", ondelete="CASCADE"), primary_key=True),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), nullable=False),
    Column("backend", String(32), nullable=False),
    Column("model", String(128), nullable=False),
    Column("prompt_version", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False, comment="hash of what the backend read"),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("attempts >= 1", name="attempts_positive"),
    Index("ix_sentiment_failures_movie", "movie_id"),
)
"""Reviews whose scoring failed with the current fingerprint, and how often; after the configured
number of attempts they are no longer sent to the backend until their input or the backend changes."""

reception_events = Table(
    "reception_events",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=True),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(32), nullable=False, comment="what moved: reviews, one_star, an aspect …"),
    Column("window_start", Date, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("strength", Float, nullable=False, comment="effect / detection threshold (>= 1)"),
    Column("strong", Boolean, nullable=False),
    Column("summary", Text, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("first_detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("notify_state", String(16), nullable=False, server_default="pending"),
    Column("notify_attempts", Integer, nullable=False, server_default="0"),
    Column("notify_next_at", DateTime(timezone=True)),
    Column("notify_error", Text),
    Column("notified_at", DateTime(timezone=True)),
    CheckConstraint(
        "kind IN ('volume_burst', 'polarisation_jump', 'aspect_drift', 'rating_shift', "
        "'review_bombing_candidate')",
        name="kind_known",
    ),
    CheckConstraint("window_start <= window_end", name="window_ordered"),
    CheckConstraint("notify_state IN ('pending', 'sent', 'failed', 'stale')", name="notify_state_known"),
    Index("ix_reception_events_movie", "movie_id", "kind", "subject", "window_start"),
    Index("ix_reception_events_pending", "event_id", postgresql_where=text("notify_state = 'pending'")),
)
"""Events the reception detectors found (``imdb_tracker.reception``), and their webhook delivery:
``pending`` until posted (``sent``), given up on (``failed``) or too old to announce (``stale``)."""

aspect_quotes = Table(
    "aspect_quotes",
    metadata,
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), primary_key=True),
    Column("aspect", String(16), primary_key=True),
    Column("polarity", String(8), primary_key=True),
    Column("rank", SmallInteger, primary_key=True),
    Column("review_id", String(16), ForeignKey("reviews.review_id", ondelete="CASCADE"), nullable=False),
    Column("sentence", Text, nullable=False),
    Column("strength", Float, nullable=False, comment="|polarity log-odds| of the sentence"),
    Column("helpfulness", Float, nullable=False, comment="(up + 1) / (up + down + 2)"),
    Column("computed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("polarity IN ('positive', 'negative')", name="polarity_known"),
    CheckConstraint("rank >= 1", name="rank_positive"),
)
"""The most representative positive and negative sentences per movie and aspect."""

aspect_summaries = Table(
    "aspect_summaries",
    metadata,
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), primary_key=True),
    Column("aspect", String(16), primary_key=True),
    Column("summary", Text, nullable=False),
    Column("reviews_hash", String(64), nullable=False, comment="hash of the reviews it was built from"),
    Column("reviews_used", Integer, nullable=False),
    Column("model", String(128), nullable=False),
    Column("prompt_version", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
"""LLM-written per-aspect summaries, reused while the set of reviews they read is unchanged."""

clients = Table(
    "clients",
    metadata,
    Column("client_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

client_movies = Table(
    "client_movies",
    metadata,
    Column("client_id", Integer, ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True),
    Column("movie_id", String(12), ForeignKey("movies.movie_id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_client_movies_movie", "movie_id"),
)

imdb_request_budget = Table(
    "imdb_request_budget",
    metadata,
    Column("host", Text, primary_key=True, comment="IMDb host, name[:port]"),
    Column(
        "next_slot_at",
        DateTime(timezone=True),
        nullable=False,
        comment="when the next request to the host may start (database clock)",
    ),
)
"""The request budget every process shares (see :mod:`imdb_tracker.db.request_budget`)."""
