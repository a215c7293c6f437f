"""Paired statistics for comparisons over matched seeds: mean, t-interval, t-test, sign test, sign-flip test.

An experiment that trains two arms on the same seed (same data, same batch order) compares them
through the per-seed differences ``d_s = a_s - b_s``. This module turns a list of such
differences into what a claim needs: the mean and sample sd, a 95 % t confidence interval, the
paired t-test (``scipy.stats.ttest_rel`` on the arms gives the same t and p), the exact two-sided
sign test (``scipy.stats.binomtest`` on wins out of non-tied seeds) and the exact sign-flip
permutation test (``scipy.stats.permutation_test`` with ``permutation_type="samples"``).

The sign test and the sign-flip test assume only that, with no effect, each seed's difference is
as likely positive as negative; the t-interval and t-test also assume the differences are about
normal. With three seeds none of them can resolve much: the smallest two-sided sign-test p is
0.25 and the t quantile is 4.30.

Examples
--------
>>> test = paired_test([0.03, 0.05, 0.04])
>>> test.n, round(test.mean, 3), test.wins, test.sign_p
(3, 0.04, 3, 0.25)
>>> [round(x, 4) for x in test.ci]
[0.0152, 0.0648]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from convac.errors import InputError

__all__ = ["PairedTest", "paired_test", "sign_flip_p", "sign_test_p", "t_interval"]

CONFIDENCE = 0.95
# 2**16 sign patterns are enumerated exactly in well under a second; beyond that a seeded sample.
EXACT_FLIP_LIMIT = 16
# A difference this small is a tie: accuracies are multiples of 1/n_test, and a difference of two
# differences that is 0 in exact arithmetic comes out as about 1e-17 in floats.
TIE = 1e-9


@dataclass(frozen=True)
class PairedTest:
    """What a list of paired differences says: its size, mean, sd, 95 % t-CI and three two-sided tests.

    ``t_p`` is nan with fewer than two differences or zero spread (no t-test is possible),
    ``ci`` is then ``(nan, nan)``; ``sign_p`` counts wins and losses and drops ties (differences
    within :data:`TIE` of zero).
    """

    n: int
    mean: float
    sd: float
    ci: tuple[float, float]
    t: float
    t_p: float
    wins: int
    losses: int
    ties: int
    sign_p: float
    flip_p: float


def _check(diffs: Sequence[float] | np.ndarray) -> np.ndarray:
    values = np.asarray(diffs, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise InputError(f"paired statistics need a non-empty list of differences, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise InputError("paired differences must be finite numbers, got NaN or infinity")
    return values


def t_interval(diffs: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Return the two-sided t confidence interval of the mean of ``diffs`` (nan, nan with n < 2).

    Examples
    --------
    >>> [round(x, 3) for x in t_interval([1.0, 2.0, 3.0])]
    [-0.484, 4.484]
    """
    values = _check(diffs)
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence!r}")
    if values.size < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    mean = float(values.mean())
    return mean - float(half), mean + float(half)


def sign_test_p(wins: int, losses: int) -> float:
    """Return the exact two-sided sign-test p of ``wins`` against ``losses`` (ties already dropped).

    Under the null each non-tied seed is a fair coin; p is the probability of a split at least
    as uneven as the one seen, both ways: ``min(1, 2 * P(X <= min(wins, losses)))``.

    Examples
    --------
    >>> sign_test_p(3, 0), sign_test_p(2, 1), round(sign_test_p(9, 3), 3), sign_test_p(0, 0)
    (0.25, 1.0, 0.146, 1.0)
    """
    for name, value in (("wins", wins), ("losses", losses)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InputError(f"{name} must be a non-negative integer count, got {value!r}")
    n = int(wins) + int(losses)
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * stats.binom.cdf(min(wins, losses), n, 0.5)))


def sign_flip_p(diffs: Sequence[float] | np.ndarray, n_resamples: int = 20_000, seed: int = 0) -> float:
    """Return the two-sided sign-flip permutation p of the mean of ``diffs``.

    With no effect each difference is as likely ``+d`` as ``-d`` (swap the arms of one seed), so
    the mean's null distribution is that of ``mean(+-d_s)``. Exact over all ``2**n`` sign
    patterns for ``n <= 16``, else ``n_resamples`` patterns drawn from ``seed`` (the observed
    pattern counted once, so p is never 0).

    Examples
    --------
    >>> sign_flip_p([1.0, 2.0, 3.0]), sign_flip_p([1.0, -1.0])
    (0.25, 1.0)
    """
    values = _check(diffs)
    observed = abs(values.mean())
    # Relative slack so that a flipped pattern equal to the observed one up to rounding counts as "as extreme".
    slack = 1e-12 * max(1.0, float(np.abs(values).max()))
    if values.size <= EXACT_FLIP_LIMIT:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=values.size)))
        return float(np.mean(np.abs(signs @ values) / values.size >= observed - slack))
    rng = np.random.default_rng(seed)
    signs = rng.choice((1.0, -1.0), size=(n_resamples, values.size))
    extreme = int(np.sum(np.abs(signs @ values) / values.size >= observed - slack))
    return (extreme + 1) / (n_resamples + 1)


def paired_test(diffs: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> PairedTest:
    """Summarise paired differences (arm A minus arm B, one per matched seed).

    Examples
    --------
    >>> test = paired_test([0.02, -0.07, -0.02])
    >>> test.wins, test.losses, test.sign_p, round(test.t_p, 2)
    (1, 2, 1.0, 0.46)
    """
    values = _check(diffs)
    n = int(values.size)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else 0.0
    if n > 1 and sd > 0:
        t = mean / (sd / math.sqrt(n))
        t_p = float(2 * stats.t.sf(abs(t), n - 1))
    else:
        t, t_p = math.nan, math.nan
    ci = t_interval(values, confidence) if sd > 0 else ((mean, mean) if n > 1 else (math.nan, math.nan))
    wins, losses = int(np.sum(values > TIE)), int(np.sum(values < -TIE))
    return PairedTest(
        n=n,
        mean=mean,
        sd=sd,
        ci=ci,
        t=float(t),
        t_p=t_p,
        wins=wins,
        losses=losses,
        ties=n - wins - losses,
        sign_p=sign_test_p(wins, losses),
        flip_p=sign_flip_p(values),
    )
