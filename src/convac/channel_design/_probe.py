"""The template network a design fills in: a deep ConvAC on a grid with every width 1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convac._validation import instance, positive_int
from convac.errors import ArchitectureError, InputError
from convac.spec import Architecture

__all__ = ["probe_architecture"]


def probe_architecture(
    grid: Sequence[int] | int,
    n_features: int,
    window: int | None,
    n_outputs: int,
    shared: bool,
    windows: Sequence[Any] | None,
) -> Architecture:
    """Return the deep ConvAC on ``grid`` with every width 1: the template a design fills in."""
    sides = (
        (grid,)
        if isinstance(grid, (int, np.integer))
        else instance(grid, "grid", (tuple, list, np.ndarray), "N or (H, W)")
    )
    grid = tuple(positive_int(v, f"grid[{i}]") for i, v in enumerate(sides))
    if len(grid) not in (1, 2):
        raise InputError(f"grid must be N or (H, W), got {len(grid)} sides")
    depth = _depth(grid, 2 if window is None else window) if windows is None else len(windows)
    if len(grid) == 1:
        return Architecture.deep_1d(grid[0], n_features, [1] * depth, n_outputs, shared, window=window, windows=windows)
    return Architecture.deep_2d(
        grid[0], grid[1], n_features, [1] * depth, n_outputs, shared, window=window, windows=windows
    )


def _depth(grid: tuple[int, ...], window: int) -> int:
    side, depth = grid[0], 0
    while side > 1 and side % window == 0:
        side //= window
        depth += 1
    if side != 1 or depth == 0:
        raise ArchitectureError(f"grid side {grid[0]} must be a power of the window {window} for a deep ConvAC")
    return depth
