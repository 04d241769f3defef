"""Backups: the hourly database dump (local folder + S3) and the per-movie Parquet export."""
