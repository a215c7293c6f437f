"""Synthetic classification tasks whose label lives at one known length scale (issue 22, item 4).

A sample is a sequence of ``n_positions`` symbols: ``0`` (blank) almost everywhere, and one
*marked pair* of positions ``(i, i + d)`` holding typed marks ``1 .. n_types``. The pairs are
those the pooling tree joins at one level: ``i`` lies in the first half of its block of
``2 d`` positions (:func:`scale_pairs`), so the two marks sit in sibling blocks of side ``d``
and meet first in their parent. The label is 1 when the two marks have the same type and 0
when they differ.

What that buys:

- **the label is a function of the** ``d`` **-pairs only** (:func:`scale_label`): whether some
  pair ``(i, i + d)`` holds two equal marks; which pair is marked and which type it has are
  noise drawn the same way in both classes;
- **no single position tells the class**: every position is marked with probability
  ``2 / n_positions`` and every mark type is equally likely, in both classes, exactly;
- **exact class balance**: half the samples of every draw are of each class;
- the data's canonical-partition entanglement (:func:`convac.datatensor.canonical_entanglement`)
  peaks at the level whose blocks have side ``d``: a block of side ``t <= d`` cuts ``t`` of the
  pairs, one of side ``2 d`` or more cuts none.

A network needs correlations across the side-``d`` blocks, and only there: roughly
``n_types * t + 2`` channels at a level of block side ``t <= d`` (``t`` pairs cross it, each an
agreement of rank ``n_types``), and 2 above (docs/findings/scale-tasks.md).

Examples
--------
>>> task = scale_task(8, "middle", n_positions=16, seed=0)
>>> task.distance, task.symbols.shape, task.y.tolist()
(4, (8, 16), [0, 0, 1, 0, 1, 0, 1, 1])
>>> bool((scale_label(task.symbols, task.distance) == task.y).all())
True
>>> float(task.X.max()), int((task.symbols > 0).sum(axis=1).max())  # X in [0, 1]; one pair per sample
(1.0, 2)
>>> scale_pairs(8, 2).tolist()
[[0, 2], [1, 3], [4, 6], [5, 7]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import choice, integer, positive_int
from convac.errors import InputError

__all__ = ["SCALES", "ScaleTask", "scale_distance", "scale_label", "scale_pairs", "scale_task"]

SCALES: tuple[str, ...] = ("short", "middle", "long")
"""Named scales: ``short`` pairs at distance 2, ``middle`` at ``n_positions / 4``, ``long`` at ``n_positions / 2``."""

IntArray = npt.NDArray[np.int64]


def scale_distance(scale: str | int, n_positions: int) -> int:
    """Return the pair distance ``d`` of a named scale (or of a distance given as a number), checked.

    ``d`` must be a power of two with ``2 d <= n_positions``, and ``n_positions`` a power of two
    (the pooling tree halves the sequence at every level).

    Examples
    --------
    >>> [scale_distance(s, 16) for s in SCALES], scale_distance(8, 32)
    ([2, 4, 8], 8)
    >>> scale_distance(3, 16)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: distance must be a power of two with 2 * distance <= n_positions = 16, got 3
    """
    n = positive_int(n_positions, "n_positions")
    if n < 4 or n & (n - 1):
        raise InputError(f"n_positions must be a power of two of at least 4, got {n}")
    if isinstance(scale, str):
        name = choice(scale, "scale", SCALES)
        d = {"short": 2, "middle": max(2, n // 4), "long": n // 2}[name]
    else:
        d = integer(scale, "distance")
    if d < 1 or d & (d - 1) or 2 * d > n:
        raise InputError(f"distance must be a power of two with 2 * distance <= n_positions = {n}, got {d}")
    return d


def scale_pairs(n_positions: int, distance: int) -> IntArray:
    """Return the ``(n_positions / 2, 2)`` pairs ``(i, i + d)``, ``i`` in the first half of its ``2 d``-block.

    Examples
    --------
    >>> scale_pairs(8, 4).tolist()
    [[0, 4], [1, 5], [2, 6], [3, 7]]
    """
    d = scale_distance(distance, n_positions)
    first = np.array([i for i in range(n_positions) if i % (2 * d) < d], dtype=np.int64)
    return np.stack([first, first + d], axis=1)


def scale_label(symbols: Any, distance: int) -> IntArray:
    """Return the label of each row of ``symbols`` (n, N): 1 if a pair ``(i, i + d)`` holds two equal marks.

    Only the symbols at the pairs' positions enter, compared pair by pair: the label is a
    function of the ``d``-pairs and of nothing else.

    Examples
    --------
    >>> scale_label([[1, 0, 1, 0], [1, 0, 2, 0], [0, 1, 1, 0]], 2).tolist()
    [1, 0, 0]
    """
    s = np.asarray(symbols)
    if s.ndim != 2 or s.dtype.kind not in "iu":
        raise InputError(f"symbols must be an integer array of shape (n, N), got {s.dtype} of shape {s.shape}")
    pairs = scale_pairs(s.shape[1], distance)
    a, b = s[:, pairs[:, 0]], s[:, pairs[:, 1]]
    return ((a > 0) & (a == b)).any(axis=1).astype(np.int64)


@dataclass(frozen=True)
class ScaleTask:
    """One draw of a scale task.

    ``symbols`` (n, N) holds ``0`` (blank) or a mark type ``1 .. n_types``; ``X`` is the same as
    values in [0, 1] (``symbols / n_types``), the input of :func:`convac.canonical_entanglement`;
    ``y`` the labels; ``distance`` the pair distance ``d``; ``marked`` the index of each sample's
    marked pair in :func:`scale_pairs`.

    Examples
    --------
    >>> task = scale_task(6, "short", n_positions=8, n_types=2, seed=0)
    >>> task.n_positions, task.distance, task.X.shape, sorted(set(task.X.ravel().tolist()))
    (8, 2, (6, 8), [0.0, 0.5, 1.0])
    """

    symbols: IntArray
    X: npt.NDArray[np.float64]
    y: IntArray
    distance: int
    n_types: int
    marked: IntArray

    @property
    def n_positions(self) -> int:
        """Length of the sequences."""
        return int(self.symbols.shape[1])


def scale_task(
    n_samples: int, scale: str | int = "middle", *, n_positions: int = 16, n_types: int = 2, seed: int = 0
) -> ScaleTask:
    """Draw ``n_samples`` samples of the task at ``scale`` (``short``, ``middle``, ``long`` or a distance).

    Half the samples (a random half, from ``seed``) are of class 1: their marked pair has two
    marks of one type; the others have two different types. The marked pair and the first
    mark's type are uniform, the same for both classes. The same arguments give the same task.

    Examples
    --------
    >>> t = scale_task(4, "long", n_positions=8, seed=1)
    >>> t.symbols.tolist()
    [[1, 0, 0, 0, 2, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 2, 0, 0, 0, 1], [0, 0, 0, 1, 0, 0, 0, 1]]
    >>> t.y.tolist()
    [0, 1, 0, 1]
    >>> scale_task(4, "long", n_types=1)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: n_types must be at least 2 (class 0 needs two different mark types), got 1
    """
    n = positive_int(n_samples, "n_samples")
    q = positive_int(n_types, "n_types")
    if q < 2:
        raise InputError(f"n_types must be at least 2 (class 0 needs two different mark types), got {q}")
    d = scale_distance(scale, n_positions)
    pairs = scale_pairs(n_positions, d)
    rng = np.random.default_rng(integer(seed, "seed", minimum=0))
    y = rng.permutation(np.arange(n, dtype=np.int64) % 2)
    marked = rng.integers(0, len(pairs), n)
    first = rng.integers(1, q + 1, n)
    # a different type for class 0: a uniform shift by 1 .. q-1 keeps the second mark uniform too
    second = np.where(y == 1, first, (first - 1 + rng.integers(1, q, n)) % q + 1)
    symbols = np.zeros((n, n_positions), dtype=np.int64)
    rows = np.arange(n)
    symbols[rows, pairs[marked, 0]] = first
    symbols[rows, pairs[marked, 1]] = second
    return ScaleTask(symbols, symbols / q, y, d, q, marked)
