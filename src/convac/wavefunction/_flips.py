"""``log psi`` of every single-spin flip of a configuration, without evaluating the flipped ones.

The local energy of a Hamiltonian whose off-diagonal terms flip one spin (the transverse field)
needs ``psi(sigma^j)`` for every site ``j``. Three exact routes, the first that applies:

1. **One backward pass** (:class:`~convac.wavefunction._one_pass.BatchPass`). The tree is linear
   in each leaf's one-hot input ``f_j`` (it enters one product once), so ``h(sigma^j) / h(sigma)``
   is ``d log|h| / d f_j`` read at the other spin value: every flip from the gradient of one
   log-scale forward pass. Needs ``h(sigma) != 0`` and one output (no phase network).
2. **Path updates on linear values.** Flipping spin ``j`` changes only the nodes on the path from
   leaf ``j`` to the root: each is its *cavity* (the product of its siblings' vectors, from prefix
   and suffix products inside each window, no division) times the changed child pushed through one
   convolution. Vectors are unit-peak with one log scale each, so products cannot overflow.
3. **Path updates on logarithms**, where a pooled product of route 2 underflows (a window of many
   small entries) or a vector is zero: every entry as ``log|x|`` and a sign, the cavities as prefix
   and suffix sums.

All three are as exact at depth as the mantissa/exponent path of :meth:`ConvACWaveFunction.log_psi`
(timings against full evaluation: ``benchmarks/bench_path_updates.py``).

Examples
--------
>>> import torch, convac
>>> from convac.wavefunction import ConvACWaveFunction
>>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2]), seed=0)
>>> sigma = torch.randint(0, 2, (4, 8), generator=torch.Generator().manual_seed(0))
>>> flipped = sigma.unsqueeze(1) ^ torch.eye(8, dtype=torch.int64)   # (4, 8, 8): site j flipped
>>> direct = psi.log_psi(flipped.reshape(-1, 8)).reshape(4, 8)
>>> bool(torch.allclose(flip_log_psi(psi, sigma), direct, atol=1e-10))
True
"""

from __future__ import annotations

import math

import torch

from convac._validation import choice
from convac.models import DeepConvAC
from convac.spec import Architecture
from convac.wavefunction._ansatz import ConvACWaveFunction, layer_weights
from convac.wavefunction._one_pass import BatchPass, batch_pass, symmetrised_flips
from convac.wavefunction._symmetry import group_images

__all__ = ["flip_log_psi"]


