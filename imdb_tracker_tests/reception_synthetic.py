"""Synthetic review histories where the truth is known, for the reception detector tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

import numpy as np

from imdb_tracker.reception.signals import AspectDay, MovieSignals, ReviewDay

START = date(2024, 1, 1)

RatingShares = Sequence[float]
"""Probability of 1★ … 10★ (ten values summing to 1)."""

TYPICAL_RATINGS: RatingShares = (0.08, 0.03, 0.04, 0.05, 0.07, 0.09, 0.13, 0.16, 0.10, 0.25)
"""A plausible spread of IMDb review ratings: 8 % 1★, 25 % 10★."""


def day(index: int) -> date:
    """The date of day ``index`` of a synthetic history."""
    return START + timedelta(days=index)


def history(
    counts: Sequence[int],
    *,
    seed: int = 0,
    ratings: Callable[[int], RatingShares] = lambda i: TYPICAL_RATINGS,
    aspect_mean: Callable[[int], float] | None = None,
    movie_id: str = "tt0000001",
) -> MovieSignals:
    """A movie with ``counts[i]`` reviews on day ``i``, each rated from ``ratings(i)`` and, when
    ``aspect_mean`` is given, an ``acting`` score around ``aspect_mean(i)`` (rounded, clipped to
    −2..2, standard deviation 1)."""
    rng = np.random.default_rng(seed)
    days = []
    aspects: dict[date, list[int]] = defaultdict(list)
    rating_counts = [0] * 10
    for i, n in enumerate(counts):
        if not n:
            continue
        stars = rng.choice(np.arange(1, 11), size=n, p=np.asarray(ratings(i)))
        for s in stars:
            rating_counts[s - 1] += 1
        days.append(
            ReviewDay(day(i), n, n, int((stars == 1).sum()), int((stars == 10).sum()), int(stars.sum()))
        )
        if aspect_mean is not None:
            scores = np.clip(np.rint(rng.normal(aspect_mean(i), 1.0, size=n)), -2, 2).astype(int)
            aspects[day(i)].extend(scores.tolist())
    aspect_days = tuple(
        AspectDay(d, "acting", len(s), sum(s), sum(v * v for v in s)) for d, s in sorted(aspects.items())
    )
    return MovieSignals(movie_id, tuple(days), aspect_days, (), tuple(rating_counts))


def volume(counts: Sequence[int], movie_id: str = "tt0000001") -> MovieSignals:
    """A movie with ``counts[i]`` unrated reviews on day ``i`` (for the volume detector alone)."""
    return MovieSignals(movie_id, tuple(ReviewDay(day(i), n) for i, n in enumerate(counts) if n))


def poisson_counts(rates: Iterable[float], seed: int) -> list[int]:
    """One Poisson draw per day at the given rates."""
    rng = np.random.default_rng(seed)
    return [int(rng.poisson(rate)) for rate in rates]
