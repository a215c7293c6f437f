"""A compiled, certified exact min-cut of a general tensor-network hypergraph: scipy max-flow, proven exact.

:mod:`convac.mincut._exact_flow` finds the minimal product-weight cut in exact rational arithmetic, in
pure Python. This module gets the same cut from ``scipy.sparse.csgraph.maximum_flow`` (compiled) and
then *proves* it minimal with integer checks only, so no float rounding of a ``log d`` can slip in.

**The graph.** Lawler's reduction turns bond ``e`` into an arc ``in_e -> out_e`` of capacity ``log d_e``
and joins every member to it by infinite arcs ``v -> in_e``, ``out_e -> v``. A conv matrix has one input
and one output leg, so it is a member of at most two bonds ``e, f``; it can then be contracted into the
infinite arcs ``out_e -> in_f``, ``out_f -> in_e`` (and ``out_e -> in_e``), which leaves a network on
``2 * n_bonds + 2`` vertices whatever the number of matrices (VGG-small: 757 bonds for 16,884 matrices).
A matrix is on the source side iff the ``out`` vertex of one of its bonds is.

**The certificate.** Write each bond dimension over a coprime base ``b_1 .. b_K``
(:func:`~convac.mincut._graph.coprime_base`): ``d_e = prod_k b_k ** x_ek``, so a cut ``C`` weighs
``<lambda, x_C>`` in bits with ``lambda_k = log2 b_k`` (rationally independent reals) and
``x_C = sum_{e in C} x_e``. Integer weightings ``w_j = floor(s * lambda) + (K + 1) * unit_j``
(``j = 1 .. K``, a scale ``s`` as large as scipy's int32 capacities allow) have ``lambda`` inside the
cone they span, so a cut that is minimal for every ``w_j`` is minimal for ``lambda`` (nonnegative
combinations keep ``<w, x_K - x_C> >= 0`` for every cut ``K``). For each ``w_j`` scipy's flow is checked
exactly in integers (capacities, conservation) and its value compared with ``<w_j, x_C>`` for the one
cut ``C`` read off the first flow's residual graph: equality is max-flow = min-cut, i.e. a proof. When
some ``w_j`` disagrees (a near tie closer than about ``K / s`` bits), :func:`certified_cut` returns
``None`` and the caller falls back to the rational Edmonds-Karp.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> from convac.mincut import tensor_network_graph
>>> spec = GeneralArchitecture(grid=(8,), n_features=2,
...     steps=[ConvStep(2, kernel=3, padding=1), ConvStep(3, kernel=8)])
>>> net = BondNetwork.from_graph(tensor_network_graph(spec))
>>> cut = certified_cut(net, net.dims, np.arange(8) < 4)
>>> cut.value, cut.bonds.tolist(), cut.weightings
(12, [2, 3, 16], 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from convac.errors import InternalError
from convac.mincut._graph import BoolArray, ExactCosts, IntArray
from convac.mincut._hypergraph import TensorNetworkGraph

__all__ = ["BondNetwork", "CertifiedCut", "certified_cut", "split_bonds"]

# scipy's maximum_flow works in int32 (it silently casts int64): every finite capacity of one
# weighting together, plus one for "infinite", must stay below 2**31.
_INT_BUDGET = 2**30
_S, _T = 0, 1  # the source and sink vertices; bond e has in = 2 + 2e, out = 3 + 2e


@dataclass(frozen=True, eq=False)
class BondNetwork:
    """The contracted flow network of a :class:`TensorNetworkGraph` (see the module docstring), as arrays.

    ``link_tails``/``link_heads`` are the infinite arcs ``out_e -> in_f`` (vertex ids);
    ``node_bonds[i]`` the two bonds of matrix ``i`` (one bond twice if it has one, ``n_bonds`` if none);
    ``member_*`` list every bond's members bond by bond (``member_node`` -1 for a terminal,
    ``member_input`` -1 for a matrix).
    """

    dims: tuple[int, ...]
    input_bond: IntArray
    link_tails: IntArray
    link_heads: IntArray
    node_bonds: IntArray
    member_bond: IntArray
    member_node: IntArray
    member_input: IntArray

    @property
    def n_bonds(self) -> int:
        return len(self.dims)

    @staticmethod
    def from_graph(graph: TensorNetworkGraph) -> BondNetwork:
        """Contract ``graph``'s matrices into bond-to-bond arcs (one pass over the incidences)."""
        node_bonds = np.full((len(graph.nodes), 2), -1, dtype=np.int64)
        filled = np.zeros(len(graph.nodes), dtype=np.int64)
        m_bond: list[int] = []
        m_node: list[int] = []
        m_input: list[int] = []
        for e, bond in enumerate(graph.bonds):
            for n in bond.nodes:
                if filled[n] >= 2:
                    raise InternalError(f"matrix {n} is a member of more than two bonds")
                node_bonds[n, filled[n]] = e
                filled[n] += 1
            m_bond += [e] * (len(bond.nodes) + len(bond.inputs))
            m_node += [*bond.nodes, *[-1] * len(bond.inputs)]
            m_input += [*[-1] * len(bond.nodes), *bond.inputs]
        # out_e -> in_f for the two bonds of every matrix (both ways), and out_e -> in_e for a bond
        # with a matrix on it (the path out_e -> matrix -> in_e of the uncontracted graph).
        # A matrix on one bond lists it twice; one on none (a graph without bonds) lists n_bonds, never reached.
        first = np.where(node_bonds[:, 0] >= 0, node_bonds[:, 0], len(graph.bonds))
        node_bonds = np.stack([first, np.where(node_bonds[:, 1] >= 0, node_bonds[:, 1], first)], 1)
        second = node_bonds[:, 1]
        pairs = np.unique(np.concatenate([np.stack([first, second], 1), np.stack([second, first], 1)]), axis=0)
        pairs = pairs[pairs.max(axis=1) < len(graph.bonds)]
        ints = [np.asarray(a, dtype=np.int64) for a in (graph.input_bond, m_bond, m_node, m_input)]
        return BondNetwork(
            tuple(b.dim for b in graph.bonds),
            ints[0],
            3 + 2 * pairs[:, 0],
            2 + 2 * pairs[:, 1],
            node_bonds,
            ints[1],
            ints[2],
            ints[3],
        )


