"""Whole widths at exactly a parameter budget: the search both design front-ends share.

A network's parameter count is linear in each single width (every weight tensor joins two widths),
so once all widths but one are chosen, the last one is solved for: ``count = a + b c_j`` gives
``c_j = (budget - a) / b``, kept when it is a whole multiple of its step at or above its lower bound.
:func:`closest_exact` takes every choice of the other widths within a radius of real target widths
(2, then 4, then 6 steps), solves for each width in turn, and returns the vector of exactly
``budget`` parameters closest to the target in log scale, preferring vectors a filter accepts
(e.g. no bottleneck). Widths are given per *variable*: tied layers share one variable.

Examples
--------
>>> import numpy as np
>>> count = lambda v: 3 * v[:, 0] + v[:, 0] * v[:, 1] + 2 * v[:, 1]  # 3 -> c0 -> c1 -> 2
>>> closest_exact(count, np.array([1, 1]), np.array([4.2, 3.6]), 36, np.array([1, 1])).tolist()
[4, 4]
>>> closest_exact(count, np.array([1, 1]), np.array([4.2, 3.6]), 40, np.array([1, 1])) is None  # 40 is unreachable
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from convac.errors import InternalError

__all__ = ["SEARCH_RADII", "closest_exact", "exact_vectors", "scale_to_budget"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Count = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.int64]]

SEARCH_RADII = (2, 4, 6)
"""Steps around the real target widths searched for an exact count, widened in turn until one is found."""
MAX_GRID = 200_000
"""Most width vectors (all but the solved width) one search may enumerate before radii fall back to the steps."""


def scale_to_budget(
    widths_at: Callable[[float], FloatArray], count: Callable[[FloatArray], float], budget: int
) -> FloatArray:
    """Return ``widths_at(x)`` for the ``x >= 0`` whose count is the budget (bisection; counts rise with ``x``)."""
    low, high = 0.0, 1.0
    while count(widths_at(high)) < budget:
        if high > 1e3:
            raise InternalError(f"no x reaches the budget {budget}")  # callers check the floor first
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if count(widths_at(mid)) < budget else (low, mid)
    return widths_at(high)


def exact_vectors(
    count: Count, lo: IntArray, target: FloatArray, budget: int, steps: IntArray, radius: int
) -> IntArray:
    """Return every vector (multiples of ``steps``, ``>= lo``) within ``radius`` steps of ``target`` at ``budget``."""
    n = len(lo)
    lo_units = -(-lo // steps)
    base = np.maximum(lo_units, np.rint(target / steps)).astype(np.int64)
    # wide layers in fine steps get a radius of a tenth of their width, while the grid stays small
    wide = np.maximum(radius, (0.1 * target / steps).astype(np.int64))
    reach = wide if np.prod(2 * wide + 1, dtype=float) <= MAX_GRID * (2 * wide.max() + 1) else np.full(n, radius)
    found = [np.zeros((0, n), dtype=np.int64)]
    for j in range(n):
        axes = [
            np.unique(np.maximum(lo_units[k], base[k] + np.arange(-reach[k], reach[k] + 1))) * steps[k]
            for k in range(n)
            if k != j
        ]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n - 1) if n > 1 else np.zeros((1, 0))
        cand = np.insert(grid.astype(np.int64), j, 0, axis=1)
        a = count(cand)
        cand[:, j] = steps[j]
        b = count(cand) - a
        cand[:, j] = 2 * steps[j]
        linear = count(cand) - a == 2 * b  # tied variables can make the count quadratic in one of them
        ok = linear & (b > 0)
        units, rest = np.divmod(budget - a, np.where(ok, b, 1))
        keep = ok & (rest == 0) & (units >= lo_units[j])
        cand[:, j] = units * steps[j]
        found.append(cand[keep])
    return np.unique(np.concatenate(found), axis=0)


def closest_exact(
    count: Count,
    lo: IntArray,
    target: FloatArray,
    budget: int,
    steps: IntArray,
    accept: Callable[[IntArray], npt.NDArray[np.bool_]] | None = None,
) -> IntArray | None:
    """Return the vector of exactly ``budget`` closest to ``target`` in log scale (accepted ones first), or None."""
    for radius in SEARCH_RADII:
        cands = exact_vectors(count, lo, target, budget, steps, radius)
        if cands.shape[0] == 0:
            continue
        if accept is not None:
            good = accept(cands)
            if good.any():
                cands = cands[good]
        score = ((np.log(cands) - np.log(target)) ** 2).sum(axis=1)
        order = np.lexsort((*cands.T[::-1], np.round(score, 12)))
        return np.asarray(cands[order[0]], dtype=np.int64)
    return None
