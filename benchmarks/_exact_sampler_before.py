"""The exact sampler's draw as it was before the top-down rewrite: one path to the root per spin.

Kept, unchanged but for being a function of the sampler with its own layout (the sampler's no
longer holds the parents and leaf order) and this docstring, so that
benchmarks/bench_path_updates.py can time it beside the new one on the same sampler (same
generator, same free second moments).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from convac._validation import integer
from convac.spec import Architecture
from convac.wavefunction import ExactSampler
from convac.wavefunction._exact_sampler import _unit

__all__ = ["draw_per_spin"]


@dataclass(frozen=True)
class _Layout:
    """The pooling tree: each node's parent and its place among its siblings, and the leaf order."""

    windows: list[list[tuple[int, ...]]]  # windows[l][p]: the layer-l nodes node p of layer l + 1 pools
    parent: list[list[tuple[int, int]]]  # parent[l][j] = (p, position of j inside window p)
    leaves: list[int]  # the sites in depth-first order

    @classmethod
    def of(cls, arch: Architecture) -> _Layout:
        windows = [list(arch.pool_windows(layer)) for layer in range(arch.depth)]
        parent = []
        for layer in range(arch.depth):
            owner: dict[int, tuple[int, int]] = {}
            for p, window in enumerate(windows[layer]):
                for k, child in enumerate(window):
                    owner[child] = (p, k)
            parent.append([owner[j] for j in range(len(owner))])
        order: list[list[int]] = [[j] for j in range(arch.n_inputs)]
        for layer in range(arch.depth):
            order = [[site for child in window for site in order[child]] for window in windows[layer]]
        return cls(windows, parent, order[0])


@torch.no_grad()
def draw_per_spin(self: ExactSampler, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` independent samples (n, N) of bits, and each one's ``log p(sigma) = log psi^2 - log Z``."""
    n = integer(n, "n", minimum=1)
    arch, layout = self.psi.arch, _Layout.of(self.psi.arch)
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
        _finish(self, layout, site, up, done)
    return sigma, log_p


def _finish(
    self: ExactSampler, layout: _Layout, site: int, up: torch.Tensor, done: list[dict[int, torch.Tensor]]
) -> None:
    """Store the drawn leaf's vector, then every node whose subtree it completes."""
    leaf = self._weight(0, site)
    done[0][site] = _unit(leaf[up.to(torch.int64)], 1)[0]
    node = site
    for layer in range(self.psi.arch.depth - 1):
        p, k = layout.parent[layer][node]
        window = layout.windows[layer][p]
        if k != len(window) - 1:
            return
        pooled = done[layer].pop(window[0])
        for child in window[1:]:
            pooled = pooled * done[layer].pop(child)
        done[layer + 1][p] = _unit(pooled @ self._weight(layer + 1, p), 1)[0]
        node = p
