"""The partitions that probe correlations at each length scale: one list per architecture.

A *scale* is a named partition of the inputs together with the length over which it asks
for correlations: the checkerboard (length 1), alternating ``w x w`` blocks (length ``w``)
and the halves left/right and up/down (length = the side). This is the x-axis of
:func:`convac.analysis._analyze` and the vocabulary of design profiles.

For a grid, the block widths are ``2, 4, ..., side/2``. For a deep architecture they are the
receptive fields of its pooling levels below the top (one block per position of that level's
grid; ``kh x kw`` blocks when they are not square): 28x28 with windows 2x2, 2x2, 7x7 is
probed with blocks(2) and blocks(4), which for window 2 on a power-of-two grid is the same list.

Examples
--------
>>> from convac import Architecture
>>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 2, 2, 2])
>>> [s.label for s in scales(arch)]
['checkerboard', 'blocks(2)', 'blocks(4)', 'left_right']
>>> [s.length for s in scales(arch)]
[1, 2, 4, 16]
>>> odd = Architecture.deep_2d(height=12, width=8, n_features=2, channels=[2, 2, 2], windows=[(2, 2), (3, 2), (2, 2)])
>>> [s.label for s in scales(odd)]
['checkerboard', 'blocks(2)', 'blocks(6x4)', 'left_right', 'up_down']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from convac.errors import ConvacTypeError, InternalError, PartitionError
from convac.partitions import Partition
from convac.spec import Architecture

__all__ = ["FAMILIES", "Scale", "parse_scale", "scales"]

#: The partition families, short range first.
FAMILIES: tuple[str, ...] = ("checkerboard", "blocks", "left_right", "up_down")
"""The partition families probed per length scale, shortest scale first."""

_BLOCKS = re.compile(r"^blocks\s*[:(]?\s*(\d+)\s*(?:x\s*(\d+))?\s*\)?$")


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
    width: int | tuple[int, int] | None = None

    @property
    def label(self) -> str:
        """``checkerboard``, ``blocks(w)`` (``blocks(hxw)`` for a non-square block), ``left_right`` or ``up_down``."""
        if self.family != "blocks":
            return self.family
        width = self.width
        return f"blocks({width[0]}x{width[1]})" if isinstance(width, tuple) else f"blocks({width})"

    def partition(self, target: Architecture | tuple[int, ...]) -> Partition:
        """Return the partition of ``target``'s inputs (an architecture or its grid)."""
        grid = target.grid if isinstance(target, Architecture) else target
        if self.family == "checkerboard":
            return Partition.checkerboard(grid)
        if self.family == "blocks":
            if self.width is None:
                raise InternalError(f"a blocks scale of length {self.length} has no block width")
            return Partition.blocks(grid, self.width)
        if self.family == "left_right":
            return Partition.left_right(grid)
        return Partition.up_down(grid)


def _block_shapes(arch: Architecture) -> list[int | tuple[int, int]]:
    """Receptive fields of the pooling levels below the top: an int when square (or 1D)."""
    out: list[int | tuple[int, int]] = []
    for layer in range(1, arch.depth):
        field = arch.receptive_field(layer)
        # in 1D a block of N/2 is left/right itself, listed once
        if arch.ndim == 1 and 2 * field[0] == arch.grid[0]:
            continue
        shape: int | tuple[int, int] = field[0] if len(set(field)) == 1 else (field[0], field[1])
        if shape not in out:
            out.append(shape)
    return out


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
    if "blocks" in wanted and isinstance(target, Architecture) and target.kind == "deep":
        for shape in _block_shapes(target):
            out.append(Scale("blocks", max(shape) if isinstance(shape, tuple) else shape, shape))
    elif "blocks" in wanted:
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
        width: int | tuple[int, int] = int(match.group(1))
        if match.group(2) is not None:
            pair = (int(match.group(1)), int(match.group(2)))
            width = pair[0] if pair[0] == pair[1] else pair
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