@dataclass(frozen=True, eq=False)
class CertifiedCut:
    """A proven minimal cut: its exact ``value``, the cut ``bonds``, every matrix's side, the weightings checked."""

    value: int
    bonds: IntArray
    node_sides: BoolArray
    weightings: int


def split_bonds(net: BondNetwork, node_sides: BoolArray, input_sides: BoolArray) -> IntArray:
    """Return the bonds whose members (matrices and input terminals) are not all on one side, vectorised.

    The graph's own weight rule (:meth:`TensorNetworkGraph.cut_weight`), used as an independent check.
    """
    side = np.where(net.member_node >= 0, node_sides[net.member_node], input_sides[net.member_input])
    on_a = np.bincount(net.member_bond, weights=side, minlength=net.n_bonds)
    size = np.bincount(net.member_bond, minlength=net.n_bonds)
    return np.flatnonzero((on_a > 0) & (on_a < size))


def _weightings(exps: IntArray, costs: ExactCosts) -> list[IntArray] | None:
    """Return the integer weightings ``w_j`` whose cone holds ``lambda`` (one all-zero weighting when K = 0)."""
    k = costs.size
    if k == 0:
        return [np.zeros(0, dtype=np.int64)]
    spread = k + 1  # > sum of the K fractional parts, so lambda lies inside the cone
    total_bits = float(exps.sum(axis=0) @ costs.logs)
    # The K weightings are solved together as K copies of the network, so they share the budget.
    scale = (_INT_BUDGET // k - spread * int(exps.sum())) / total_bits
    if scale < 1:
        return None  # too many bits for int32 capacities
    base = np.floor(scale * costs.logs).astype(np.int64)
    return [base + spread * np.eye(k, dtype=np.int64)[j] for j in range(k)]


def _network(net: BondNetwork, mask: BoolArray) -> tuple[IntArray, IntArray, int]:
    """Arcs (tails, heads) of one partition: the bond arcs first, then the infinite ones; and their count."""
    read = net.input_bond >= 0
    src = np.flatnonzero(np.bincount(net.input_bond[read & mask], minlength=net.n_bonds))
    snk = np.flatnonzero(np.bincount(net.input_bond[read & ~mask], minlength=net.n_bonds))
    bonds = np.arange(net.n_bonds, dtype=np.int64)
    tails = np.concatenate([2 + 2 * bonds, net.link_tails, np.full(src.size, _S), 3 + 2 * snk])
    heads = np.concatenate([3 + 2 * bonds, net.link_heads, 2 + 2 * src, np.full(snk.size, _T)])
    return tails, heads, 2 * net.n_bonds + 2


class _Solver:
    """scipy's Dinic max-flow on fixed arcs; each flow checked exactly."""

    def __init__(self, tails: IntArray, heads: IntArray, n: int, order: IntArray) -> None:
        """``order`` sorts the arcs by (tail, head) (checked: strictly increasing keys, so no parallel arcs)."""
        self.tails, self.heads, self.n = tails, heads, n
        self.order = order
        self.sorted_keys = (tails * n + heads)[order]
        if np.any(np.diff(self.sorted_keys) <= 0):
            raise InternalError("the flow network's arc order is not sorted, or it has parallel arcs")
        self.indptr = np.searchsorted(tails[self.order], np.arange(n + 1))
        self.indices = heads[self.order]

    def solve(self, caps: IntArray) -> tuple[int, IntArray]:
        """Return the max-flow value and the flow on every arc, checked: ``0 <= flow <= cap``, conservation."""
        import scipy.sparse as sp
        from scipy.sparse.csgraph import maximum_flow

        cap = sp.csr_array((caps[self.order].astype(np.int32), self.indices, self.indptr), shape=(self.n, self.n))
        flow = maximum_flow(cap, _S, _T, method="dinic").flow
        rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(flow.indptr))
        pos = flow.data > 0  # the flow proper; scipy also stores each arc's negative reverse
        keys = rows[pos] * self.n + flow.indices[pos]
        at = np.minimum(np.searchsorted(self.sorted_keys, keys), self.sorted_keys.size - 1)
        if np.any(self.sorted_keys[at] != keys):
            raise InternalError("scipy's max-flow sends flow along an arc that is not in the network")
        on_arc = np.zeros(self.tails.size, dtype=np.int64)
        on_arc[self.order[at]] = flow.data[pos]
        balance = np.bincount(self.tails, on_arc, self.n) - np.bincount(self.heads, on_arc, self.n)
        if np.any(on_arc > caps) or np.any(balance[2:] != 0):
            raise InternalError("scipy's max-flow is not a feasible flow of the network it was given")
        return int(balance[_S]), on_arc

    def source_side(self, caps: IntArray, on_arc: IntArray, arcs: int, n: int) -> BoolArray:
        """Vertices ``0 .. n-1`` reachable from the source in the residual graph of the first ``arcs`` arcs' flow.

        Only the first copy's cut is wanted, and the copies meet only at S and T: its arcs alone suffice.
        """
        import scipy.sparse as sp
        from scipy.sparse.csgraph import breadth_first_order

        caps, on_arc, t, h = caps[:arcs], on_arc[:arcs], self.tails[:arcs], self.heads[:arcs]
        fwd, back = on_arc < caps, on_arc > 0
        graph = sp.csr_array(
            (
                np.ones(int(fwd.sum() + back.sum()), dtype=np.int8),
                (np.concatenate([t[fwd], h[back]]), np.concatenate([h[fwd], t[back]])),
            ),
            shape=(n, n),
        )
        reached = np.zeros(n, dtype=bool)
        reached[breadth_first_order(graph, _S, directed=True, return_predecessors=False)] = True
        return reached


