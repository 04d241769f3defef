"""Run the replica standalone: ``python -m imdb_tracker_dev.replica --port 8765``."""

from __future__ import annotations

import argparse
import sys

from imdb_tracker_dev.replica.server import Replica


def _synthetic(spec: str) -> tuple[str, int]:
    movie_id, _, count = spec.partition(":")
    if not movie_id.startswith("tt") or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected ttNNNNNNN:COUNT, got {spec!r}")
    return movie_id, int(count)


def _id_range(spec: str) -> tuple[str, str]:
    first, _, last = spec.partition("-")
    if not (first.startswith("tt") and last.startswith("tt")):
        raise argparse.ArgumentTypeError(f"expected ttNNNNNNN-ttNNNNNNN, got {spec!r}")
    return first, last


def main(argv: list[str] | None = None) -> None:
    """Parse options and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m imdb_tracker_dev.replica", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--waf", action="store_true", help="answer first visits with a WAF challenge")
    parser.add_argument("--sign-in-wall", action="store_true", help="require a signed-in session for reviews")
    parser.add_argument(
        "--document-body-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="send title and reviews pages' bodies this long after their headers (a page in transit)",
    )
    parser.add_argument(
        "--synthetic",
        type=_synthetic,
        action="append",
        default=[],
        metavar="ttNNNNNNN:COUNT",
        help="add a replica-only movie with COUNT reviews (repeatable)",
    )
    parser.add_argument(
        "--synthetic-range",
        type=_id_range,
        default=None,
        metavar="ttNNNNNNN-ttNNNNNNN",
        help="serve every title in this range as a synthetic movie (benchmarks with thousands of movies)",
    )
    parser.add_argument(
        "--synthetic-reviews",
        type=int,
        default=0,
        metavar="COUNT",
        help="reviews of each movie of --synthetic-range (default 0)",
    )
    args = parser.parse_args(argv)
    replica = Replica(
        host=args.host,
        port=args.port,
        waf=args.waf,
        sign_in_wall=args.sign_in_wall,
        synthetic=dict(args.synthetic),
        document_body_delay_s=args.document_body_delay,
        synthetic_range=args.synthetic_range,
        synthetic_reviews=args.synthetic_reviews,
    )
    print(f"IMDb replica serving {', '.join(sorted(replica.movies))} at {replica.base_url}", flush=True)
    try:
        replica.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
