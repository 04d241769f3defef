"""client names checked, posters stored, reporting views for the reception dashboards

- ``clients.name`` gets the CHECK the CLI applies (lowercase, at most 57 characters); ``NOT VALID``,
  so a name stored before stays until it is removed, but no new bad name can be written.
- ``movie_posters``: the poster image itself, so the dashboards show it after the site that served
  it (the real IMDb CDN, or a replica) is gone.
- ``mv_review_periods``: reviews, star ratings and aspect sums per movie and *period*, the period
  adapting to how long the movie has been reviewed (days for a few weeks, weeks for a release
  younger than 18 months, months up to six years, years beyond: a 1937 film gets years).
- ``mv_sentiment_provenance``: which backend, model and prompt version scored each movie's reviews.
- views over them, plus the latest and most helpful reviews per movie (with an excerpt) and one
  movie against the portfolio on every aspect.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

CLIENT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.@-]{0,56}$"

ASPECTS = (
    ("storytelling", "Storytelling"),
    ("acting", "Acting"),
    ("cinematography", "Cinematography & visual style"),
    ("music_sound", "Music & sound"),
    ("themes", "Themes & values"),
    ("overall", "Overall"),
)

MAX_POSTER_BYTES = 2 * 1024 * 1024


def movie_label(alias: str) -> str:
    """``Title (year)`` of a ``movies`` row (the expression indexed by migration 0002)."""
    return (
        f"coalesce({alias}.title, {alias}.movie_id::text) || coalesce(' (' || {alias}.year::text || ')', '')"
    )


def aspect_values(alias: str, sum_suffix: str, count_suffix: str) -> str:
    """``VALUES`` rows ``(aspect label, key, order, score sum, reviews mentioning)`` for an unpivot."""
    return ", ".join(
        f"('{label}', '{key}', {order}, {alias}.{key}{sum_suffix}, {alias}.{key}{count_suffix})"
        for order, (key, label) in enumerate(ASPECTS, 1)
    )


def scored_by(alias: str) -> str:
    """``backend/model (prompt version)``, the label the sentiment package prints."""
    return f"{alias}.backend || '/' || {alias}.model || ' (' || {alias}.prompt_version || ')'"


# The text on one line, cut after the last whole word within 280 characters.
_TRIMMED = "regexp_replace(r.text, '^\\s+|\\s+$', '', 'g')"
EXCERPT = (
    f"CASE WHEN length({_TRIMMED}) <= 280 THEN regexp_replace({_TRIMMED}, '\\s+', ' ', 'g') "
    f"ELSE regexp_replace(regexp_replace(left({_TRIMMED}, 281), '\\s+', ' ', 'g'), '\\s\\S*$', '')"
    " || ' …' END"
)

ASPECT_SUMS = ", ".join(f"sum(l.{key}) AS {key}_sum, count(l.{key}) AS {key}_mentions" for key, _ in ASPECTS)

# Grain of a movie's time charts from the span of its review dates (in days).
GRAIN = """CASE WHEN max(submitted_at) - min(submitted_at) <= 60 THEN 'day'
                WHEN max(submitted_at) - min(submitted_at) <= 547 THEN 'week'
                WHEN max(submitted_at) - min(submitted_at) <= 2190 THEN 'month'
                ELSE 'year' END"""

MATERIALIZED = {
    "mv_review_periods": f"""
        WITH live AS (
            SELECT r.movie_id, r.submitted_at, r.rating, s.review_id IS NOT NULL AS analysed,
                   {", ".join(f"s.{key}" for key, _ in ASPECTS)}
            FROM reviews r
            LEFT JOIN review_sentiments s ON s.review_id = r.review_id
            WHERE r.removed_at IS NULL
        ), grain AS (
            SELECT movie_id, {GRAIN} AS grain FROM live GROUP BY movie_id
        )
        SELECT l.movie_id, g.grain,
               date_trunc(g.grain, l.submitted_at::timestamp)::date AS period_start,
               coalesce(l.rating, 0)::smallint AS rating_key, l.rating,
               count(*) AS reviews, count(*) FILTER (WHERE l.analysed) AS analysed_reviews,
               {ASPECT_SUMS}
        FROM live l JOIN grain g ON g.movie_id = l.movie_id
        GROUP BY l.movie_id, g.grain, date_trunc(g.grain, l.submitted_at::timestamp)::date, l.rating
    """,
    "mv_sentiment_provenance": """
        SELECT s.movie_id, s.backend, s.model, s.prompt_version, count(*) AS reviews,
               min(s.analysed_at) AS first_analysed_at, max(s.analysed_at) AS last_analysed_at
        FROM review_sentiments s
        JOIN reviews r ON r.review_id = s.review_id AND r.removed_at IS NULL
        GROUP BY s.movie_id, s.backend, s.model, s.prompt_version
    """,
}

UNIQUE_KEYS = {
    "mv_review_periods": "movie_id, period_start, rating_key",
    "mv_sentiment_provenance": "movie_id, backend, model, prompt_version",
}

REVIEW_COLUMNS = f"""r.review_id, r.submitted_at, r.author, r.rating, r.title AS review_title,
                   {EXCERPT} AS excerpt, r.helpful_up, r.helpful_down, r.spoiler,
                   {", ".join(f"s.{key}" for key, _ in ASPECTS)},
                   {scored_by("s")} AS scored_by"""

VIEWS = {
    # One row per movie: v_movie_summary plus what the dashboards print.
    "v_movie_overview": f"""
        SELECT v.*,
               CASE WHEN p.image IS NOT NULL
                    THEN 'data:' || p.content_type || ';base64,'
                         || translate(encode(p.image, 'base64'), E'\\n', '')
                    WHEN v.poster_url LIKE 'https://%' THEN v.poster_url END AS poster_src,
               to_char(v.latest_votes, 'FM999,999,999,990') AS votes_label,
               to_char(v.reviews_stored, 'FM999,999,999,990') AS reviews_label,
               g.grain AS time_grain,
               prov.scored_by
        FROM v_movie_summary v
        LEFT JOIN movie_posters p ON p.movie_id = v.movie_id
        LEFT JOIN LATERAL (
            SELECT rp.grain FROM mv_review_periods rp WHERE rp.movie_id = v.movie_id LIMIT 1
        ) g ON true
        LEFT JOIN LATERAL (
            SELECT string_agg({scored_by("sp")}, ', ' ORDER BY sp.reviews DESC) AS scored_by
            FROM mv_sentiment_provenance sp WHERE sp.movie_id = v.movie_id
        ) prov ON true
    """,
    # Movie x period x star rating (NULL: no stars given).
    "v_review_periods": f"""
        SELECT p.movie_id, {movie_label("m")} AS movie, m.title, p.grain, p.period_start, p.rating,
               p.reviews, p.analysed_reviews
        FROM mv_review_periods p
        JOIN movies m ON m.movie_id = p.movie_id
    """,
    # Movie x period x star rating x aspect: sums and mentions, for averages and shares per period.
    "v_aspect_periods": f"""
        SELECT p.movie_id, {movie_label("m")} AS movie, m.title, p.grain, p.period_start,
               a.aspect, a.aspect_key, a.aspect_order, a.score_sum, a.mentions,
               p.analysed_reviews, p.reviews
        FROM mv_review_periods p
        JOIN movies m ON m.movie_id = p.movie_id
        CROSS JOIN LATERAL (VALUES {aspect_values("p", "_sum", "_mentions")})
            AS a (aspect, aspect_key, aspect_order, score_sum, mentions)
    """,
    # Focus movie (``movie``, what the filter selects) x every movie (``movie_id``, what the rules
    # filter) x aspect: a client's "portfolio" is what its rule lets through.
    "v_aspect_benchmark": f"""
        SELECT f.movie_id AS focus_movie_id, {movie_label("f")} AS movie, f.title,
               st.movie_id, {movie_label("pm")} AS compared_movie, st.movie_id = f.movie_id AS is_focus,
               a.aspect, a.aspect_key, a.aspect_order, a.score_sum, a.mentions,
               round(a.score_sum::numeric / nullif(a.mentions, 0), 3) AS average
        FROM movies f
        CROSS JOIN mv_movie_review_stats st
        JOIN movies pm ON pm.movie_id = st.movie_id
        CROSS JOIN LATERAL (VALUES {aspect_values("st", "_sum", "_reviews")})
            AS a (aspect, aspect_key, aspect_order, score_sum, mentions)
    """,
    "v_sentiment_provenance": f"""
        SELECT p.movie_id, {movie_label("m")} AS movie, m.title, p.backend, p.model, p.prompt_version,
               {scored_by("p")} AS scored_by,
               CASE p.backend WHEN 'offline' THEN 'Offline analyser (no language model)'
                              WHEN 'openai' THEN 'Language model (OpenAI-compatible API)'
                              ELSE p.backend END AS method,
               p.reviews, p.first_analysed_at, p.last_analysed_at
        FROM mv_sentiment_provenance p
        JOIN movies m ON m.movie_id = p.movie_id
    """,
    # The 20 newest reviews of each movie.
    "v_latest_reviews": f"""
        SELECT m.movie_id, {movie_label("m")} AS movie, m.title, r.*
        FROM movies m
        CROSS JOIN LATERAL (
            SELECT {REVIEW_COLUMNS},
                   row_number() OVER (ORDER BY r.submitted_at DESC, r.review_id DESC) AS position
            FROM reviews r
            LEFT JOIN review_sentiments s ON s.review_id = r.review_id
            WHERE r.movie_id = m.movie_id AND r.removed_at IS NULL
            ORDER BY r.submitted_at DESC, r.review_id DESC
            LIMIT 20
        ) r
    """,
    # The 10 reviews of each movie most voted helpful.
    "v_helpful_reviews": f"""
        SELECT m.movie_id, {movie_label("m")} AS movie, m.title, r.*
        FROM movies m
        CROSS JOIN LATERAL (
            SELECT {REVIEW_COLUMNS},
                   to_char(r.helpful_up, 'FM999,999,990') || ' of '
                       || to_char(r.helpful_up + r.helpful_down, 'FM999,999,990') AS found_helpful,
                   row_number() OVER (
                       ORDER BY r.helpful_up DESC, r.helpful_down, r.submitted_at DESC, r.review_id
                   ) AS position
            FROM reviews r
            LEFT JOIN review_sentiments s ON s.review_id = r.review_id
            WHERE r.movie_id = m.movie_id AND r.removed_at IS NULL
            ORDER BY r.helpful_up DESC, r.helpful_down, r.submitted_at DESC, r.review_id
            LIMIT 10
        ) r
    """,
}


def upgrade() -> None:
    op.execute(
        "ALTER TABLE clients ADD CONSTRAINT client_name_format "
        f"CHECK (name ~ '{CLIENT_NAME_PATTERN}') NOT VALID"
    )
    op.execute(
        f"""CREATE TABLE movie_posters (
            movie_id varchar(12) PRIMARY KEY REFERENCES movies (movie_id) ON DELETE CASCADE,
            content_type text NOT NULL CHECK (content_type ~ '^image/[a-z0-9.+-]+$'),
            image bytea NOT NULL CHECK (octet_length(image) BETWEEN 1 AND {MAX_POSTER_BYTES}),
            source_url text NOT NULL,
            fetched_at timestamptz NOT NULL DEFAULT now()
        )"""
    )
    op.create_index("ix_reviews_movie_helpful", "reviews", ["movie_id", "helpful_up"])
    for name, query in MATERIALIZED.items():
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        op.execute(f"CREATE UNIQUE INDEX ux_{name} ON {name} ({UNIQUE_KEYS[name]})")
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name in reversed(MATERIALIZED):
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {name}")
    op.drop_index("ix_reviews_movie_helpful", table_name="reviews")
    op.execute("DROP TABLE movie_posters")
    op.execute("ALTER TABLE clients DROP CONSTRAINT client_name_format")
