"""Database backups and restores, S3 storage, retention and Parquet exports. Knows nothing of Dagster.

A backup is a ``pg_dump --format=custom`` archive named after its UTC time
(``tracker-20250411T120000Z.dump``) with a ``sha256sum``-style sidecar; in S3 the checksum travels
as object metadata. The S3 functions take a boto3 client, so any S3-compatible store works.
"""
