"""Development tools of imdb-tracker: stand-ins for the two services the tests cannot reach, and a
helper the tests and benchmarks share.

- :mod:`imdb_tracker_dev.replica`: a local replica of IMDb with its real page structure (title and
  reviews pages, the ``TitleReviewsRefine`` GraphQL endpoint, title suggestions, the AWS WAF
  challenge, faults), serving the real sample reviews; ``python -m imdb_tracker_dev.replica``.
- :mod:`imdb_tracker_dev.fake_openai`: a local OpenAI-compatible server (chat completions with
  structured output, the Batch API) that scores reviews deterministically.
- :mod:`imdb_tracker_dev.processes`: ending a process tree started in a session of its own
  (``imdb-tracker ui``, the Dagster daemon, Superset).

Used by the demo, the benchmarks, the tests and the deployment test; never by the pipeline itself.
"""
