"""Per-movie assets (metadata, reviews, sentiments), their asset checks and their automation."""
