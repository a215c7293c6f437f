"""Metropolis sampling of ``|psi(sigma)|^2``: local spin flips, or exchanges at fixed magnetization.

Many independent chains advance together (one batched network call per move). A *sweep* is N
proposed moves per chain. With a fixed ``sum sz`` the move swaps one up and one down spin, so
every sample stays in the sector. All randomness comes from the sampler's own
``torch.Generator``, whose state is part of a checkpoint.

Examples
--------
>>> import torch, convac
>>> from convac.wavefunction import ConvACWaveFunction
>>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2]), seed=0)
>>> sampler = MetropolisSampler(psi, n_chains=4, magnetization=0, seed=1)
>>> samples, acceptance = sampler.sample(n_per_chain=3)
>>> samples.shape, bool((samples.sum(1) == 4).all()), 0.0 <= acceptance <= 1.0
(torch.Size([12, 8]), True, True)
"""

from __future__ import annotations

from typing import Any

import torch

from convac._validation import integer
from convac.wavefunction._ansatz import ConvACWaveFunction

__all__ = ["MetropolisSampler"]


class MetropolisSampler:
    """``n_chains`` Metropolis chains over configurations of ``psi``'s lattice (see the module docstring).

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> MetropolisSampler(psi, n_chains=3, seed=0).sigma.shape
    torch.Size([3, 4])
    """

    def __init__(
        self, psi: ConvACWaveFunction, n_chains: int = 64, magnetization: int | None = None, seed: int = 0
    ) -> None:
        self.psi = psi
        self.n_chains = integer(n_chains, "n_chains", minimum=1)
        n = psi.n_sites
        if magnetization is not None:
            magnetization = integer(magnetization, "magnetization", minimum=-n, maximum=n)
        self.magnetization = magnetization
        self.generator = torch.Generator().manual_seed(integer(seed, "seed", minimum=0))
        self.sigma = self._initial()
        self.log_psi = self._evaluate(self.sigma)

    def _initial(self) -> torch.Tensor:
        n, c = self.psi.n_sites, self.n_chains
        if self.magnetization is None:
            return torch.randint(0, 2, (c, n), generator=self.generator)
        down = (n - self.magnetization) // 2
        order = torch.rand(c, n, generator=self.generator).argsort(dim=1)
        return (order < down).to(torch.int64)

    @torch.no_grad()
    def _evaluate(self, sigma: torch.Tensor) -> torch.Tensor:
        out = self.psi.log_psi(sigma)
        return out.real if out.is_complex() else out

    def _propose(self) -> torch.Tensor:
        c, n = self.sigma.shape
        rows = torch.arange(c)
        proposal = self.sigma.clone()
        if self.magnetization is None:
            site = torch.randint(0, n, (c,), generator=self.generator)
            proposal[rows, site] = 1 - proposal[rows, site]
            return proposal
        # one random up and one random down spin per chain (random keys, masked arg-max)
        keys = torch.rand(c, n, generator=self.generator)
        up = torch.where(self.sigma == 0, keys, -1.0).argmax(dim=1)
        down = torch.where(self.sigma == 1, keys, -1.0).argmax(dim=1)
        proposal[rows, up], proposal[rows, down] = self.sigma[rows, down], self.sigma[rows, up]
        return proposal

    @torch.no_grad()
    def sweep(self) -> float:
        """N proposed moves per chain; returns the fraction accepted."""
        accepted = 0
        for _ in range(self.psi.n_sites):
            proposal = self._propose()
            log_new = self._evaluate(proposal)
            ratio = torch.exp((2.0 * (log_new - self.log_psi)).clamp(max=0.0))
            accept = torch.rand(self.n_chains, generator=self.generator, dtype=torch.float64) < ratio
            self.sigma = torch.where(accept.unsqueeze(1), proposal, self.sigma)
            self.log_psi = torch.where(accept, log_new, self.log_psi)
            accepted += int(accept.sum())
        return accepted / (self.psi.n_sites * self.n_chains)

    def sample(self, n_per_chain: int, n_discard: int = 0) -> tuple[torch.Tensor, float]:
        """``n_per_chain`` samples per chain (one sweep apart) after ``n_discard`` sweeps.

        Returns the samples, (n_per_chain * n_chains, N) ordered sample-major (chain index fastest),
        and the acceptance rate of the kept sweeps.
        """
        n_per_chain = integer(n_per_chain, "n_per_chain", minimum=1)
        for _ in range(integer(n_discard, "n_discard", minimum=0)):
            self.sweep()
        kept, rates = [], []
        for _ in range(n_per_chain):
            rates.append(self.sweep())
            kept.append(self.sigma.clone())
        return torch.cat(kept, dim=0), sum(rates) / len(rates)

    def log_weights(self, sigma: torch.Tensor, log_psi: torch.Tensor, terms: torch.Tensor | None = None) -> None:
        """Return ``None``: Metropolis samples already follow ``|psi|^2`` (the interface of :class:`~.ExactSampler`)."""
        return None

    def refresh(self) -> None:
        """Recompute the chains' ``log |psi|`` after the parameters changed."""
        self.log_psi = self._evaluate(self.sigma)

    def state_dict(self) -> dict[str, Any]:
        """Chains and generator state, for a checkpoint."""
        return {"sigma": self.sigma.clone(), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (then :meth:`refresh` with the restored parameters)."""
        self.sigma = state["sigma"].clone()
        self.generator.set_state(state["generator"])
        self.refresh()
