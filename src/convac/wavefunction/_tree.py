"""The whole amplitude vector of a ConvAC wave function by contracting its tree, bottom up (N <= 20).

Evaluating the network on each of the ``2^N`` configurations repeats most of the work: below
the top, a node covering ``k`` spins only ever sees ``2^k`` distinct inputs. Contracting the
hierarchical Tucker tree instead (as :func:`convac.coefficient_tensor` does, here in torch
with autograd) builds each node's ``(2^k, channels)`` table once: the cost is dominated by the
top node's ``2^N x r`` table. Each node's table is divided by its largest magnitude (a
constant without gradient), which changes ``psi`` by a global factor only: energies, their
gradients and the SR metric are invariant to it.

Examples
--------
>>> import torch, convac
>>> from convac.wavefunction import ConvACWaveFunction
>>> arch = convac.Architecture.deep_2d(height=2, width=4, n_features=2, channels=[3, 2], windows=[(1, 2), (2, 2)])
>>> psi = ConvACWaveFunction(arch, weights="signed", seed=0)
>>> amp = amplitude_vector(psi)
>>> sigma = (torch.arange(256).unsqueeze(1) >> (7 - torch.arange(8))) & 1
>>> direct = torch.exp(psi.log_psi(sigma)).real
>>> bool(torch.allclose(amp / amp.abs().max(), direct / direct.abs().max(), atol=1e-12))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from convac.models import DeepConvAC
from convac.spec import Architecture
from convac.wavefunction._ansatz import ConvACWaveFunction, layer_weights
from convac.wavefunction._symmetry import basis_images, symmetry_group

__all__ = ["amplitude_vector", "tree_scores"]


@lru_cache(maxsize=32)
def _natural_order(arch: Architecture) -> torch.Tensor:
    """``order[t]``: the basis index (site 0 most significant) of the tree's row ``t``."""
    leaves: list[list[int]] = [[j] for j in range(arch.n_inputs)]
    for layer in range(arch.depth):
        leaves = [[site for child in window for site in leaves[child]] for window in arch.pool_windows(layer)]
    (positions,) = leaves
    n = arch.n_inputs
    rows = np.arange(2**n, dtype=np.int64)
    order = np.zeros(2**n, dtype=np.int64)
    for k, site in enumerate(positions):
        order |= ((rows >> (n - 1 - k)) & 1) << (n - 1 - site)
    return torch.as_tensor(np.argsort(order))


def _rescaled(table: torch.Tensor) -> torch.Tensor:
    peak = table.detach().abs().amax()
    return table / peak if bool(peak > 0) else table


def tree_scores(model: DeepConvAC, raws: Sequence[torch.Tensor]) -> torch.Tensor:
    """Scores of every configuration, (2^N, n_outputs), up to one positive factor, basis order.

    ``raws`` are the model's raw parameters (``conv`` layers then ``output_raw``), possibly
    replaced by other tensors of the same shapes (for functional transforms).
    """
    arch = model.arch
    weights = layer_weights(model, raws)
    tables: list[torch.Tensor] = []
    for layer in range(arch.depth):
        w = weights[layer]
        if layer == 0:  # one-hot inputs: a leaf's table is its weight matrix
            tables = [w[j] if w.dim() == 3 else w for j in range(arch.n_inputs)]
        else:
            tables = [t @ (w[j] if w.dim() == 3 else w) for j, t in enumerate(tables)]
        pooled = []
        for window in arch.pool_windows(layer):
            table = tables[window[0]]
            for child in window[1:]:
                other = tables[child]
                table = _rescaled((table.unsqueeze(1) * other.unsqueeze(0)).reshape(-1, table.shape[1]))
            pooled.append(table)
        tables = pooled
    (top,) = tables
    return (top @ weights[-1])[_natural_order(arch)]


@lru_cache(maxsize=8)
def _images(shape: tuple[int, ...], symmetry: str) -> torch.Tensor:
    return basis_images(*symmetry_group(shape, symmetry))


def amplitude_vector(psi: ConvACWaveFunction, params: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
    """``psi`` on all ``2^N`` configurations (basis order), real or complex, up to a positive factor.

    ``params`` replaces :meth:`ConvACWaveFunction.variational_parameters` (same order and shapes).
    A symmetrised ansatz sums the network's vector over the group's images of each basis index.
    """
    amp_raws, phase_raws = psi.split_raws(psi.variational_parameters() if params is None else params)
    h = tree_scores(psi.amplitude, amp_raws)[:, 0]
    if psi.symmetry != "none":
        return h[_images(tuple(psi.arch.grid), psi.symmetry)].sum(dim=0)
    if psi.phase is None:
        return h
    g = tree_scores(psi.phase, phase_raws)
    modulus = torch.sqrt(g[:, 0] ** 2 + g[:, 1] ** 2).clamp_min(torch.finfo(g.dtype).tiny)
    return torch.complex(h.abs() * g[:, 0] / modulus, h.abs() * g[:, 1] / modulus)