def _signed_log(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.log(x.abs()), torch.sign(x)


def _linear(log_abs: torch.Tensor, sign: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Vectors over the last axis as (unit-peak values, log of the peak); a zero vector gets peak 1."""
    peak = log_abs.amax(dim=-1, keepdim=True)
    peak = torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
    return sign * torch.exp(log_abs - peak), peak[..., 0]


def _convolve(
    log_abs: torch.Tensor, sign: torch.Tensor, weight: torch.Tensor, nodes: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``x @ W[node]`` in (log|.|, sign) form; ``log_abs`` (..., P, c) with node ``nodes[p]`` at ``P``."""
    unit, peak = _linear(log_abs, sign)
    out = unit @ weight if weight.dim() == 2 else torch.einsum("...pi,pio->...po", unit, weight[nodes])
    out_log, out_sign = _signed_log(out)
    return out_log + peak.unsqueeze(-1), out_sign


def _cavities(log_abs: torch.Tensor, sign: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Products over each window (axis -2) and, per member, over the others: ``(B, P, k, c)`` in."""
    zero = torch.zeros_like(log_abs[..., :1, :])
    one = torch.ones_like(sign[..., :1, :])
    before = torch.cat([zero, log_abs[..., :-1, :].cumsum(-2)], dim=-2)
    after = torch.cat([zero, log_abs.flip(-2)[..., :-1, :].cumsum(-2)], dim=-2).flip(-2)
    sign_before = torch.cat([one, sign[..., :-1, :].cumprod(-2)], dim=-2)
    sign_after = torch.cat([one, sign.flip(-2)[..., :-1, :].cumprod(-2)], dim=-2).flip(-2)
    return log_abs.sum(-2), sign.prod(-2), before + after, sign_before * sign_after


def _window_maps(arch: Architecture, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Layer ``layer``'s pooling windows (P, k), and for each of its input nodes the window and slot it sits in."""
    windows = torch.as_tensor(arch.pool_windows(layer))
    parent = torch.empty(int(windows.numel()), dtype=torch.int64)
    parent[windows.reshape(-1)] = torch.arange(windows.shape[0]).repeat_interleave(windows.shape[1])
    slot = torch.empty_like(parent)
    slot[windows.reshape(-1)] = torch.arange(windows.shape[1]).repeat(windows.shape[0])
    return windows, parent, slot


def _leaves(weights: list[torch.Tensor], sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the leaves' conv outputs for ``sigma`` and for ``sigma`` with each site flipped: (B, N, c) each."""
    leaf = weights[0]
    if leaf.dim() == 3:
        sites = torch.arange(sigma.shape[1])
        return leaf[sites, sigma], leaf[sites, 1 - sigma]
    return leaf[sigma], leaf[1 - sigma]


def _flip_scores(model: DeepConvAC, weights: list[torch.Tensor], sigma: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Scores of ``model`` on ``sigma`` (B, N) with each site flipped: ``(log|h|, sign)``, (B, N, n_outputs).

    Linear values with one log scale per vector where no pooled product leaves float range (the
    common case, and several times faster than logarithms of every entry), else logarithms throughout.
    """
    linear = _flip_scores_linear(model.arch, weights, sigma)
    return linear if linear is not None else _flip_scores_log(model.arch, weights, sigma)


def _flip_scores_log(arch: Architecture, weights: list[torch.Tensor], sigma: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """:func:`_flip_scores` with every entry as ``(log|x|, sign)``: exact whatever the windows and values."""
    rows, flipped = _leaves(weights, sigma)
    log_abs, sign = _signed_log(rows)
    path_log, path_sign = _signed_log(flipped)  # path_*[:, j]: site j's path node at the current layer
    node_of = torch.arange(arch.n_inputs)  # node_of[j]: that path node's index in its layer
    for layer in range(arch.depth):
        windows, parent, slot = _window_maps(arch, layer)
        pooled_log, pooled_sign, cavity_log, cavity_sign = _cavities(log_abs[:, windows], sign[:, windows])
        p, k = parent[node_of], slot[node_of]
        path_log = cavity_log[:, p, k] + path_log
        path_sign = cavity_sign[:, p, k] * path_sign
        nodes = torch.arange(windows.shape[0])
        log_abs, sign = _convolve(pooled_log, pooled_sign, weights[layer + 1], nodes)
        path_log, path_sign = _convolve(path_log, path_sign, weights[layer + 1], p)
        node_of = p
    return path_log, path_sign


# a unit-peak vector whose pooled product falls below this has lost digits to subnormals
_SMALLEST_PEAK = 1e-280


def _unit_peak(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` over its last axis divided by its largest |entry|, and that entry's log: ((..., c), (...))."""
    peak = x.abs().amax(dim=-1)
    return x / peak.unsqueeze(-1), torch.log(peak)


def _in_range(*log_peaks: torch.Tensor) -> bool:
    return all(bool(torch.isfinite(s).all()) and float(s.min()) > math.log(_SMALLEST_PEAK) for s in log_peaks)


def _flip_scores_linear(
    arch: Architecture, weights: list[torch.Tensor], sigma: torch.Tensor
) -> tuple[torch.Tensor, ...] | None:
    """:func:`_flip_scores` on unit-peak vectors, each with its log scale; ``None`` where a product underflows.

    Members of a window are unit-peak, so their products cannot overflow; an underflowing product
    (a window of many small entries) or a zero vector sends the caller to the logarithmic path.
    """
    rows, flipped = _leaves(weights, sigma)
    x, scale = _unit_peak(rows)  # x[:, i]: node i of the current layer; scale: its log size
    path, path_scale = _unit_peak(flipped)  # site j's path node at the current layer
    if not _in_range(scale, path_scale):
        return None
    node_of = torch.arange(arch.n_inputs)
    for layer in range(arch.depth):
        windows, parent, slot = _window_maps(arch, layer)
        members, member_scale = x[:, windows], scale[:, windows]  # (B, P, k, c), (B, P, k)
        ones = torch.ones_like(members[..., :1, :])
        before = torch.cat([ones, members[..., :-1, :].cumprod(-2)], dim=-2)
        after = torch.cat([ones, members.flip(-2)[..., :-1, :].cumprod(-2)], dim=-2).flip(-2)
        p, k = parent[node_of], slot[node_of]
        window_scale = member_scale.sum(-1)
        pooled, pooled_peak = _unit_peak(before[..., -1, :] * members[..., -1, :])
        path, path_peak = _unit_peak(before[:, p, k] * after[:, p, k] * path)
        if not _in_range(pooled_peak, path_peak):
            return None
        scale = window_scale + pooled_peak
        path_scale = window_scale[:, p] - member_scale[:, p, k] + path_scale + path_peak
        weight = weights[layer + 1]
        if weight.dim() == 2:
            x, path = pooled @ weight, path @ weight
        else:
            x = torch.einsum("bpi,pio->bpo", pooled, weight)
            path = torch.einsum("bpi,pio->bpo", path, weight[p])
        if layer + 1 < arch.depth:
            x, peak = _unit_peak(x)
            path, next_peak = _unit_peak(path)
            if not _in_range(peak, next_peak):
                return None
            scale, path_scale = scale + peak, path_scale + next_peak
        node_of = p
    return torch.log(path.abs()) + path_scale.unsqueeze(-1), torch.sign(path)


def flip_log_psi(psi: ConvACWaveFunction, sigma: torch.Tensor, route: str = "auto") -> torch.Tensor:
    """``log psi(sigma^j)`` for every configuration and site: (B, N), ``sigma^j`` = ``sigma`` with spin ``j`` flipped.

    The same values and type as :meth:`ConvACWaveFunction.log_psi` on the flipped configurations
    (real, or complex for signed weights and a phase network; summed over the group for a
    symmetrised ansatz), without gradient. ``route="paths"`` skips the backward-pass route (the
    module docstring's route 1), for comparisons.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_2d(height=2, width=2, n_features=2, channels=[2])
    >>> psi = ConvACWaveFunction(arch, weights="signed", symmetry="translation", seed=1)
    >>> sigma = torch.tensor([[0, 1, 1, 1]])
    >>> bool(torch.allclose(flip_log_psi(psi, sigma)[0, 0], psi.log_psi(torch.tensor([[1, 1, 1, 1]]))[0]))
    True
    """
    with torch.no_grad():
        sigma = sigma.to(torch.int64)
        if choice(route, "route", ("auto", "paths")) == "auto" and BatchPass.applies(psi):
            by_gradient = batch_pass(psi, sigma, jacobian=False).flips
            if by_gradient is not None:
                return by_gradient
        images = group_images(sigma, psi.group_perms, psi.group_flips).reshape(-1, psi.n_sites)
        return symmetrised_flips(psi, _network_flip_log_psi(psi, images))


def _network_flip_log_psi(psi: ConvACWaveFunction, sigma: torch.Tensor) -> torch.Tensor:
    """:func:`flip_log_psi` of the network itself by path updates, before any symmetrisation."""
    amp_raws, phase_raws = psi.split_raws([r.detach() for r in psi.variational_parameters()])
    log_abs, sign = _flip_scores(psi.amplitude, layer_weights(psi.amplitude, amp_raws), sigma)
    phase_scores = None
    if psi.phase is not None:
        # the two outputs' unit-peak values: they share their scale, so they give the angle
        phase_scores = _linear(*_flip_scores(psi.phase, layer_weights(psi.phase, phase_raws), sigma))[0]
    return psi.compose_log_psi(log_abs[..., 0], sign[..., 0] < 0, phase_scores)
