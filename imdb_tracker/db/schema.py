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
)

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
    CheckConstraint("rating BETWEEN 1 AND 10", name="rating_range"),
    CheckConstraint(r"review_id ~ '^rw[0-9]+$'", name="review_id_format"),
    Index("ix_reviews_movie_submitted", "movie_id", "submitted_at"),
    Index("ix_reviews_movie_helpful", "movie_id", "helpful_up"),
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
