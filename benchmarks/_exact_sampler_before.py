"""The exact sampler's draw as it was before the top-down rewrite: one path to the root per spin.

Kept, unchanged but for being a function of the sampler and this docstring, so that
benchmarks/bench_path_updates.py can time it beside the new one on the same sampler (same
generator, same free second moments).
"""

from __future__ import annotations

import torch

from convac._validation import integer
from convac.wavefunction import ExactSampler
from convac.wavefunction._exact_sampler import _unit

__all__ = ["draw_per_spin"]


@torch.no_grad()
def draw_per_spin(self: ExactSampler, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` independent samples (n, N) of bits, and each one's ``log p(sigma) = log psi^2 - log Z``."""
    n = integer(n, "n", minimum=1)
    arch, layout = self.psi.arch, self.layout
    depth = arch.depth
    sigma = torch.zeros(n, arch.n_inputs, dtype=torch.int64)
    log_p = torch.zeros(n, dtype=torch.float64)
    done: list[dict[int, torch.Tensor]] = [{} for _ in range(depth)]  # finished nodes' vectors (n, c)
    for site in layout.leaves:
        # both values of the spin at once: axis 0 of ``state``, a vector per (value, sample) while the
        # path's subtree is fully drawn, then a second-moment matrix once an undrawn sibling joins
        state = self._weight(0, site).unsqueeze(1).expand(2, n, -1)
        is_matrix = False
        log_scale = torch.zeros(2, n, dtype=torch.float64)
        node = site
        for layer in range(depth):
            p, k = layout.parent[layer][node]
            window = layout.windows[layer][p]
            for left in window[:k]:  # finished siblings: one vector each
                drawn = done[layer][left]
                state = drawn.unsqueeze(-1) * state * drawn.unsqueeze(-2) if is_matrix else state * drawn
            for right in window[k + 1 :]:  # undrawn siblings: their free second moment
                if not is_matrix:
                    state, is_matrix = state.unsqueeze(-1) * state.unsqueeze(-2), True
                state = state * self.free[layer][right]
            w = self._weight(layer + 1, p)
            if is_matrix:
                state, scale = _unit(w.T @ state @ w, 2)
                log_scale += scale
            else:  # log_scale counts in units of psi^2: a vector's scale enters twice
                state, scale = _unit(state @ w, 1)
                log_scale += 2 * scale
            node = p
        top = state[..., 0, 0] if is_matrix else state[..., 0] ** 2
        weight = torch.log(top.clamp_min(torch.finfo(top.dtype).tiny)) + log_scale  # (2, n)
        log_cond = weight - torch.logsumexp(weight, dim=0, keepdim=True)
        up = torch.rand(n, generator=self.generator, dtype=torch.float64) < log_cond[1].exp()
        sigma[:, site] = up.to(torch.int64)
        log_p += torch.where(up, log_cond[1], log_cond[0])
        _finish(self, site, up, done)
    return sigma, log_p


def _finish(self: ExactSampler, site: int, up: torch.Tensor, done: list[dict[int, torch.Tensor]]) -> None:
    """Store the drawn leaf's vector, then every node whose subtree it completes."""
    leaf = self._weight(0, site)
    done[0][site] = _unit(leaf[up.to(torch.int64)], 1)[0]
    node = site
    for layer in range(self.psi.arch.depth - 1):
        p, k = self.layout.parent[layer][node]
        window = self.layout.windows[layer][p]
        if k != len(window) - 1:
            return
        pooled = done[layer].pop(window[0])
        for child in window[1:]:
            pooled = pooled * done[layer].pop(child)
        done[layer + 1][p] = _unit(pooled @ self._weight(layer + 1, p), 1)[0]
        node = p
