"""The ConvAC wave function: ``log psi(sigma)`` from a deep ConvAC on one-hot spins.

With ``M = 2`` one-hot features (spin up ``e_0``, spin down ``e_1``) the score of a
configuration is one entry of the network's coefficient tensor, ``h(sigma) = A[s_1, ..., s_N]``:
the coefficient tensor *is* the amplitude table, and its Schmidt rank across any partition is
bounded by :func:`convac.min_cut`. The amplitude is computed on the mantissa/exponent path of
:mod:`convac.models.functional` (every activation ``x * 2**e``), so ``log|psi|`` is exact for
hundreds of spins where ``psi`` itself is far outside float range.

``weights="positive"``: every weight is ``exp`` of a parameter, ``psi > 0`` (sum-product
network), fit for stoquastic problems (TFIM, Marshall-rotated Heisenberg).
``weights="signed"``: real weights, ``psi`` real with either sign, ``log psi = log|h| + i pi [h < 0]``.
``phase=True``: a second, signed ConvAC on the same architecture with two outputs supplies a
phase ``phi = atan2(g_1, g_0)`` (exact from the mantissas: both outputs share the exponent), and
``log psi = log|h| + i phi``, for sign structures no positive network has (J1-J2).
``symmetry=``: ``psi_sym(sigma) = sum_g psi(g sigma)`` over lattice translations and/or the
global spin flip (:mod:`convac.wavefunction._symmetry`, which also states the entanglement bound).

Examples
--------
>>> import torch, convac
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[4, 4, 2])
>>> psi = ConvACWaveFunction(arch, seed=0)
>>> sigma = torch.randint(0, 2, (5, 8))
>>> psi.log_psi(sigma).shape, psi.log_psi(sigma).dtype
(torch.Size([5]), torch.float64)
>>> big = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=512, n_features=2, channels=[2] * 9), seed=0)
>>> bool(torch.isfinite(big.log_psi(torch.randint(0, 2, (3, 512)))).all())   # |psi| ~ 2**(hundreds)
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from convac._validation import choice, instance, integer, real
from convac.errors import ArchitectureError, InternalError
from convac.models import DeepConvAC
from convac.models import functional as F
from convac.spec import Architecture
from convac.wavefunction._symmetry import SYMMETRIES, group_images, symmetry_group

__all__ = ["ConvACWaveFunction"]

_LN2 = math.log(2.0)


class ConvACWaveFunction(nn.Module):
    """A variational wave function ``psi(sigma)`` given by a deep ConvAC on one-hot spins (float64).

    Parameters
    ----------
    arch:
        A deep :class:`convac.Architecture` with ``n_features=2`` and one output; its grid is the
        lattice (``(16,)`` chain or ``(4, 4)`` square), any pooling schedule, shared or not.
    weights:
        ``"positive"`` (default) or ``"signed"`` (see the module docstring).
    phase:
        Add a signed phase network on the same architecture (two outputs).
    seed:
        Seed of the initial weights; the global RNG is untouched.
    init_noise, init:
        ``init="uniform"`` (always for positive weights): every weight starts at
        ``1 + init_noise * u`` with ``u`` uniform in (-1, 1), close to the uniform superposition
        with the channels' symmetry broken. ``init="random"`` (default for signed weights):
        DeepConvAC's ``randn / sqrt(fan_in)``. Measured with SR on 8 spins (TFIM chain, Heisenberg
        chain and 2x4, 60 steps), random reached 9e-5, 9e-5 and 1.6e-3 relative error where
        uniform stayed at 1.4e-2, 1.4e-3 and 1.9e-2: a uniform start sits in the basin of the
        positive-weight plateau.
    symmetry:
        ``"none"`` (default), ``"translation"``, ``"spin_flip"``, ``"translation_spin_flip"``,
        ``"space_group"`` or ``"space_group_spin_flip"`` (:data:`~convac.wavefunction.SYMMETRIES`;
        the space group adds the lattice's rotations and reflections): sum the network over that
        group (periodic lattices; not with ``phase=True``).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[4, 2])
    >>> psi = ConvACWaveFunction(arch, seed=1)
    >>> psi.n_params == arch.n_params, psi.is_complex
    (True, False)
    >>> ConvACWaveFunction(arch, phase=True).n_params == 2 * arch.n_params + arch.channels[-1]
    True
    """

    def __init__(
        self,
        arch: Architecture,
        weights: str = "positive",
        phase: bool = False,
        seed: int | None = 0,
        init_noise: float = 0.2,
        init: str = "random",
        symmetry: str = "none",
    ) -> None:
        super().__init__()
        instance(arch, "arch", Architecture, "a convac.Architecture")
        if arch.kind != "deep" or arch.n_features != 2 or arch.n_outputs != 1:
            raise ArchitectureError(
                "a ConvAC wave function needs a deep architecture with n_features=2 (the one-hot spin) and "
                f"n_outputs=1, got a {arch.kind} one with n_features={arch.n_features}, n_outputs={arch.n_outputs}"
            )
        choice(weights, "weights", ("positive", "signed"))
        instance(phase, "phase", bool, "True or False")
        if seed is not None:
            seed = integer(seed, "seed", minimum=0)
        init_noise = real(init_noise, "init_noise", low=0.0, high=1.0, high_open=True)
        self.arch = arch
        self.weights = weights
        self.amplitude = DeepConvAC(arch, representation="onehot", seed=seed, weights=weights).double()
        choice(init, "init", ("uniform", "random"))
        if weights == "positive" or init == "uniform":
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                if seed is not None:
                    torch.manual_seed(seed)
                for raw in self._raws(self.amplitude):
                    noisy = 1 + init_noise * (2 * torch.rand_like(raw) - 1)
                    raw.copy_(torch.log(noisy) if weights == "positive" else noisy)
        choice(symmetry, "symmetry", SYMMETRIES)
        if symmetry != "none" and phase:
            raise ArchitectureError(
                f"symmetry={symmetry!r} needs phase=False: the group sum is taken over real or signed amplitudes"
            )
        self.symmetry = symmetry
        perms, flips = symmetry_group(tuple(arch.grid), symmetry)
        self.group_perms, self.group_flips = torch.as_tensor(perms), torch.as_tensor(flips)
        self.phase: DeepConvAC | None = None
        if phase:
            phase_arch = _two_outputs(arch)
            self.phase = DeepConvAC(
                phase_arch, representation="onehot", seed=None if seed is None else seed + 1, weights="signed"
            ).double()

    # ------------------------------------------------------------------ parameters
    @staticmethod
    def _raws(model: DeepConvAC) -> list[nn.Parameter]:
        # log_temperature of a signed DeepConvAC scales its classifier logits only: not part of psi.
        return [*model.conv, model.output_raw]

    def split_raws(self, raws: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Split ``raws`` (:meth:`variational_parameters` order) into the amplitude's and the phase's (maybe empty)."""
        n_amp = len(self.amplitude.conv) + 1
        return list(raws[:n_amp]), list(raws[n_amp:])

    def compose_log_psi(
        self, log_abs: torch.Tensor, negative: torch.Tensor, phase_scores: torch.Tensor | None
    ) -> torch.Tensor:
        """``log psi`` from ``log|h|``, whether ``h < 0``, and the phase network's two scores (``None`` without one).

        Real for positive weights; ``log|h| + i pi [h < 0]`` for signed ones; ``log|h| + i atan2(g_1, g_0)``
        with a phase network (its two scores need only share their scale).
        """
        if self.phase is not None:
            if phase_scores is None:
                raise InternalError("an ansatz with a phase network needs its two scores to compose log psi")
            return torch.complex(log_abs, torch.atan2(phase_scores[..., 1], phase_scores[..., 0]))
        if self.weights == "signed":
            return torch.complex(log_abs, math.pi * negative.to(torch.float64))
        return log_abs

    def variational_parameters(self) -> list[nn.Parameter]:
        """Return the parameters psi depends on, in a fixed order (amplitude network, then phase network)."""
        out = self._raws(self.amplitude)
        if self.phase is not None:
            out += self._raws(self.phase)
        return out

    @property
    def n_params(self) -> int:
        """Number of real variational parameters."""
        return sum(p.numel() for p in self.variational_parameters())

    @property
    def is_complex(self) -> bool:
        """Whether ``log psi`` is complex (signed weights or a phase network)."""
        return self.weights == "signed" or self.phase is not None

    @property
    def n_sites(self) -> int:
        """Number of spins N (the architecture's inputs)."""
        return self.arch.n_inputs

    def widened(self, channels: Sequence[int], seed: int = 0) -> ConvACWaveFunction:
        """Return the same wave function on a network with more channels: ``log psi`` unchanged everywhere.

        Each layer keeps its weights; a new channel gets random incoming weights and zero outgoing
        ones, so it adds nothing to ``psi`` until training moves them (the rows it feeds get a
        nonzero gradient at once). The incoming weights are normal, scaled to the mean norm of the
        layer's existing columns at that position: with the ansatz's own initialisation a new 6x6
        channel's product over a 3x3 window came out about 40x smaller than a trained one's, and its
        outgoing weights grew only to 1e-4 in 120 SR steps. Signed weights only (a positive weight is
        ``exp`` of its parameter, never zero); no phase network.

        Examples
        --------
        >>> import torch, convac
        >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 3, 2]),
        ...                          weights="signed", symmetry="translation", seed=0)
        >>> wide = psi.widened([4, 3, 5])
        >>> sigma = torch.randint(0, 2, (6, 8), generator=torch.Generator().manual_seed(0))
        >>> wide.arch.channels, wide.n_params > psi.n_params
        ((4, 3, 5), True)
        >>> bool(torch.allclose(wide.log_psi(sigma), psi.log_psi(sigma)))
        True
        """
        channels = tuple(integer(c, "channels", minimum=1) for c in channels)
        old = tuple(self.arch.channels)
        if len(channels) != len(old) or any(new < was for new, was in zip(channels, old, strict=True)):
            raise ArchitectureError(
                f"widened needs one width per layer, each at least the current one {list(old)}, got {list(channels)}"
            )
        if self.weights != "signed" or self.phase is not None:
            raise ArchitectureError(
                "widened keeps psi only for signed weights without a phase network (a new channel's outgoing "
                f"weights start at zero), got weights={self.weights!r}, phase={self.phase is not None}"
            )
        data = self.arch.to_dict()
        data["channels"] = list(channels)
        wide = ConvACWaveFunction(
            Architecture.from_dict(data), weights="signed", seed=seed, init="random", symmetry=self.symmetry
        )
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for was, new in zip(self._raws(self.amplitude), self._raws(wide.amplitude), strict=True):
                rows, cols = was.shape[-2:]
                fresh = torch.randn(new[..., :rows, cols:].shape, generator=generator, dtype=new.dtype)
                norm = was.norm(dim=-2, keepdim=True).mean(dim=-1, keepdim=True)  # per position
                new[..., :rows, cols:] = fresh * norm / fresh.norm(dim=-2, keepdim=True).clamp_min(1e-300)
                new[..., rows:, :] = 0.0  # a new input channel feeds nothing yet
                new[..., :rows, :cols] = was
        return wide

    # ------------------------------------------------------------------ evaluation
    def log_psi(self, sigma: torch.Tensor, per_sample: list[torch.Tensor] | None = None) -> torch.Tensor:
        """``log psi`` of configurations ``sigma`` (B, N) of bits: (B,) float64, or complex128.

        ``per_sample``: one raw parameter tensor per :meth:`variational_parameters` entry with a
        leading batch axis (B, ...), so that backpropagating ``log_psi(...).sum()`` gives every
        sample's own gradient (the per-sample Jacobian used by stochastic reconfiguration).
        """
        if self.group_perms.shape[0] == 1:
            return self._log_psi_network(sigma, per_sample)
        return combine_terms(self.log_psi_terms(sigma, per_sample))

    def log_psi_terms(self, sigma: torch.Tensor, per_sample: list[torch.Tensor] | None = None) -> torch.Tensor:
        """``log psi_tree(g sigma)`` for every group element: (B, G), the terms that :meth:`log_psi` sums.

        An unsymmetrised ansatz has ``G = 1`` and its one term is :meth:`log_psi` itself.

        Examples
        --------
        >>> import convac
        >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]),
        ...                          symmetry="translation", seed=0)
        >>> sigma = torch.tensor([[1, 0, 0, 0]])
        >>> terms = psi.log_psi_terms(sigma)
        >>> terms.shape, bool(torch.allclose(torch.logsumexp(terms, 1), psi.log_psi(sigma)))
        (torch.Size([1, 4]), True)
        """
        group = self.group_perms.shape[0]
        images = group_images(sigma.to(torch.int64), self.group_perms, self.group_flips).reshape(-1, self.n_sites)
        if per_sample is not None and group > 1:
            per_sample = [p.repeat_interleave(group, dim=0) for p in per_sample]
        return self._log_psi_network(images, per_sample).reshape(-1, group)

    def _log_psi_network(self, sigma: torch.Tensor, per_sample: list[torch.Tensor] | None) -> torch.Tensor:
        """``log psi`` of the network itself, before any symmetrisation."""
        features = nn.functional.one_hot(sigma.to(torch.int64), 2).to(torch.float64)
        amp_raws, phase_raws = self.split_raws(per_sample if per_sample is not None else self.variational_parameters())
        log_abs, mantissa = _log_scores(self.amplitude, features, amp_raws, per_sample is not None)
        phase_m = None
        if self.phase is not None:
            phase_m = _log_scores(self.phase, features, phase_raws, per_sample is not None)[1]
        return self.compose_log_psi(log_abs[:, 0], mantissa[:, 0].detach() < 0, phase_m)

    def forward(self, sigma: torch.Tensor) -> torch.Tensor:
        """:meth:`log_psi`."""
        return self.log_psi(sigma)

    def per_sample_jacobian(self, sigma: torch.Tensor) -> torch.Tensor:
        """``O[b, k] = d log psi(sigma_b) / d theta_k``: (B, n_params), float64 or complex128.

        Real unless the ansatz has a phase network: a real ``psi`` has ``log psi = log|psi| + i pi
        [psi < 0]``, whose imaginary part is locally constant, so its derivative is zero (returning
        it would double the rows of the SR matrix with zeros).
        """
        params = self.variational_parameters()
        copies = [p.detach().unsqueeze(0).expand(sigma.shape[0], *p.shape).clone().requires_grad_() for p in params]
        with torch.enable_grad():
            out = self.log_psi(sigma, per_sample=copies)
            with_phase = out.is_complex() and self.phase is not None
            real_part = torch.autograd.grad(out.real.sum(), copies, retain_graph=with_phase, allow_unused=True)
            jac = _flat(real_part, copies)
            if with_phase:
                imag_part = torch.autograd.grad(out.imag.sum(), copies, allow_unused=True)
                jac = torch.complex(jac, _flat(imag_part, copies))
        return jac


