"""Deep 2D ConvAC scores computed on the non-blank positions only.

A blank patch (all pixels zero) has the same features wherever it lies, so a region whose whole
receptive field is blank has the same value at every layer, whatever the image: one vector per
layer, computed once per forward from the blank patch's features. This module carries each layer
as the list of its *active* positions (those with a non-blank pixel in their receptive field),
flattened over the batch, and pools a window from its active children and the layer's blank vector
for the others; a window without active children is not computed at all. In the neutral gauge
(:class:`~convac.models.digit_nets.ConvACImageNet` with ``weights="neutral"``) the blank vector is
exactly 1 at every layer. The scores equal the full circuit's up to float rounding and a positive
per-sample factor (a power of two: each position's renormalisation, which logits ignore).

Examples
--------
>>> import torch
>>> from convac.spec import Architecture
>>> arch = Architecture.deep_2d(4, 4, n_features=2, channels=[3, 2], n_outputs=2, shared=True)
>>> active = torch.tensor([[0.5, 1.0]])                       # features of position 5 (row 1, column 1)
>>> w = [torch.full((2, 3), 0.5), torch.full((3, 2), 1 / 3)]  # columns sum to 1: the blank vector stays 1
>>> active_scores(active, torch.tensor([5]), torch.ones(2), 1, w, torch.eye(2), arch).tolist()
[[0.75, 0.75]]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from convac.errors import InternalError
from convac.models.functional import normalize
from convac.spec import Architecture

__all__ = ["active_scores", "skippable"]


def skippable(arch: Architecture) -> bool:
    """Whether :func:`active_scores` handles ``arch``: 2D, shared weights, 2x2 pooling at every layer.

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


def _pool_active(
    values: torch.Tensor, index: torch.Tensor, blank: torch.Tensor, side: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiply each 2x2 window's children; return the active parents' values and flat indices.

    ``index`` holds the flat (sample, row, column) positions of ``values``' rows on a ``side`` x ``side``
    grid; a missing child is a blank one, whose value is ``blank`` (1, channels).
    """
    per_sample = side * side
    sample, within = index // per_sample, index % per_sample
    row, col = within // side, within % side
    half = side // 2
    parent = sample * (half * half) + (row // 2) * half + col // 2
    slot = (row % 2) * 2 + col % 2
    parents, which = torch.unique(parent, return_inverse=True)
    filled = blank.expand(parents.shape[0] * 4, values.shape[1]).index_copy(0, which * 4 + slot, values)
    filled = filled.view(-1, 4, values.shape[1])
    a, b, c, d = filled.unbind(dim=1)  # explicit products: cheaper backward than torch.prod
    return a * b * c * d, parents


def _rows_normalized(rows: torch.Tensor) -> torch.Tensor:
    """Each row scaled by a power of two to peak in [0.5, 1) (all-zero rows stay zero)."""
    scaled, _ = normalize(rows.unsqueeze(1), torch.zeros(rows.shape[0], dtype=torch.int64, device=rows.device))
    return scaled.squeeze(1)


def active_scores(
    values: torch.Tensor,
    index: torch.Tensor,
    blank: torch.Tensor,
    batch: int,
    weights: Sequence[torch.Tensor],
    output: torch.Tensor,
    arch: Architecture,
) -> torch.Tensor:
    """Return the scores (batch, n_outputs) up to a positive per-sample factor, from the active positions only.

    ``values`` (n, M) are the features of the active positions, ``index`` (n,) their sorted flat
    positions in the (batch, H*W) grid, ``blank`` (M,) the features of every other position.
    ``weights`` are the hidden layers' (c_in, c_out) matrices, ``output`` the (r_{L-1}, n_outputs)
    output matrix. The result is the full circuit's score mantissa (``DeepConvAC._scaled_scores``)
    up to float rounding and, rarely (a top value within rounding of a power of two), a factor 2.
    """
    if not skippable(arch):
        raise InternalError(f"active_scores needs a shared 2D deep ConvAC with 2x2 pooling, got {arch}")
    side = arch.grid[0]
    blank = blank.reshape(1, -1)
    for weight in weights:
        # Renormalised after the conv and after the pool, as the full circuit's guarded path does, so
        # no product of four factors leaves float range. The powers of two taken out scale a whole
        # sample's scores alike, so they are dropped (the final renormalisation fixes the scale).
        conv = _rows_normalized(values @ weight)
        blank_conv = _rows_normalized(blank @ weight)
        pooled, index = _pool_active(conv, index, blank_conv, side)
        side //= 2
        values = _rows_normalized(pooled)
        blank = _rows_normalized(blank_conv**4)
    # The top position: a sample without any active position has the blank value.
    top = blank.expand(batch, values.shape[1]).index_copy(0, index, values)
    return _rows_normalized(top) @ output
