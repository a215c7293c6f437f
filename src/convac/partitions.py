"""Partitions (A, B) of the input positions, and the named families of the paper.

Positions are ``0 .. n_inputs-1``; on a 2D grid, ``position = row * width + column``.

Examples
--------
>>> from convac import Architecture
>>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
>>> Partition.left_right(arch).side_a
(0, 1, 2, 3)
>>> Partition.interleaved(arch).side_a
(0, 2, 4, 6)
>>> Partition.blocks(arch, 2).side_a
(0, 1, 4, 5)
>>> grid = Architecture.deep_2d(height=4, width=4, n_features=2, channels=[2, 2])
>>> Partition.checkerboard(grid).side_a
(0, 2, 5, 7, 8, 10, 13, 15)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from convac._validation import integer, non_negative_int, positions
from convac.errors import ConvacTypeError, PartitionError

if TYPE_CHECKING:
    from convac.spec import Architecture, GeneralArchitecture

__all__ = ["Partition"]

GridLike = "Architecture | int | tuple[int, ...]"


def _grid_of(target: Any) -> tuple[int, ...]:
    from convac.spec import Architecture, GeneralArchitecture

    if isinstance(target, (Architecture, GeneralArchitecture)):
        positions(target.n_inputs, "the architecture")
        return tuple(target.grid)
    if isinstance(target, bool):
        raise ConvacTypeError(
            "a partition family needs an Architecture (or GeneralArchitecture), an input count "
            "or a (height, width) grid"
        )
    if isinstance(target, int):
        if target < 2:
            raise PartitionError(f"a partition needs at least 2 positions, got {target}")
        positions(target, "the grid")
        return (target,)
    if isinstance(target, tuple) and len(target) in (1, 2) and all(isinstance(v, int) for v in target):
        positions(math.prod(target), "the grid")
        return target
    raise ConvacTypeError(
        "a partition family needs an Architecture (or GeneralArchitecture), an input count or a (height, width) grid, "
        f"got {type(target).__name__}"
    )


@dataclass(frozen=True)
class Partition:
    """A bipartition of ``n_inputs`` positions into ``side_a`` and its complement ``side_b``.

    Both sides must be non-empty and every position must lie on exactly one side.

    Examples
    --------
    >>> p = Partition(6, side_a=[4, 0, 1])
    >>> p.side_a, p.side_b
    ((0, 1, 4), (2, 3, 5))
    >>> Partition(4, side_a=[0, 4])
    Traceback (most recent call last):
        ...
    convac.errors.PartitionError: position 4 is outside 0..3 for a partition of 4 inputs
    """

    n_inputs: int
    side_a: tuple[int, ...]
    side_b: tuple[int, ...] = field(default=())
    grid: tuple[int, ...] | None = field(default=None, compare=False)
    name: str = field(default="custom", compare=False)

    def __init__(
        self,
        n_inputs: int,
        side_a: Iterable[int],
        side_b: Iterable[int] | None = None,
        *,
        grid: tuple[int, ...] | None = None,
        name: str = "custom",
    ) -> None:
        n_inputs = integer(n_inputs, "n_inputs")
        if n_inputs < 2:
            raise PartitionError(f"a partition needs at least 2 positions, got n_inputs={n_inputs}")
        positions(n_inputs, "the partition")
        a = _positions("side_a", side_a, n_inputs)
        if side_b is None:
            b = tuple(sorted(set(range(n_inputs)) - set(a)))
        else:
            b = _positions("side_b", side_b, n_inputs)
            both = set(a) & set(b)
            if both:
                raise PartitionError(f"sides must be disjoint; positions {sorted(both)} are on both sides")
            missing = set(range(n_inputs)) - set(a) - set(b)
            if missing:
                raise PartitionError(
                    f"sides must cover all {n_inputs} positions; {sorted(missing)} are on neither side"
                )
        if not a:
            raise PartitionError("side_a is empty; both sides of a partition need at least one position")
        if not b:
            raise PartitionError("side_b is empty; both sides of a partition need at least one position")
        if grid is not None and int(np.prod(grid)) != n_inputs:
            raise PartitionError(f"grid {grid} has {int(np.prod(grid))} positions, not n_inputs={n_inputs}")
        object.__setattr__(self, "n_inputs", n_inputs)
        object.__setattr__(self, "side_a", a)
        object.__setattr__(self, "side_b", b)
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "name", name)

    # ------------------------------------------------------------------ views
    @property
    def mask(self) -> np.ndarray:
        """Boolean array, True for positions on side A."""
        m = np.zeros(self.n_inputs, dtype=bool)
        m[list(self.side_a)] = True
        return m

    @property
    def is_balanced(self) -> bool:
        """Whether both sides have the same size."""
        return len(self.side_a) == len(self.side_b)

    def swapped(self) -> Partition:
        """Return the same cut with the sides exchanged."""
        return Partition(self.n_inputs, self.side_b, grid=self.grid, name=self.name)

    def check_fits(self, arch: Architecture | GeneralArchitecture) -> None:
        """Raise :class:`PartitionError` unless this partition is of ``arch``'s inputs (tree or general spec).

        Examples
        --------
        >>> from convac import Architecture
        >>> Partition(8, side_a=[0], grid=(2, 4)).check_fits(Architecture.deep_2d(4, 2, 2, [2, 2], windows=[2, (2, 1)]))
        Traceback (most recent call last):
            ...
        convac.errors.PartitionError: the partition is of a (2, 4) grid but the architecture's grid is (4, 2)
        """
        what = "architecture" if type(arch).__name__ == "Architecture" else "spec"
        if self.n_inputs != arch.n_inputs:
            raise PartitionError(
                f"the partition is of {self.n_inputs} positions but the {what} has {arch.n_inputs} inputs; "
                f"build it from the {what}, e.g. Partition.left_right({what[:4]})"
            )
        if self.grid is not None and len(self.grid) == len(arch.grid) and tuple(self.grid) != tuple(arch.grid):
            raise PartitionError(f"the partition is of a {self.grid} grid but the {what}'s grid is {arch.grid}")

    def picture(self) -> str:
        """Return the partition drawn as A/B characters, one row per grid row.

        Examples
        --------
        >>> print(Partition.checkerboard((2, 4)).picture())
        ABAB
        BABA
        """
        chars = np.where(self.mask, "A", "B")
        width = self.grid[-1] if self.grid is not None else self.n_inputs
        return "\n".join("".join(chars[i : i + width]) for i in range(0, self.n_inputs, width))

    def __repr__(self) -> str:
        return f"Partition(n_inputs={self.n_inputs}, side_a={list(self.side_a)}, name={self.name!r})"

    # ------------------------------------------------------------------ families
    @classmethod
    def from_mask(cls, mask: Sequence[bool] | np.ndarray, *, grid: tuple[int, ...] | None = None) -> Partition:
        """Side A is where ``mask`` is True."""
        m = np.asarray(mask, dtype=bool).ravel()
        return cls(m.size, np.flatnonzero(m).tolist(), grid=grid)

    @classmethod
    def left_right(cls, target: Any) -> Partition:
        """Left half of the positions (columns, in 2D) against the right half: long-range correlations."""
        grid = _grid_of(target)
        cols = np.arange(grid[-1])
        if grid[-1] < 2:
            raise PartitionError(f"left_right needs at least 2 columns, got grid {grid}")
        left_cols = cols < grid[-1] // 2
        mask = np.broadcast_to(left_cols, grid)
        return cls(int(np.prod(grid)), np.flatnonzero(mask.ravel()).tolist(), grid=grid, name="left_right")

    @classmethod
    def up_down(cls, target: Any) -> Partition:
        """Top half of the rows against the bottom half (2D grids only)."""
        grid = _grid_of(target)
        if len(grid) != 2:
            raise PartitionError("up_down needs a 2D grid; for a 1D input use left_right")
        if grid[0] < 2:
            raise PartitionError(f"up_down needs at least 2 rows, got grid {grid}")
        mask = np.zeros(grid, dtype=bool)
        mask[: grid[0] // 2] = True
        return cls(mask.size, np.flatnonzero(mask.ravel()).tolist(), grid=grid, name="up_down")

    @classmethod
    def interleaved(cls, target: Any) -> Partition:
        """Even against odd positions in 1D; the checkerboard in 2D: short-range correlations."""
        grid = _grid_of(target)
        if len(grid) == 2:
            return cls.checkerboard(grid)
        return cls(grid[0], range(0, grid[0], 2), grid=grid, name="interleaved")

    @classmethod
    def checkerboard(cls, target: Any) -> Partition:
        """Positions with even ``row + column`` against odd (in 1D: even against odd)."""
        return cls.blocks(target, 1)._renamed("checkerboard")

    @classmethod
    def blocks(cls, target: Any, width: int | tuple[int, int]) -> Partition:
        """Alternating contiguous blocks of ``width`` positions (``width x width`` squares in 2D).

        Width 1 is the interleaved partition, width N/2 in 1D is left/right. In 2D, ``width``
        may be a ``(height, width)`` pair for rectangular blocks (e.g. a pooling level's
        receptive field).

        Examples
        --------
        >>> print(Partition.blocks((4, 6), (2, 3)).picture())
        AAABBB
        AAABBB
        BBBAAA
        BBBAAA
        """
        grid = _grid_of(target)
        if isinstance(width, tuple) and len(grid) == 2:
            if len(width) != 2:
                raise PartitionError(f"a 2D block is an integer or a (height, width) pair, got {width!r}")
            shape = tuple(integer(w, "block width") for w in width)
            if not all(1 <= b <= n for b, n in zip(shape, grid, strict=True)) or shape == grid:
                raise PartitionError(f"a {shape[0]}x{shape[1]} block must fit inside, and be smaller than, grid {grid}")
        else:
            width = integer(width, "block width")
            side = max(grid)
            if not 1 <= width < side:
                raise PartitionError(f"block width must be in 1..{side - 1} for grid {grid}, got {width}")
            shape = (width,) * len(grid)
        idx = [np.arange(n) // b for n, b in zip(grid, shape, strict=True)]
        parity = idx[0][:, None] + idx[1][None, :] if len(grid) == 2 else idx[0]
        mask = (parity % 2 == 0).ravel()
        label = "x".join(map(str, shape)) if len(set(shape)) > 1 else str(shape[0])
        return cls(mask.size, np.flatnonzero(mask).tolist(), grid=grid, name=f"blocks({label})")

    @classmethod
    def random(cls, target: Any, seed: int = 0, size: int | None = None) -> Partition:
        """Return a random partition with ``size`` positions on side A (default: half), reproducible from ``seed``."""
        grid = _grid_of(target)
        n = int(np.prod(grid))
        size = n // 2 if size is None else integer(size, "size")
        seed = non_negative_int(seed, "seed")
        if not 1 <= size < n:
            raise PartitionError(f"size of side A must be in 1..{n - 1}, got {size}")
        rng = np.random.default_rng(seed)
        a = rng.choice(n, size=size, replace=False)
        return cls(n, a.tolist(), grid=grid, name=f"random(seed={seed})")

    def _renamed(self, name: str) -> Partition:
        return Partition(self.n_inputs, self.side_a, grid=self.grid, name=name)


def _positions(name: str, values: Iterable[int], n_inputs: int) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConvacTypeError(f"{name} must be a collection of integer positions, got {type(values).__name__}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ConvacTypeError(f"{name} must contain integer positions, got {type(v).__name__} {v!r}")
        v = int(v)
        if not 0 <= v < n_inputs:
            raise PartitionError(f"position {v} is outside 0..{n_inputs - 1} for a partition of {n_inputs} inputs")
        out.append(v)
    if len(set(out)) != len(out):
        dup = sorted({v for v in out if out.count(v) > 1})
        raise PartitionError(f"{name} lists positions {dup} more than once")
    return tuple(sorted(out))
