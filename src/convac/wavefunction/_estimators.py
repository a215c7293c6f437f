"""Energy, variance and gradient of ``<psi|H|psi> / <psi|psi>``: exact full sums and Monte Carlo.

Both estimators return an :class:`Estimate`: the energy, its variance ``<H^2> - <H>^2``, the
standard error (0 for a full sum), the gradient with respect to the variational parameters
(flattened, in :meth:`ConvACWaveFunction.variational_parameters` order) and, for stochastic
reconfiguration, the force ``F`` and the metric ``S`` as an operator ``v -> S v`` (full sum) or
the matrix ``X`` with ``S = X^T X`` and the vector ``e`` with ``F = X^T e`` (samples; minSR needs
``X`` itself).

With ``O_k = d log psi / d theta_k`` (complex for complex ``psi``), local energy
``E_loc = (H psi) / psi`` and averages over ``p = |psi|^2 / <psi|psi>``: the gradient of the
energy is ``2 Re <(O_k - <O_k>)^* (E_loc - E)>`` and the SR metric
``S_kl = Re <(O_k - <O_k>)^* (O_l - <O_l>)>``; stacking real and imaginary parts of
``sqrt(p) (O - <O>)`` as the rows of ``X`` gives ``S = X^T X`` exactly.

Examples
--------
>>> import convac
>>> from convac.wavefunction import ConvACWaveFunction, tfim
>>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
>>> est = FullSum(psi, tfim((4,))).estimate()
>>> est.energy >= -5.226252 and est.variance >= 0 and est.error == 0.0
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from convac._validation import integer
from convac.errors import InputError
from convac.wavefunction._ansatz import ConvACWaveFunction, combine_terms
from convac.wavefunction._exact_sampler import ExactSampler
from convac.wavefunction._flips import flip_log_psi
from convac.wavefunction._hamiltonian import Hamiltonian
from convac.wavefunction._one_pass import BatchPass, batch_pass
from convac.wavefunction._sampler import MetropolisSampler
from convac.wavefunction._tree import amplitude_vector

__all__ = ["Estimate", "FullSum", "Sampled", "SampledEnergy", "bits_of", "sampled_energy"]


@dataclass
class Estimate:
    """One step's energy statistics and gradient (see the module docstring).

    Examples
    --------
    >>> est = Estimate(energy=-1.5, variance=0.25, error=0.0, gradient=torch.zeros(3))
    >>> est.energy, est.sr_operator is None
    (-1.5, True)
    """

    energy: float
    variance: float
    error: float
    gradient: torch.Tensor
    acceptance: float | None = None
    effective_samples: float | None = None
    sr_force: torch.Tensor | None = None
    sr_operator: Callable[[torch.Tensor], torch.Tensor] | None = None
    sr_x: torch.Tensor | None = None
    sr_e: torch.Tensor | None = None


def bits_of(states: np.ndarray, n_sites: int) -> torch.Tensor:
    """Basis indices -> configurations (B, N) of bits, site 0 the most significant bit."""
    idx = torch.as_tensor(states, dtype=torch.int64)
    return (idx.unsqueeze(1) >> (n_sites - 1 - torch.arange(n_sites))) & 1


def _flat_grad(psi: ConvACWaveFunction, loss: torch.Tensor) -> torch.Tensor:
    params = psi.variational_parameters()
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return torch.cat(
        [(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(grads, params, strict=True)]
    )


def _sr_rows(x: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` and ``e`` with ``S = X^T X`` and ``F = X^T e`` from complex or real rows ``x`` and ``e``.

    Complex ``x`` (a phase network): the real and imaginary parts stacked, so that
    ``X^T X = Re x^H x`` and ``X^T e = Re x^H e``. Real ``x`` (a real ``psi``, whose ``O`` is real
    even where ``E_loc`` is complex): ``Re x^H e = x^T Re e``, so only ``Re e`` is kept.
    """
    if x.is_complex():
        e = e.to(x.dtype)
        return torch.cat([x.real, x.imag], dim=0), torch.cat([e.real, e.imag], dim=0)
    return x, (e.real if e.is_complex() else e)


