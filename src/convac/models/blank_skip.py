"""Deep 2D ConvAC scores computed on the non-blank positions only (the neutral gauge's shortcut).

In the neutral gauge (:class:`~convac.models.digit_nets.ConvACImageNet` with ``weights="neutral"``)
a blank patch's features are exactly 1 and every weight column sums to 1, so a region whose whole
receptive field is blank has the value 1 in every channel at every layer: it multiplies its
pooling window's product by 1 and can be left out. This module carries each layer as the list of
its *active* positions (those with a non-blank pixel in their receptive field), flattened over the
batch, and pools a window by multiplying its active children only; a window without active children
is not computed at all. The scores equal the full circuit's up to float rounding (the full circuit
multiplies by ``1 @ W``, one up to rounding, where this one multiplies by exactly 1).

Examples
--------
>>> import torch
>>> from convac.spec import Architecture
>>> arch = Architecture.deep_2d(4, 4, n_features=2, channels=[3, 2], n_outputs=2, shared=True)
>>> active = torch.tensor([[0.5, 1.0]])                         # features of position 5 (row 1, column 1)
>>> w = [torch.full((2, 3), 0.5), torch.full((3, 2), 1 / 3)]  # columns sum to 1
>>> m, e = active_scaled_scores(active, torch.tensor([5]), 1, w, torch.eye(2), arch)
>>> (m * 2.0**e).tolist()                                     # 0.75 from the one position
[[0.75, 0.75]]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from convac.errors import InternalError
from convac.models.functional import normalize
from convac.spec import Architecture

__all__ = ["active_scaled_scores", "skippable"]


def skippable(arch: Architecture) -> bool:
    """Whether :func:`active_scaled_scores` handles ``arch``: 2D, shared weights, 2x2 pooling at every layer.

    >>> from convac.spec import Architecture
    >>> skippable(Architecture.deep_2d(8, 8, n_features=2, channels=[2, 2, 2], shared=True))
    True
    """
    return (
        arch.kind == "deep"
        and arch.ndim == 2
        and arch.shared
        and all(tuple(w) == (2, 2) for w in arch.windows)
        and arch.grid[0] == arch.grid[1] == 2**arch.depth
    )


def _pool_active(values: torch.Tensor, index: torch.Tensor, side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiply each 2x2 window's active children; return the active parents' values and flat indices.

    ``index`` holds the flat (sample, row, column) positions of ``values``' rows on a ``side`` x ``side``
    grid; a missing child is a blank one, whose value is exactly 1.
    """
    per_sample = side * side
    sample, within = index // per_sample, index % per_sample
    row, col = within // side, within % side
    half = side // 2
    parent = sample * (half * half) + (row // 2) * half + col // 2
    slot = (row % 2) * 2 + col % 2
    parents, which = torch.unique(parent, return_inverse=True)
    filled = torch.ones(parents.shape[0] * 4, values.shape[1], dtype=values.dtype, device=values.device)
    filled = filled.index_copy(0, which * 4 + slot, values).view(-1, 4, values.shape[1])
    a, b, c, d = filled.unbind(dim=1)  # explicit products: cheaper backward than torch.prod
    return a * b * c * d, parents


def _rows_normalized(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row scaled by a power of two to peak in [0.5, 1), and the powers taken out (one per row)."""
    scaled, k = normalize(rows.unsqueeze(1), torch.zeros(rows.shape[0], dtype=torch.int64, device=rows.device))
    return scaled.squeeze(1), k


def active_scaled_scores(
    values: torch.Tensor,
    index: torch.Tensor,
    batch: int,
    weights: Sequence[torch.Tensor],
    output: torch.Tensor,
    arch: Architecture,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(mantissa, exponent)`` of the scores, computed on the active positions only.

    ``values`` (n, M) are the features of the active positions, ``index`` (n,) their sorted flat
    positions in the (batch, H*W) grid; every other position's features must be exactly 1.
    ``weights`` are the hidden layers' (c_in, c_out) matrices with columns summing to 1, ``output``
    the (r_{L-1}, n_outputs) output matrix. The scores equal ``DeepConvAC._scaled_scores`` of the
    full circuit with these weights up to float rounding.
    """
    if not skippable(arch):
        raise InternalError(f"active_scaled_scores needs a shared 2D deep ConvAC with 2x2 pooling, got {arch}")
    side = arch.grid[0]
    exponent = torch.zeros(batch, dtype=torch.int64, device=values.device)
    for weight in weights:
        # Renormalised after the conv and after the pool, as the full circuit's guarded path does, so
        # no product of four factors leaves float range; the powers of two taken out of a position
        # go to its sample's exponent.
        conv, k_conv = _rows_normalized(values @ weight)
        exponent = exponent.index_add(0, index // (side * side), k_conv)
        pooled, index = _pool_active(conv, index, side)
        side //= 2
        values, k_pool = _rows_normalized(pooled)
        exponent = exponent.index_add(0, index // (side * side), k_pool)
    # The top position: a sample without any active position scores exactly 1 in every channel.
    top = torch.ones(batch, values.shape[1], dtype=values.dtype, device=values.device).index_copy(0, index, values)
    top, top_k = normalize(top.unsqueeze(1), exponent)
    return top.squeeze(1) @ output, top_k
