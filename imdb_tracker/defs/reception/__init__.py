"""Reception insights: per-movie signals and events, what people say about each aspect, and the
webhook alerts."""
