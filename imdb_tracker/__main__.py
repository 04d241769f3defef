"""``python -m imdb_tracker`` = the ``imdb-tracker`` command."""

from imdb_tracker.cli import main

main()
