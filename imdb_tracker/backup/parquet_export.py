"""One movie's reviews and sentiments as Parquet files, readable with pandas without the database.

The Arrow schema comes from the table definitions, so types (dates, UTC timestamps, nullable small
integers) are exact and a movie without reviews still gets files with the right columns.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    SmallInteger,
    String,
    Table,
    select,
)

from imdb_tracker.backup.s3_store import put_object, s3_key
from imdb_tracker.db.schema import review_sentiments, reviews

EXPORTED_TABLES: dict[str, Table] = {"reviews": reviews, "sentiments": review_sentiments}

# Most specific SQL type first: SmallInteger and BigInteger are Integers.
_ARROW_TYPES: list[tuple[type, pa.DataType]] = [
    (SmallInteger, pa.int16()),
    (BigInteger, pa.int64()),
    (Integer, pa.int32()),
    (Boolean, pa.bool_()),
    (Date, pa.date32()),
    (DateTime, pa.timestamp("us", tz="UTC")),
    (String, pa.string()),  # Text is a String
]


@dataclass(frozen=True)
class ExportedFile:
    """One Parquet object written to S3."""

    key: str
    rows: int
    size_bytes: int


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of ``table``'s columns, in order."""
    fields = []
    for column in table.columns:
        arrow_type = next((t for sql, t in _ARROW_TYPES if isinstance(column.type, sql)), None)
        if arrow_type is None:
            raise TypeError(f"no Parquet type for {table.name}.{column.name} ({column.type})")
        fields.append(pa.field(column.name, arrow_type, nullable=column.nullable))
    return pa.schema(fields)


def movie_rows(engine: Engine, table: Table, movie_id: str) -> pa.Table:
    """Every row of ``table`` for ``movie_id``, ordered by review id, as an Arrow table."""
    query = select(table).where(table.c.movie_id == movie_id).order_by(table.c.review_id)
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    return pa.Table.from_pylist(rows, schema=arrow_schema(table))


def to_parquet_bytes(rows: pa.Table) -> bytes:
    """``rows`` as a Parquet file."""
    buffer = io.BytesIO()
    pq.write_table(rows, buffer)
    return buffer.getvalue()


def movie_export_key(prefix: str, movie_id: str, name: str) -> str:
    """``{prefix}/movies/{movie_id}/{name}.parquet``."""
    return s3_key(prefix, "movies", movie_id, f"{name}.parquet")


def export_movie_to_s3(
    engine: Engine, client: Any, bucket: str, prefix: str, movie_id: str
) -> list[ExportedFile]:
    """Write ``reviews.parquet`` and ``sentiments.parquet`` of ``movie_id`` to S3."""
    exported = []
    for name, table in EXPORTED_TABLES.items():
        rows = movie_rows(engine, table, movie_id)
        body = to_parquet_bytes(rows)
        key = movie_export_key(prefix, movie_id, name)
        put_object(client, bucket, key, body, {"rows": str(rows.num_rows), "movie-id": movie_id})
        exported.append(ExportedFile(key, rows.num_rows, len(body)))
    return exported
