"""Min-cut by general max-flow solvers (networkx, scipy): the cross-checks of the tree solver.

Both work on :meth:`CutGraph.flow_arcs`: the hypergraph turned into a directed graph with
capacities ``log2(bond dimension)``. Their arithmetic is inexact (networkx: floats; scipy:
integers after scaling the logs), so each returns the flow value with an error bound and the
solver's own cut, which near ties can weigh more than the minimum. The front-end
(:func:`convac.mincut.min_cut`) never multiplies out such a cut to get a value.

Examples
--------
>>> from convac import Architecture, Partition
>>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
>>> graph, mask = CutGraph.from_arch(arch), Partition.left_right(arch).mask
>>> round(networkx_flow(graph, mask).log2, 9), round(scipy_flow(graph, mask).log2, 5)
(2.0, 2.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# networkx and scipy are imported inside the solvers: together they take about a second to
# import, and the default (tree) min-cut, so `convac analyze` and `convac design`, never needs them.
from convac.mincut._graph import BoolArray, CutGraph

__all__ = ["FlowResult", "networkx_flow", "scipy_flow"]

# scipy's maximum_flow casts capacities to int32 (silently wrapping larger ones), so the scaled
# capacities of all finite arcs together must stay below 2**31.
_INT_BUDGET = 2**30
# Float max-flow error, relative to the flow value: generous against accumulated rounding.
_FLOAT_REL_ERROR = 1e-9


@dataclass(frozen=True)
class FlowResult:
    """A max-flow solver's answer.

    It holds ``log2`` of the flow value, a bound ``error`` on its distance to the true min-cut
    log2, and the side of every conv node in the solver's cut.
    """

    log2: float
    error: float
    sides: tuple[BoolArray, ...]


def _sides_from_source_set(graph: CutGraph, on_source: BoolArray) -> tuple[BoolArray, ...]:
    offsets = graph.node_offsets()
    return tuple(on_source[offsets[lay] : offsets[lay + 1]].copy() for lay in range(graph.depth + 1))


def networkx_flow(graph: CutGraph, mask: BoolArray) -> FlowResult:
    """``networkx.minimum_cut`` on float log2 capacities (infinite arcs carry no capacity).

    Uses networkx's Boykov-Kolmogorov flow: on these trees it is 3-4x faster than the default
    preflow-push (measured: 1024-input 1D graph, 0.53 s vs 1.85 s per cut), with the same values.
    """
    import networkx as nx
    from networkx.algorithms.flow import boykov_kolmogorov

    n, tails, heads, caps = graph.flow_arcs(mask)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    finite = np.isfinite(caps)
    g.add_edges_from(
        (int(u), int(v), {"capacity": float(c)})
        for u, v, c in zip(tails[finite], heads[finite], caps[finite], strict=True)
    )
    g.add_edges_from(zip(tails[~finite].tolist(), heads[~finite].tolist(), strict=True))
    value, (source_side, _) = nx.minimum_cut(g, 0, 1, flow_func=boykov_kolmogorov)
    on_source = np.zeros(n, dtype=bool)
    on_source[list(source_side)] = True
    return FlowResult(float(value), _FLOAT_REL_ERROR * max(1.0, value), _sides_from_source_set(graph, on_source))


def scipy_flow(graph: CutGraph, mask: BoolArray) -> FlowResult:
    """``scipy.sparse.csgraph.maximum_flow`` (Dinic) on log2 capacities scaled to integers.

    The scale is as large as int32 allows. Rounding each arc moves a cut's weight by at most half
    a unit per arc, and every arc of a finite cut carries at least one bit (dimension >= 2; arcs
    of dimension 1 are exact), so the returned ``error`` bounds the distance to the true log2.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    n, tails, heads, caps = graph.flow_arcs(mask)
    finite = np.isfinite(caps)
    total = float(caps[finite].sum())
    scale = _INT_BUDGET / max(total, 1.0)
    int_caps = np.zeros(caps.shape, dtype=np.int64)
    int_caps[finite] = np.rint(caps[finite] * scale).astype(np.int64)
    inf = int(int_caps[finite].sum()) + 1
    int_caps[~finite] = inf
    if inf >= 2**31:  # pragma: no cover - guarded by the scale
        raise OverflowError("scaled capacities exceed int32")
    cap = sp.csr_array((int_caps.astype(np.int32), (tails, heads)), shape=(n, n))
    res = maximum_flow(cap, 0, 1, method="dinic")
    flow = res.flow
    residual = (cap - flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    reached = breadth_first_order(residual, 0, directed=True, return_predecessors=False)
    on_source = np.zeros(n, dtype=bool)
    on_source[reached] = True
    log2 = res.flow_value / scale
    # Half a unit per cut arc, and no min-cut has more arcs than bits (see docstring); the
    # found cut's weight in bits, log2 + its own rounding, bounds the optimal cut's arc count.
    found_arcs = int(np.count_nonzero(on_source[tails] & ~on_source[heads] & finite))
    bits_bound = log2 + 0.5 * found_arcs / scale
    error = 0.5 * max(found_arcs, math.ceil(bits_bound)) / scale
    return FlowResult(float(log2), float(error), _sides_from_source_set(graph, on_source))
