"""Exact min-cut by dynamic programming over the tree of a ConvAC's tensor network.

For every node, keep the cheapest cut of its subtree with the node on side A and on side B.
A leaf ``W^{0,j}`` pays ``M`` when it sits opposite its terminal. A parent on side ``s`` either
keeps the whole window on ``s`` (sum of the children's side-``s`` costs) or cuts the delta
hyperedge once (``r_l`` plus each child's cheaper side). Costs are exponent vectors over a
coprime base of the bond dimensions (:class:`~convac.mincut._graph.ExactCosts`), so every
comparison and the final value are exact integers; floats only order different vectors.

Everything is vectorised per layer with numpy, with a batch axis over partitions, so one pass
handles thousands of partitions of a small network or one partition of a huge one.

Examples
--------
>>> from convac import Architecture, Partition
>>> from convac.mincut._graph import CutGraph
>>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
>>> masks = np.stack([Partition.left_right(arch).mask, Partition.interleaved(arch).mask])
>>> solve(CutGraph.from_arch(arch), masks).values()
[4, 16]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convac.errors import InternalError
from convac.mincut._graph import BoolArray, CutGraph, ExactCosts, IntArray

__all__ = ["TreeSolution", "solve", "solve_one"]


@dataclass(frozen=True)
class TreeSolution:
    """Result of :func:`solve` for a batch of partitions.

    ``exponents[:, p]`` is the min-cut of partition ``p`` as an exponent vector over
    ``costs.base``; ``sides[l][p, j]`` (when requested) is True iff node ``j`` of layer ``l`` is on
    side A in a minimal cut (layer ``L`` is the output node).
    """

    costs: ExactCosts
    exponents: IntArray
    sides: tuple[BoolArray, ...] | None

    def values(self) -> list[int]:
        """Exact min-cut values, one Python int per partition (shared vectors computed once)."""
        if self.costs.size == 0:
            return [1] * self.exponents.shape[1]
        uniq, inverse = np.unique(self.exponents, axis=1, return_inverse=True)
        vals = [self.costs.value(uniq[:, i]) for i in range(uniq.shape[1])]
        return [vals[i] for i in np.asarray(inverse).ravel()]

    def log2(self) -> npt.NDArray[np.float64]:
        return self.costs.log2(self.exponents)


def _window_sum(arr: np.ndarray, win: IntArray, contiguous: bool) -> np.ndarray:
    """Sum ``arr[:, :, children]`` over each window (axis 2 indexes nodes).

    For small windows, a loop over the members with strided slices: numpy's reduction over a
    short middle axis is several times slower.
    """
    pool = win.shape[1]
    if pool > 16:  # shallow networks: one huge window; a reduction beats a long Python loop
        if contiguous:
            shape = arr.shape
            return arr.reshape(*shape[:2], win.shape[0], pool, *shape[3:]).sum(axis=3)
        return arr[:, :, win].sum(axis=3)
    out = None
    for i in range(pool):
        part = arr[:, :, i::pool] if contiguous else arr[:, :, win[:, i]]
        out = part.copy() if out is None else np.add(out, part, out=out)
    if out is None:
        raise InternalError("a pooling window of the min-cut tree has no members")
    return out


def solve(graph: CutGraph, masks: BoolArray, *, want_sides: bool = False) -> TreeSolution:
    """Exact min-cut of every row of ``masks`` (shape ``(P, N)``, True = side A) on ``graph``."""
    ex = graph.costs
    dim_exp = ex.exponents.astype(np.int32)  # row 0: M, row l+1: r_l
    n_base = ex.size
    # cost[:, p, j, s]: exponents of the cheapest cut of node j's subtree with node j on side s
    # (s = 1 is side A); log[p, j, s] its float log2. A leaf pays M opposite its terminal.
    opposite = np.stack([masks, ~masks], axis=-1)  # (P, N, 2)
    cost = opposite[None].astype(np.int32) * dim_exp[0][:, None, None, None]
    logs = opposite * ex.dim_logs[0]
    best_a: list[BoolArray] = []
    tie: list[BoolArray] = []
    cut: list[BoolArray] = []
    contiguous_layers = graph.contiguous
    for lay in range(graph.depth):
        win = graph.windows[lay]
        contiguous = contiguous_layers[lay]
        a_less = ex.less(cost[..., 1], cost[..., 0], logs[..., 1], logs[..., 0])
        best = np.where(a_less, cost[..., 1], cost[..., 0])
        best_log = np.where(a_less, logs[..., 1], logs[..., 0])
        keep = _window_sum(cost, win, contiguous)  # (B, P, K, 2): whole window on the parent's side
        keep_log = _window_sum(logs[None], win, contiguous)[0]
        # (B, P, K): the delta is cut once and each child takes its cheaper side.
        split = _window_sum(best, win, contiguous) + dim_exp[lay + 1][:, None, None]
        split_log = _window_sum(best_log[None], win, contiguous)[0] + ex.dim_logs[lay + 1]
        # Prefer keeping the window whole on ties, so no edge is cut without need.
        do_cut = ex.less(split[..., None], keep, split_log[..., None], keep_log)
        if want_sides:
            best_a.append(a_less)
            tie.append(np.all(cost[..., 0] == cost[..., 1], axis=0) if n_base else np.ones_like(a_less))
            cut.append(do_cut)
        cost = np.where(do_cut, split[..., None], keep)
        logs = np.where(do_cut, split_log[..., None], keep_log)
    root = cost[:, :, 0]  # (B, P, 2)
    # Side A for the output node unless side B is strictly cheaper.
    root_a = ~ex.less(root[..., 0], root[..., 1], logs[:, 0, 0], logs[:, 0, 1])
    exponents = np.where(root_a, root[..., 1], root[..., 0]).astype(np.int64)
    if not want_sides:
        return TreeSolution(ex, exponents, None)
    sides: list[BoolArray] = [root_a[:, None]]
    for lay in reversed(range(graph.depth)):
        parent_side = sides[-1]
        parent_cut = np.where(parent_side, cut[lay][..., 1], cut[lay][..., 0])
        up = graph.parents[lay]
        ps = parent_side[:, up]
        # A child under a cut delta takes its cheaper side; on a tie it follows the parent.
        child = np.where(tie[lay], ps, best_a[lay])
        sides.append(np.where(parent_cut[:, up], child, ps))
    return TreeSolution(ex, exponents, tuple(reversed(sides)))


def solve_one(graph: CutGraph, mask: BoolArray) -> int:
    """Exact min-cut of one partition (``mask``, True = side A), the DP of :func:`solve` in Python ints.

    Costs are products of bond dimensions kept as Python ints, so every comparison is exact.
    For one partition of a small tree (hundreds of nodes) this is several times faster than the
    vectorised :func:`solve`, whose per-layer numpy calls cost more than the arithmetic: about
    0.013 against 0.19 ms at N = 16 (``method="auto"`` of :func:`convac.entanglement` takes it
    to decide between the dense and the network path). Its cost grows with the node count and
    the size of the products, so large networks should use :func:`solve`.

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> from convac.mincut._graph import CutGraph
    >>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
    >>> graph = CutGraph.from_arch(arch)
    >>> [solve_one(graph, p.mask) for p in (Partition.left_right(arch), Partition.interleaved(arch))]
    [4, 16]
    """
    m = graph.dims[0]
    # (cost with the node on side B, cost with it on side A): a leaf pays M opposite its terminal.
    costs = [(m, 1) if a else (1, m) for a in np.asarray(mask, dtype=bool).tolist()]
    for lay in range(graph.depth):
        r = graph.dims[lay + 1]
        merged = []
        for window in graph.windows[lay].tolist():
            keep_b = keep_a = 1
            split = r
            for child in window:
                b, a = costs[child]
                keep_b *= b
                keep_a *= a
                split *= min(a, b)
            merged.append((min(keep_b, split), min(keep_a, split)))
        costs = merged
    return min(costs[0])