@lru_cache(maxsize=64)
def _exponents(dims: tuple[int, ...]) -> tuple[IntArray, list[IntArray] | None]:
    """Per bond, its dimension's exponents over a coprime base; and the weightings (cached per dims)."""
    distinct = sorted(set(dims))
    costs = ExactCosts(tuple(distinct))
    index = {d: i for i, d in enumerate(distinct)}
    exps = costs.exponents[[index[d] for d in dims]] if dims else np.zeros((0, costs.size), dtype=np.int64)
    return exps, _weightings(exps, costs)


def certified_cut(net: BondNetwork, dims: tuple[int, ...], mask: BoolArray) -> CertifiedCut | None:
    """Return the minimal cut of ``net`` with bond dimensions ``dims`` across ``mask``, proven exact, or None.

    None means a near tie kept the integer weightings from agreeing; use the rational max-flow then.
    """
    exps, weightings = _exponents(tuple(dims))
    if weightings is None:
        return None
    tails, heads, n = _network(net, mask)
    k, e = len(weightings), tails.size
    # K disjoint copies of the network sharing S and T: one scipy call, and each copy's flow is a
    # max-flow of its own weighting (the copies meet only at S and T, so the maxima add up).
    shift = np.arange(k, dtype=np.int64)[:, None] * (n - 2)
    # Sorted by (tail, head): the source's arcs of every copy (copy-major), then each copy's other arcs.
    one = np.argsort(tails * n + heads)
    from_s = tails[one] == _S
    copies = np.arange(k, dtype=np.int64)[:, None] * e
    order = np.concatenate([(one[from_s] + copies).ravel(), (one[~from_s] + copies).ravel()])
    solver = _Solver(
        np.where(tails >= 2, tails + shift, tails).ravel(),
        np.where(heads >= 2, heads + shift, heads).ravel(),
        2 + k * (n - 2),
        order,
    )
    bond_caps = np.stack([exps @ w for w in weightings])
    infinite = bond_caps.sum(axis=1, keepdims=True) + 1
    caps = np.concatenate([bond_caps, np.broadcast_to(infinite, (k, e - net.n_bonds))], axis=1)
    on_arc = solver.solve(caps.ravel())[1]
    values = on_arc.reshape(k, e)[:, tails == _S].sum(axis=1)
    reached = solver.source_side(caps.ravel(), on_arc, e, n)  # copy 0: the first e arcs, vertices 0 .. n-1
    crossing = reached[tails] & ~reached[heads]
    if reached[_T] or np.any(crossing[net.n_bonds :]):
        raise InternalError("the residual cut of a max-flow crosses an infinite arc")
    cut = np.flatnonzero(crossing[: net.n_bonds])
    if np.any(values != bond_caps[:, cut].sum(axis=1)):
        return None
    out_reached = np.append(reached[3::2], False)  # per bond, whether its out vertex is on the source side
    sides = out_reached[net.node_bonds[:, 0]] | out_reached[net.node_bonds[:, 1]]
    return CertifiedCut(math.prod(dims[e] for e in cut.tolist()), cut, sides, len(weightings))
