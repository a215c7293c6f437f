"""``log psi`` of every single-spin flip of a configuration, by updating one path of the tree.

The local energy of a Hamiltonian whose off-diagonal terms flip one spin (the transverse field)
needs ``psi(sigma^j)`` for every site ``j``. Flipping spin ``j`` changes only the nodes on the path
from leaf ``j`` to the root: each of them is its *cavity* (the entrywise product of its siblings'
vectors, which the flip leaves alone) times the changed child pushed through one convolution. So all
``N`` flips of a configuration cost one pass over the tree plus ``N`` paths of ``depth`` small
matrix products, instead of ``N`` passes over the whole tree.

Every vector is kept as ``log|x|`` and a sign between layers, and the cavities are prefix and
suffix sums of ``log|x|`` inside each pooling window, so that a window of many positions, or a
zero entry, neither overflows nor divides by zero: the amplitudes are as exact at depth as the
mantissa/exponent path of :meth:`ConvACWaveFunction.log_psi`.

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

import torch

from convac.models import DeepConvAC
from convac.wavefunction._ansatz import ConvACWaveFunction, combine_terms, layer_weights
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


def _flip_scores(model: DeepConvAC, weights: list[torch.Tensor], sigma: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Scores of ``model`` on ``sigma`` (B, N) with each site flipped: ``(log|h|, sign)``, (B, N, n_outputs)."""
    arch = model.arch
    n = arch.n_inputs
    sites = torch.arange(n)
    leaf = weights[0]
    rows = leaf[sites, sigma] if leaf.dim() == 3 else leaf[sigma]  # (B, N, c): the leaves' conv outputs
    flipped = leaf[sites, 1 - sigma] if leaf.dim() == 3 else leaf[1 - sigma]
    log_abs, sign = _signed_log(rows)
    path_log, path_sign = _signed_log(flipped)  # path_*[:, j]: site j's path node at the current layer
    node_of = sites  # node_of[j]: that path node's index in its layer
    for layer in range(arch.depth):
        windows = torch.as_tensor(arch.pool_windows(layer))  # (P, k)
        parent = torch.empty(int(windows.numel()), dtype=torch.int64)
        parent[windows.reshape(-1)] = torch.arange(windows.shape[0]).repeat_interleave(windows.shape[1])
        slot = torch.empty_like(parent)
        slot[windows.reshape(-1)] = torch.arange(windows.shape[1]).repeat(windows.shape[0])
        pooled_log, pooled_sign, cavity_log, cavity_sign = _cavities(log_abs[:, windows], sign[:, windows])
        p, k = parent[node_of], slot[node_of]
        path_log = cavity_log[:, p, k] + path_log
        path_sign = cavity_sign[:, p, k] * path_sign
        nodes = torch.arange(windows.shape[0])
        log_abs, sign = _convolve(pooled_log, pooled_sign, weights[layer + 1], nodes)
        path_log, path_sign = _convolve(path_log, path_sign, weights[layer + 1], p)
        node_of = p
    return path_log, path_sign


def flip_log_psi(psi: ConvACWaveFunction, sigma: torch.Tensor) -> torch.Tensor:
    """``log psi(sigma^j)`` for every configuration and site: (B, N), ``sigma^j`` = ``sigma`` with spin ``j`` flipped.

    The same values and type as :meth:`ConvACWaveFunction.log_psi` on the flipped configurations
    (real, or complex for signed weights and a phase network; summed over the group for a
    symmetrised ansatz), without gradient.

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
        perms, flips = psi.group_perms, psi.group_flips
        images = group_images(sigma, perms, flips).reshape(-1, psi.n_sites)
        terms = _network_flip_log_psi(psi, images).reshape(sigma.shape[0], perms.shape[0], psi.n_sites)
        if perms.shape[0] == 1:
            return terms[:, 0]
        # sigma^j's image under g is g sigma with image site perms[g]^-1(j) flipped
        inverse = torch.argsort(perms, dim=1)
        gathered = terms.gather(2, inverse.unsqueeze(0).expand(sigma.shape[0], -1, -1))
        return combine_terms(gathered.transpose(1, 2).reshape(-1, perms.shape[0])).reshape(sigma.shape)


def _network_flip_log_psi(psi: ConvACWaveFunction, sigma: torch.Tensor) -> torch.Tensor:
    """:func:`flip_log_psi` of the network itself, before any symmetrisation."""
    amp_raws, phase_raws = psi.split_raws([r.detach() for r in psi.variational_parameters()])
    log_abs, sign = _flip_scores(psi.amplitude, layer_weights(psi.amplitude, amp_raws), sigma)
    phase_scores = None
    if psi.phase is not None:
        # the two outputs' unit-peak values: they share their scale, so they give the angle
        phase_scores = _linear(*_flip_scores(psi.phase, layer_weights(psi.phase, phase_raws), sigma))[0]
    return psi.compose_log_psi(log_abs[..., 0], sign[..., 0] < 0, phase_scores)
