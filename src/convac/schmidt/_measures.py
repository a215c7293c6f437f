"""Entanglement measures as functions of Schmidt (singular) values (docs/theory.md §2).

Every function takes singular values in any order and scale (zeros allowed) and
normalises them itself to Schmidt coefficients ``λ`` with ``Σ λ² = 1``; logarithms are
natural. The :class:`Entanglement` result of :func:`convac.entanglement` is built on them.

Examples
--------
>>> s = np.array([1.0, 1.0, 0.0])          # a two-term GHZ-like state
>>> bool(abs(entropy(s) - np.log(2)) < 1e-12), schmidt_rank(s)
(True, 2)
>>> round(geometric_measure(s) ** 2, 6)
0.5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from convac._validation import finite_array, real
from convac.errors import InputError

__all__ = [
    "DEFAULT_RANK_RTOL",
    "entropy",
    "geometric_measure",
    "renyi_entropy",
    "schmidt_measures",
    "schmidt_rank",
    "schmidt_values",
]

DEFAULT_RANK_RTOL = 1e-12
"""Relative tolerance of the numerical Schmidt rank: ``λ_i > rtol * λ_1`` counts.

float64 SVD noise on a normalised matricization is about ``1e-16 * sqrt(size)`` relative to
``λ_1``, so 1e-12 keeps noise out for matrices up to ~1e6 rows while counting real
values down to 1e-12 of the largest. Singular values of deep ConvACs can be smaller than
that (docs/theory.md §4): for exact ranks use ``convac.generic_rank``.
"""


def schmidt_values(singular_values: Any) -> np.ndarray:
    """Normalised Schmidt coefficients: float64, descending, ``Σ λ² = 1``.

    Examples
    --------
    >>> schmidt_values([0.0, 3.0, 4.0])
    array([0.8, 0.6, 0. ])
    """
    s = finite_array(singular_values, "singular values").ravel()
    if s.size == 0:
        raise InputError("singular values must hold at least one value, got none")
    if (s < 0).any():
        raise InputError("singular values must be finite and non-negative")
    s = np.sort(s)[::-1]
    # Scale first so the sum of squares cannot overflow or underflow.
    peak = s[0]
    if peak == 0:
        raise InputError("all singular values are zero: the tensor is zero and has no Schmidt decomposition")
    s = s / peak
    return s / np.sqrt(np.sum(s * s))


def entropy(singular_values: Any) -> float:
    """Von Neumann entanglement entropy ``-Σ λ² ln λ²`` (natural log).

    Examples
    --------
    >>> entropy([1.0, 0.0])
    0.0
    """
    p = schmidt_values(singular_values) ** 2
    p = p[p > 0]
    h = float(-np.sum(p * np.log(p)))
    return h if h > 0 else 0.0  # no -0.0 or rounding below zero


def renyi_entropy(singular_values: Any, alpha: Any) -> float:
    """Rényi-α entropy ``ln(Σ λ^{2α}) / (1 - α)``.

    ``alpha = 1`` is the von Neumann entropy, ``alpha = 0`` the log of the numerical Schmidt
    rank (tolerance :data:`DEFAULT_RANK_RTOL`), ``alpha = inf`` the min-entropy ``-ln λ_1²``.

    Examples
    --------
    >>> s = [np.sqrt(0.75), np.sqrt(0.25)]
    >>> bool(abs(renyi_entropy(s, 2) + np.log(0.75**2 + 0.25**2)) < 1e-12)
    True
    >>> renyi_entropy(s, -1)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: alpha must be a non-negative number (inf allowed), got -1.0
    """
    a = _check_alpha(alpha)
    lam = schmidt_values(singular_values)
    p = lam**2
    p = p[p > 0]
    if a == 1.0:
        return entropy(lam)
    if a == 0.0:
        return math.log(schmidt_rank(lam))
    if math.isinf(a):
        return float(-np.log(p[0]))
    # ln Σ p^a computed as a log-sum-exp: p^a underflows for large a.
    logs = a * np.log(p)
    top = logs.max()
    return float((top + np.log(np.sum(np.exp(logs - top)))) / (1.0 - a))


def geometric_measure(singular_values: Any) -> float:
    """Geometric measure of entanglement ``sqrt(1 - λ_1²)`` (0 for a product state).

    Examples
    --------
    >>> geometric_measure([2.0])
    0.0
    """
    lam = schmidt_values(singular_values)
    # 1 - λ1² loses digits when λ1 ≈ 1; Σ_{i>1} λ_i² does not.
    return float(np.sqrt(np.sum(lam[1:] ** 2)))


def schmidt_rank(singular_values: Any, rtol: float = DEFAULT_RANK_RTOL) -> int:
    """Numerical Schmidt rank: the number of ``λ_i > rtol * λ_1``.

    Examples
    --------
    >>> schmidt_rank([1.0, 1e-3, 1e-15])
    2
    """
    real(rtol, "rtol", low=0.0, high=1.0, high_open=True)
    lam = schmidt_values(singular_values)
    return int(np.count_nonzero(lam > rtol * lam[0]))


def schmidt_measures(singular_values: Any, rtol: float = DEFAULT_RANK_RTOL) -> dict[str, float]:
    """All measures at once: entropy, renyi2, min_entropy, geometric_measure, schmidt_rank.

    Examples
    --------
    >>> schmidt_measures([1.0, 1.0])["schmidt_rank"]
    2
    """
    return {
        "entropy": entropy(singular_values),
        "renyi2": renyi_entropy(singular_values, 2),
        "min_entropy": renyi_entropy(singular_values, math.inf),
        "geometric_measure": geometric_measure(singular_values),
        "schmidt_rank": schmidt_rank(singular_values, rtol),
    }


def _check_alpha(alpha: Any) -> float:
    return real(alpha, "alpha", low=0.0, allow_inf=True)
