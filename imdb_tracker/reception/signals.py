"""Reception signals of one movie, as the detectors and the asset metadata read them.

Built from stored reviews (per submission day: how many, how rated), their sentiment scores (per day
and aspect: count, sum and sum of squares, so averages and variances of any window follow) and the
IMDb rating snapshots. Queries that fill these records live in :mod:`imdb_tracker.db.reception`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from imdb_tracker.sentiment.models import SCORE_FIELDS


@dataclass(frozen=True)
class ReviewDay:
    """Reviews of one movie submitted on one day; ``rated`` of them carry a star rating."""

    day: date
    reviews: int
    rated: int = 0
    one_star: int = 0
    ten_star: int = 0
    rating_sum: int = 0


@dataclass(frozen=True)
class AspectDay:
    """Scores one aspect (or ``overall``) received from the reviews of one day."""

    day: date
    aspect: str
    reviews: int
    total: int
    squares: int


@dataclass(frozen=True)
class RatingSnapshot:
    """IMDb's rating and vote count at one metadata scrape."""

    taken_at: datetime
    rating: float | None
    votes: int | None


@dataclass(frozen=True)
class MovieSignals:
    """Everything the detectors read about one movie; days sorted, only days with reviews."""

    movie_id: str
    days: tuple[ReviewDay, ...]
    aspects: tuple[AspectDay, ...] = ()
    snapshots: tuple[RatingSnapshot, ...] = ()
    rating_counts: tuple[int, ...] = (0,) * 10
    """Current reviews rated 1★, 2★, … 10★."""

    @property
    def last_day(self) -> date | None:
        """The newest submission day (None without reviews)."""
        return self.days[-1].day if self.days else None


@dataclass(frozen=True)
class DailySeries:
    """A movie's reviews as dense per-day lists from ``origin`` (days without reviews are 0)."""

    origin: date
    reviews: list[int]
    rated: list[int]
    one_star: list[int]
    ten_star: list[int]

    @classmethod
    def of(cls, days: Sequence[ReviewDay], padding: int = 0) -> DailySeries:
        """The series from ``padding`` days before the first review day to the last one."""
        if not days:
            return cls(date.min, [], [], [], [])
        origin = days[0].day - timedelta(days=padding)
        length = (days[-1].day - origin).days + 1
        series = cls(origin, [0] * length, [0] * length, [0] * length, [0] * length)
        for d in days:
            i = (d.day - origin).days
            series.reviews[i] += d.reviews
            series.rated[i] += d.rated
            series.one_star[i] += d.one_star
            series.ten_star[i] += d.ten_star
        return series

    def day(self, index: int) -> date:
        """The date of position ``index``."""
        return self.origin + timedelta(days=index)


def prefix_sums(values: Sequence[float]) -> list[float]:
    """``[0, v0, v0+v1, …]``: the sum of ``values[a:b]`` is ``p[b] - p[a]``."""
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


@dataclass(frozen=True)
class AspectWindow:
    """Count, mean and sample variance of an aspect's scores over a window."""

    reviews: int
    mean: float
    variance: float


@dataclass(frozen=True)
class AspectSeries:
    """One aspect's daily count, sum and sum of squares as prefix sums over a dense day range."""

    aspect: str
    origin: date
    counts: list[float]
    totals: list[float]
    squares: list[float]

    @classmethod
    def of(cls, aspect: str, rows: Sequence[AspectDay], origin: date, length: int) -> AspectSeries:
        """The prefix sums of ``rows`` (one aspect) over ``length`` days from ``origin``."""
        counts, totals, squares = [0] * length, [0] * length, [0] * length
        for row in rows:
            i = (row.day - origin).days
            if 0 <= i < length:
                counts[i] += row.reviews
                totals[i] += row.total
                squares[i] += row.squares
        return cls(aspect, origin, prefix_sums(counts), prefix_sums(totals), prefix_sums(squares))

    def window(self, start: int, end: int) -> AspectWindow:
        """Scores of the days ``start`` (inclusive) to ``end`` (exclusive), indices clipped."""
        start, end = max(start, 0), max(end, 0)
        n = int(self.counts[end] - self.counts[start])
        if n == 0:
            return AspectWindow(0, 0.0, 0.0)
        total = self.totals[end] - self.totals[start]
        squares = self.squares[end] - self.squares[start]
        mean = total / n
        variance = max(squares - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
        return AspectWindow(n, mean, variance)


def aspect_series(signals: MovieSignals) -> list[AspectSeries]:
    """A series per score field that has any score, over the days of the movie's reviews."""
    if not signals.days:
        return []
    origin = signals.days[0].day
    length = (signals.days[-1].day - origin).days + 1
    by_aspect: dict[str, list[AspectDay]] = {}
    for row in signals.aspects:
        by_aspect.setdefault(row.aspect, []).append(row)
    return [
        AspectSeries.of(name, by_aspect[name], origin, length) for name in SCORE_FIELDS if name in by_aspect
    ]
