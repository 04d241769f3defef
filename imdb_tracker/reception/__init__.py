"""Reception insights: per-movie signals from stored reviews and snapshots, detectors that turn
them into events (bursts, polarisation jumps, aspect drift, rating shifts, review-bombing
candidates), their webhook delivery, and what people say about each aspect. Knows nothing of
Dagster; ``imdb_tracker.defs.reception`` wires it."""