class FullSum:
    """Exact expectation values over every configuration (or one ``sum sz`` sector), N <= 20.

    The amplitudes come from the tree contraction :func:`~convac.wavefunction._tree.amplitude_vector`;
    the SR metric is applied matrix-free, ``S v = J^T J v / <psi|psi> - Re(m^* m^T) v`` with
    ``J = d psi / d theta`` (one forward-mode and one reverse-mode product, never ``J`` itself),
    for :func:`~convac.wavefunction.sr_direction`'s conjugate gradients.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, heisenberg
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> full = FullSum(psi, heisenberg((4,), marshall=True), magnetization=0)
    >>> full.sigma.shape, full.estimate().energy >= -8.0   # 6 configurations; E0 = -8
    (torch.Size([6, 4]), True)
    """

    def __init__(self, psi: ConvACWaveFunction, H: Hamiltonian, magnetization: int | None = None) -> None:
        self.psi, self.H = psi, H
        states = H.basis(magnetization)
        self.states = torch.as_tensor(states, dtype=torch.int64)
        self.sigma = bits_of(states, H.n_sites)
        coo = H.to_sparse(magnetization).tocoo()
        indices = torch.as_tensor(np.vstack([coo.row, coo.col]), dtype=torch.int64)
        self.matrix = torch.sparse_coo_tensor(
            indices, torch.as_tensor(coo.data), coo.shape, check_invariants=False
        ).coalesce()

    def amplitudes(self, params: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """``psi`` on the basis configurations, scaled so the largest ``|psi|`` is 1 (with gradient)."""
        amp = amplitude_vector(self.psi, params)[self.states]
        peak = amp.detach().abs().max()
        if not bool(peak > 0):
            raise InputError("the wave function is zero on every configuration of this basis")
        return amp / peak

    def _apply(self, amplitudes: torch.Tensor) -> torch.Tensor:
        if amplitudes.is_complex():
            return torch.complex(self._apply(amplitudes.real), self._apply(amplitudes.imag))
        return torch.sparse.mm(self.matrix, amplitudes.unsqueeze(1)).squeeze(1)

    def energy(self) -> torch.Tensor:
        """``<psi|H|psi> / <psi|psi>`` as a differentiable scalar."""
        amp = self.amplitudes()
        h_amp = self._apply(amp)
        return (amp.conj() * h_amp).real.sum() / (amp.abs() ** 2).sum()

    def estimate(self, with_sr: bool = False) -> Estimate:
        """Energy, variance and exact gradient; with ``with_sr`` also the SR force and metric operator.

        ``H`` is real symmetric, so ``dE/d psi = 2 (H psi - E psi) / <psi|psi>`` (for the real and
        imaginary parts alike): ``H psi`` is computed once without autograd, and one backward pass
        through the contraction gives the gradient (no backward through the sparse product).
        """
        with torch.enable_grad():
            amp = self.amplitudes()
            with torch.no_grad():
                h_amp = self._apply(amp)
                norm = float((amp.abs() ** 2).sum())
                energy = float((amp.conj() * h_amp).real.sum()) / norm
                slope = 2.0 * (h_amp - energy * amp) / norm
            surrogate = (slope.conj() * amp).real.sum()
            gradient = _flat_grad(self.psi, surrogate)
        amp = amp.detach()
        variance = max(0.0, float((h_amp.abs() ** 2).sum()) / norm - energy * energy)
        est = Estimate(energy, variance, 0.0, gradient)
        if with_sr:
            est.sr_force = 0.5 * gradient
            est.sr_operator = self._metric(amp, norm)
        return est

    def _metric(self, amp: torch.Tensor, norm: float) -> Callable[[torch.Tensor], torch.Tensor]:
        """``v -> S v`` for the current parameters (see the class docstring)."""
        params = tuple(p.detach() for p in self.psi.variational_parameters())
        shapes = [p.shape for p in params]

        def parts(*ps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.amplitudes(ps)
            return (out.real, out.imag) if out.is_complex() else (out, torch.zeros_like(out))

        (real, imag), pullback = torch.func.vjp(parts, *params)[:2]

        def back(u: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
            return torch.cat([g.reshape(-1) for g in pullback(u)])

        mean_re = back((real / norm, imag / norm))
        mean_im = back((-imag / norm, real / norm))

        def apply(v: torch.Tensor) -> torch.Tensor:
            tangents = tuple(
                t.reshape(shape) for t, shape in zip(v.split([math.prod(s) for s in shapes]), shapes, strict=True)
            )
            jv = torch.func.jvp(parts, params, tangents)[1]
            return back(jv) / norm - mean_re * (mean_re @ v) - mean_im * (mean_im @ v)

        return apply


class Sampled:
    """Monte Carlo estimates from a :class:`MetropolisSampler` or an :class:`ExactSampler`.

    The error bar is the standard error of the chains' means (an exact sampler's samples are all
    independent; its "chains" only group them). When the sampler gives importance weights (an
    exact sampler of a symmetrised ansatz, :meth:`ExactSampler.log_weights`), every mean is the
    self-normalised weighted mean, the error bar is the independent-sample one
    ``sqrt(sum w_i^2 (E_i - E)^2)`` (normalised ``w``), the stochastic-reconfiguration rows are scaled
    by ``sqrt(w_i)``, and the estimate reports the effective sample size ``1 / sum w_i^2``.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, MetropolisSampler, tfim
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> est = Sampled(psi, tfim((4,)), MetropolisSampler(psi, n_chains=8, seed=0)).estimate(4, 2)
    >>> est.error > 0, 0.0 < est.acceptance <= 1.0
    (True, True)
    """

    def __init__(self, psi: ConvACWaveFunction, H: Hamiltonian, sampler: MetropolisSampler | ExactSampler) -> None:
        self.psi, self.H, self.sampler = psi, H, sampler

    def local_energies(
        self, sigma: torch.Tensor, log_psi: torch.Tensor, flips: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``E_loc(sigma) = sum_k H[sigma, sigma'_k] psi(sigma'_k) / psi(sigma)``, (B,) real or complex.

        ``flips``: ``log psi`` of every single-spin flip (B, N) where already known (:class:`BatchPass`).
        """
        connected, elements = self.H.connected(sigma)
        off = elements[:, 1:]
        rows, cols = torch.nonzero(off, as_tuple=True)
        total = elements[:, 0].to(log_psi.dtype)
        if rows.numel():
            ratio = torch.exp(self._log_psi_connected(sigma, connected[:, 1:][rows, cols], rows, flips) - log_psi[rows])
            total = total.index_add(0, rows, (ratio * off[rows, cols]).to(total.dtype))
        return total

    @torch.no_grad()
    def _log_psi_connected(
        self, sigma: torch.Tensor, other: torch.Tensor, rows: torch.Tensor, flips: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``log psi(other)``, where ``other[i]`` is connected to ``sigma[rows[i]]``.

        Configurations one spin away (the transverse field's) are read from
        :func:`~convac.wavefunction._flips.flip_log_psi`, one path of the tree per flip; the others
        (exchange moves) are evaluated in full.
        """
        changed = other != sigma[rows]
        single = changed.sum(1) == 1
        if not bool(single.any()):
            return self.psi.log_psi(other)
        flips = flip_log_psi(self.psi, sigma) if flips is None else flips
        log_other = flips[rows, changed.to(torch.int64).argmax(1)]
        if not bool(single.all()):
            log_other[~single] = self.psi.log_psi(other[~single]).to(log_other.dtype)
        return log_other

    def estimate(self, n_per_chain: int, n_discard: int, with_sr: bool = False) -> Estimate:
        """Sample, then the energy, variance, chain error bar and the gradient estimate.

        With ``with_sr`` the gradient is read from the SR rows (``2 Re sum_i w_i conj(eps_i) O_i``), so
        ``log psi`` needs no graph of its own: the per-sample Jacobian is computed once, for both.
        """
        self.sampler.refresh()
        sigma, acceptance = self.sampler.sample(n_per_chain, n_discard)
        symmetrised = self.psi.group_perms.shape[0] > 1
        one = batch_pass(self.psi, sigma) if with_sr and BatchPass.applies(self.psi) else None
        if one is not None:
            terms, log_psi = (one.terms if symmetrised else None), one.log_psi
        else:
            with torch.set_grad_enabled(not with_sr):
                # a symmetrised log psi is the sum of its group terms, which importance weights need too
                terms = self.psi.log_psi_terms(sigma) if symmetrised else None
                log_psi = self.psi.log_psi(sigma) if terms is None else combine_terms(terms)
        local = self.local_energies(sigma, log_psi.detach(), None if one is None else one.flips)
        log_weights = self.sampler.log_weights(sigma, log_psi.detach(), terms)
        if log_weights is None:
            w = torch.full((sigma.shape[0],), 1.0 / sigma.shape[0], dtype=torch.float64)
        else:
            w = torch.softmax(log_weights, 0)
        energy = (w * local.real).sum()
        centred = (local - (w * local).sum()).detach()
        variance = float((w * centred.abs().square()).sum())
        if log_weights is None:
            chains = local.real.view(n_per_chain, self.sampler.n_chains).mean(0)
            error = float(chains.std() / math.sqrt(chains.numel())) if chains.numel() > 1 else math.nan
            effective = None
        else:
            error = float((w.square() * centred.real.square()).sum().sqrt())
            effective = float(1.0 / w.square().sum())
        if not with_sr:
            # d/dtheta Re[conj(eps) log psi] = Re[conj(eps) O]: the surrogate's gradient is the force.
            with torch.enable_grad():
                gradient = _flat_grad(self.psi, 2.0 * (w * (centred.conj() * log_psi).real).sum())
            return Estimate(float(energy), variance, error, gradient, acceptance, effective)
        jac = self.psi.per_sample_jacobian(sigma) if one is None or one.jacobian is None else one.jacobian
        gradient = 2.0 * (w.unsqueeze(1) * (centred.conj().unsqueeze(1) * jac).real).sum(0)
        est = Estimate(float(energy), variance, error, gradient, acceptance, effective)
        root = w.sqrt().unsqueeze(1)
        est.sr_x, est.sr_e = _sr_rows(root * (jac - (w.unsqueeze(1) * jac).sum(0)), root[:, 0] * centred)
        return est


@dataclass(frozen=True)
class SampledEnergy:
    """The energy of a fixed ansatz from independent exact samples (:func:`sampled_energy`).

    Examples
    --------
    >>> SampledEnergy(energy=-20.4, error=0.01, variance=0.3, effective_samples=990.0, n_samples=1000).error
    0.01
    """

    energy: float
    error: float
    variance: float
    effective_samples: float
    n_samples: int


@torch.no_grad()
def sampled_energy(
    psi: ConvACWaveFunction, H: Hamiltonian, n_samples: int, batch_size: int = 1024, seed: int = 0
) -> SampledEnergy:
    """``<psi|H|psi> / <psi|psi>`` of the ansatz as it stands, from ``n_samples`` independent tree samples.

    The measurement after an optimisation, when a step's own few hundred samples are too few and
    the mean over the last steps mixes states: the samples are drawn by :class:`ExactSampler` in
    batches of ``batch_size`` (memory: a batch of a symmetrised ansatz holds ``G`` images), the
    importance weights of a symmetrised ansatz are pooled over all batches (they share one
    constant), and the error bar is that of independent samples, ``sqrt(sum w_i^2 (E_i - E)^2)``
    for weights normalised to 1.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, tfim
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2]),
    ...                          weights="signed", symmetry="translation", seed=0)
    >>> H = tfim((8,))
    >>> estimate = sampled_energy(psi, H, 4096)
    >>> exact = FullSum(psi, H).estimate().energy
    >>> abs(estimate.energy - exact) < 4 * estimate.error, estimate.n_samples
    (True, 4096)
    """
    n_samples = integer(n_samples, "n_samples", minimum=2)
    batch_size = integer(batch_size, "batch_size", minimum=1)
    sampler = ExactSampler(psi, n_chains=min(batch_size, n_samples), seed=seed)
    sampled = Sampled(psi, H, sampler)
    symmetrised = psi.group_perms.shape[0] > 1
    energies, log_weights = [], []
    for start in range(0, n_samples, sampler.n_chains):
        sigma = sampler.sample(1)[0][: n_samples - start]
        if BatchPass.applies(psi):
            one = batch_pass(psi, sigma, jacobian=False)
            terms, log_psi, flips = one.terms, one.log_psi, one.flips
        else:
            terms, log_psi, flips = None, psi.log_psi(sigma), None
        energies.append(sampled.local_energies(sigma, log_psi, flips).real)
        weights = sampler.log_weights(sigma, log_psi, terms if symmetrised else None)
        log_weights.append(torch.zeros(sigma.shape[0], dtype=torch.float64) if weights is None else weights)
    local, w = torch.cat(energies), torch.softmax(torch.cat(log_weights), 0)
    energy = float((w * local).sum())
    centred = local - energy
    return SampledEnergy(
        energy=energy,
        error=float((w.square() * centred.square()).sum().sqrt()),
        variance=float((w * centred.square()).sum()),
        effective_samples=float(1.0 / w.square().sum()),
        n_samples=n_samples,
    )
