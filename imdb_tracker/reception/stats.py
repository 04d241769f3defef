"""The few statistics the detectors use: Poisson and binomial upper tails (in log space, so the
tiny probabilities of a real burst do not underflow to zero) and Welch's t."""

from __future__ import annotations

import math

_TAIL_PRECISION = 1e-17


def log_poisson_upper_tail(k: int, mean: float) -> float:
    """``ln P(X >= k)`` for ``X ~ Poisson(mean)``."""
    if k <= 0:
        return 0.0
    if mean <= 0:
        return -math.inf
    if k <= mean:
        lower = sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(k))
        return math.log(max(1.0 - lower, _TAIL_PRECISION))
    # Terms fall geometrically from k on (ratio mean / (i + 1) < 1): sum them relative to the first.
    log_first = -mean + k * math.log(mean) - math.lgamma(k + 1)
    total, term, i = 1.0, 1.0, k
    while term > total * _TAIL_PRECISION:
        i += 1
        term *= mean / i
        total += term
    return log_first + math.log(total)


def log_binomial_upper_tail(k: int, n: int, p: float) -> float:
    """``ln P(X >= k)`` for ``X ~ Binomial(n, p)``."""
    if k <= 0:
        return 0.0
    if k > n or p <= 0:
        return -math.inf
    if p >= 1:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)

    def log_term(i: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q

    terms = [log_term(i) for i in range(k, n + 1)]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def welch_t(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int) -> float:
    """Welch's t of ``mean_a - mean_b`` (sample variances, ``n >= 2`` each); infinite when both
    samples are constant and differ."""
    standard_error = math.sqrt(var_a / n_a + var_b / n_b)
    difference = mean_a - mean_b
    if standard_error == 0:
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return difference / standard_error
