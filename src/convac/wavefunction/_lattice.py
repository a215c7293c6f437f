"""Chains and square lattices: sites, nearest- and next-nearest-neighbour bonds, sublattices.

Sites are numbered as convac numbers input positions, ``site = row * width + column``, so a
:class:`convac.Partition` of an architecture on the same grid is a partition of the spins.

Examples
--------
>>> nearest_bonds((4,), pbc=True)
((0, 1), (0, 3), (1, 2), (2, 3))
>>> len(nearest_bonds((4, 4), pbc=True)), len(diagonal_bonds((4, 4), pbc=True))
(32, 32)
>>> sublattice((2, 2)).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from convac._validation import integer
from convac.errors import ConvacTypeError, InputError

__all__ = ["MAX_SITES", "check_shape", "diagonal_bonds", "is_bipartite", "nearest_bonds", "sublattice"]

#: Most spins a lattice may have: configurations are rows of int64 and amplitudes are log-scale,
#: so this is a sanity bound (a 64x64 lattice), not a memory one.
MAX_SITES = 4096

Bonds = tuple[tuple[int, int], ...]


def check_shape(shape: Any) -> tuple[int, ...]:
    """``shape`` as a tuple of one (chain) or two (square lattice) sides, each at least 2.

    Examples
    --------
    >>> check_shape((4, 4)), check_shape([8])
    ((4, 4), (8,))
    >>> check_shape(16)
    Traceback (most recent call last):
        ...
    convac.errors.ConvacTypeError: shape must be a tuple of 1 or 2 lattice sides, e.g. (16,) or (4, 4), got int 16
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)):
        raise ConvacTypeError(
            f"shape must be a tuple of 1 or 2 lattice sides, e.g. (16,) or (4, 4), got {type(shape).__name__} {shape!r}"
        )
    if len(shape) not in (1, 2):
        raise InputError(f"shape must have 1 (chain) or 2 (square lattice) sides, got {len(shape)}: {tuple(shape)}")
    sides = tuple(integer(side, "every lattice side", minimum=2) for side in shape)
    n = math.prod(sides)
    if n > MAX_SITES:
        raise InputError(f"the lattice {sides} has {n} sites, over the limit of {MAX_SITES}")
    return sides


def _site(shape: tuple[int, ...], row: int, col: int) -> int:
    return row * shape[-1] + col


def _bonds(shape: tuple[int, ...], pbc: bool, steps: tuple[tuple[int, int], ...]) -> Bonds:
    """Distinct site pairs ``(site, site + step)``; a periodic side wraps, an open one drops the pair."""
    height, width = (1, shape[0]) if len(shape) == 1 else shape
    out: set[tuple[int, int]] = set()
    for row in range(height):
        for col in range(width):
            for dr, dc in steps:
                r, c = row + dr, col + dc
                if pbc:
                    r, c = r % height, c % width
                elif not (0 <= r < height and 0 <= c < width):
                    continue
                a, b = _site(shape, row, col), _site(shape, r, c)
                if a != b:  # a periodic side of 1 in the step's direction (1D rows) has no bond
                    out.add((min(a, b), max(a, b)))
    return tuple(sorted(out))


def nearest_bonds(shape: tuple[int, ...], pbc: bool = True) -> Bonds:
    """Nearest-neighbour pairs ``(i, j)``, ``i < j``, each once (a periodic side of 2 has one bond, not two)."""
    steps = ((0, 1),) if len(shape) == 1 else ((0, 1), (1, 0))
    return _bonds(shape, pbc, steps)


def diagonal_bonds(shape: tuple[int, ...], pbc: bool = True) -> Bonds:
    """Next-nearest-neighbour pairs: the two diagonals on a square lattice, distance 2 on a chain."""
    steps = ((0, 2),) if len(shape) == 1 else ((1, 1), (1, -1))
    return _bonds(shape, pbc, steps)


def sublattice(shape: tuple[int, ...]) -> np.ndarray:
    """Return the checkerboard colouring (0 or 1) of every site, ``(row + column) % 2``."""
    if len(shape) == 1:
        return np.arange(shape[0]) % 2
    rows, cols = np.divmod(np.arange(math.prod(shape)), shape[1])
    return (rows + cols) % 2


def is_bipartite(shape: tuple[int, ...], pbc: bool) -> bool:
    """Whether the nearest-neighbour bonds join only sites of different :func:`sublattice` colour."""
    colour = sublattice(shape)
    return all(colour[a] != colour[b] for a, b in nearest_bonds(shape, pbc))
