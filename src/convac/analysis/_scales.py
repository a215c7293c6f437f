"""The partitions that probe correlations at each length scale: one list per architecture.

A *scale* is a named partition of the inputs together with the length over which it asks
for correlations: the checkerboard (length 1), alternating ``w x w`` blocks (length ``w``,
``w = 2, 4, ..., side/2``) and the halves left/right and up/down (length = the side). This
is the x-axis of :func:`convac.analysis._analyze` and the vocabulary of design profiles.

Examples
--------
>>> from convac import Architecture
>>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 2, 2, 2])
>>> [s.label for s in scales(arch)]
['checkerboard', 'blocks(2)', 'blocks(4)', 'left_right']
>>> [s.length for s in scales(arch)]
[1, 2, 4, 16]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from convac.architecture import Architecture
from convac.errors import ConvacTypeError, PartitionError
from convac.partitions import Partition

__all__ = ["FAMILIES", "Scale", "parse_scale", "scales"]

#: The partition families, short range first.
FAMILIES: tuple[str, ...] = ("checkerboard", "blocks", "left_right", "up_down")
"""The partition families probed per length scale, shortest scale first."""

_BLOCKS = re.compile(r"^blocks\s*[:(]?\s*(\d+)\s*\)?$")


@dataclass(frozen=True)
class Scale:
    """One probe partition: ``family``, block ``width`` (blocks only) and its ``length`` scale.

    Examples
    --------
    >>> s = Scale("blocks", length=4, width=4)
    >>> s.label, s.partition((16,)).side_a[:6]
    ('blocks(4)', (0, 1, 2, 3, 8, 9))
    """

    family: str
    length: int
    width: int | None = None

    @property
    def label(self) -> str:
        """``checkerboard``, ``blocks(w)``, ``left_right`` or ``up_down``."""
        return f"blocks({self.width})" if self.family == "blocks" else self.family

    def partition(self, target: Architecture | tuple[int, ...]) -> Partition:
        """Return the partition of ``target``'s inputs (an architecture or its grid)."""
        grid = target.grid if isinstance(target, Architecture) else target
        if self.family == "checkerboard":
            return Partition.checkerboard(grid)
        if self.family == "blocks":
            assert self.width is not None
            return Partition.blocks(grid, self.width)
        if self.family == "left_right":
            return Partition.left_right(grid)
        return Partition.up_down(grid)


def _grid(target: Architecture | Sequence[int]) -> tuple[int, ...]:
    if isinstance(target, Architecture):
        return target.grid
    grid = tuple(int(v) for v in target)
    if len(grid) not in (1, 2) or min(grid) < 2:
        raise PartitionError(f"a grid is (length,) or (height, width) with sides >= 2, got {grid}")
    return grid


def scales(target: Architecture | Sequence[int], families: Iterable[str] | None = None) -> list[Scale]:
    """Return the probe partitions of ``target`` (architecture or grid), short scales first.

    ``families`` picks from :data:`FAMILIES` (default: all that apply; ``up_down`` only in 2D).
    Blocks have widths ``2, 4, ..., side/2`` (width 1 is the checkerboard; in 1D width
    ``side/2`` is left/right, listed once).

    Examples
    --------
    >>> [s.label for s in scales((8, 8), ["left_right", "blocks"])]
    ['blocks(2)', 'blocks(4)', 'left_right']
    >>> scales((8, 8), ["diagonal"])
    Traceback (most recent call last):
        ...
    convac.errors.PartitionError: unknown partition family 'diagonal'; choose from checkerboard, blocks, ...
    """
    grid = _grid(target)
    wanted = list(FAMILIES if families is None else families)
    if not wanted:
        raise PartitionError(f"families must name at least one partition family: {', '.join(FAMILIES)}")
    for fam in wanted:
        if fam not in FAMILIES:
            raise PartitionError(f"unknown partition family {fam!r}; choose from {', '.join(FAMILIES)}")
    side = max(grid)
    out: list[Scale] = []
    if "checkerboard" in wanted:
        out.append(Scale("checkerboard", 1))
    if "blocks" in wanted:
        w = 2
        # in 1D, blocks(side/2) is left/right itself
        while w <= side // 2 and not (len(grid) == 1 and w == side // 2):
            out.append(Scale("blocks", w, w))
            w *= 2
    if "left_right" in wanted:
        out.append(Scale("left_right", side))
    if "up_down" in wanted and len(grid) == 2:
        out.append(Scale("up_down", side))
    if families is not None and "up_down" in wanted and len(grid) == 1:
        raise PartitionError("up_down needs a 2D grid; for a 1D input use left_right")
    return out


def parse_scale(text: Any, target: Architecture | Sequence[int]) -> list[Scale]:
    """Return the scales a profile key names: a label, a family (all its widths) or a length (int).

    Examples
    --------
    >>> [s.label for s in parse_scale("blocks:4", (16,))]
    ['blocks(4)']
    >>> [s.label for s in parse_scale(16, (16, 16))]
    ['left_right', 'up_down']
    >>> [s.label for s in parse_scale("blocks", (16,))]
    ['blocks(2)', 'blocks(4)']
    """
    every = scales(target)
    if (isinstance(text, int) and not isinstance(text, bool)) or (isinstance(text, str) and text.strip().isdigit()):
        length = int(text)
        found = [s for s in every if s.length == length]
        if not found:
            raise PartitionError(
                f"no probe partition has length scale {length}; lengths: {sorted({s.length for s in every})}"
            )
        return found
    if not isinstance(text, str):
        raise ConvacTypeError(f"a scale is a family name, a label like 'blocks(4)' or a length, got {text!r}")
    key = text.strip().replace("-", "_")
    if key in ("left_right", "up_down", "checkerboard", "blocks"):
        found = [s for s in every if s.family == key]
        if not found:
            raise PartitionError(f"partition family {key!r} does not apply to grid {_grid(target)}")
        return found
    match = _BLOCKS.match(key)
    if match:
        width = int(match.group(1))
        found = [s for s in every if s.family == "blocks" and s.width == width]
        if width == 1:
            found = [s for s in every if s.family == "checkerboard"]
        if not found:
            widths = [s.width for s in every if s.family == "blocks"]
            raise PartitionError(f"no blocks({width}) partition for grid {_grid(target)}; widths: {widths}")
        return found
    raise PartitionError(
        f"unknown partition {text!r}; use a family ({', '.join(FAMILIES)}), a label like 'blocks(4)', or a length scale"
    )