def layer_weights(model: DeepConvAC, raws: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Return the matrices ``model`` multiplies by, from its raw parameters: their ``exp`` for positive weights."""
    return [r.exp() if model.weights == "positive" else r for r in raws]


def combine_terms(terms: torch.Tensor) -> torch.Tensor:
    """``log sum_g exp(terms[:, g])``: (B, G) -> (B,), real or complex (signs live in the imaginary parts)."""
    if not terms.is_complex():
        return torch.logsumexp(terms, dim=1)
    top = terms.real.detach().amax(dim=1, keepdim=True)
    return top[:, 0] + torch.log(torch.exp(terms - top).sum(dim=1))


def _two_outputs(arch: Architecture) -> Architecture:
    data = arch.to_dict()
    data["n_outputs"] = 2
    return Architecture.from_dict(data)


def _flat(grads: tuple[torch.Tensor | None, ...], like: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat(
        [(torch.zeros_like(c) if g is None else g).reshape(c.shape[0], -1) for g, c in zip(grads, like, strict=True)],
        dim=1,
    )


def _conv(x: torch.Tensor, weight: torch.Tensor, per_sample: bool) -> torch.Tensor:
    if not per_sample:
        return F.pointwise_conv(x, weight)
    if weight.dim() == 3:  # shared: (B, c_in, c_out)
        return torch.einsum("bpi,bio->bpo", x, weight)
    return torch.einsum("bpi,bpio->bpo", x, weight)


def _log_scores(
    model: DeepConvAC,
    features: torch.Tensor,
    raws: list[torch.Tensor],
    per_sample: bool,
    record: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log|h_y|, mantissa)`` of ``model``'s scores, both (B, n_outputs), from raw parameters ``raws``.

    The same layer arithmetic as :class:`DeepConvAC` (1x1 conv, renormalise, product-pool,
    renormalise; large windows pairwise), with weights that may carry a batch axis. ``record``:
    a list that receives each convolution's ``(input, output)``, the output layer's last.
    """
    arch = model.arch
    weights = layer_weights(model, raws)
    exponent = torch.zeros(features.shape[0], dtype=torch.int64, device=features.device)
    x, exponent = F.normalize(features, exponent)
    for layer in range(arch.depth):
        grid, window = arch.layer_grid(layer), arch.windows[layer]
        y = _conv(x, weights[layer], per_sample)
        if record is not None:
            record.append((x, y))
        x, exponent = F.normalize(y, exponent)
        if arch.pool_sizes[layer] <= 8:
            x, exponent = F.normalize(F.product_pool(x, grid, window), exponent)
        else:
            x, exponent = F.window_product_pool(x, exponent, grid, window)
    top = x[:, 0, :]
    out = torch.einsum("bc,bcy->by", top, weights[-1]) if per_sample else top @ weights[-1]
    if record is not None:
        record.append((top, out))
    log_abs = torch.log(out.abs().clamp_min(torch.finfo(out.dtype).tiny)) + _LN2 * exponent.to(out.dtype).unsqueeze(1)
    return log_abs, out
