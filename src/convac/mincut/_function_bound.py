"""The function bound: the Schmidt rank of a CNN's *function* of continuous inputs across a partition, bounded.

The min-cut of :func:`convac.min_cut` bounds the rank of the one-hot coefficient tensor, in which
the copies of an input re-read by overlapping windows are joined by a delta and may fall on
different sides of a cut. For the network's function ``h(x_A, x_B)`` of continuous inputs every
copy of input ``j`` is a separate vector ``f(x_j)`` sitting on ``j``'s side: the function is the
unrolled computation tree whose leaves are tied to their input's side. In that tree the subtree
below a copy of activation (node, position) is the same for every copy, so the tree DP runs on
the compact graph (:class:`~convac.spec.GraphArchitecture`), memoised per (node, position), with
no unrolling: time linear in the compact graph per partition.

For every activation ``a`` (C channels) and side ``t``, ``F_t(a)`` bounds the rank of ``a`` as a
matrix with the channel leg on side ``t``. With ``U_t`` (the activation's delta left whole on
side ``t``) and ``S`` (the delta cut, at cost ``C`` once, its producers on their cheaper side):

- input ``j``: ``F_t = 1`` on ``j``'s side, ``M`` on the other;
- a generalized convolution ``a = prod_m W_m a_m``: ``U_t = prod F_t(a_m)``,
  ``S = prod min(F_0(a_m), F_1(a_m))``, ``F_t = min(U_t, C S)``; a product pooling fuses its
  members' deltas (``U_t = prod U_t(a_m)``, ``S = prod S(a_m)``);
- a grouped convolution is block-diagonal: also at most ``g`` times the bound of one group
  (ranks of a direct sum add);
- a residual addition ``a_1 + a_2``: ``F_t = F_t(a_1) + F_t(a_2)`` (bond spaces form a direct
  sum); a concatenation adds the same way;
- the output: ``min(F_0, F_1)`` at the top position (the output leg is deleted).

Values are exact Python integers. Why a separate function and not a :func:`convac.min_cut`
method: the sums and concatenations make it a bound that is not the min-cut of one tensor
network, it takes graph specs that ``min_cut`` does not, and for overlapping windows it is a
different quantity (the function, not the coefficient tensor), which deserves its own name.
On a tree spec it equals :func:`convac.min_cut`; on a chain it equals the exact max-flow of the
unrolled network with every input copy tied to its input's side (tests/mincut).

Examples
--------
>>> import convac
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(3, kernel=2)])
>>> part = convac.Partition(3, side_a=[1])
>>> function_bound(spec, part).value, convac.min_cut(spec, part).value
(4, 2)

The one-hot min-cut 2 cuts input 1's copy delta; the function ``h`` holds ``f(x_1)`` twice and has
Schmidt rank 3 across this partition (tests/mincut), above 2 and within the function bound 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from convac._validation import instance
from convac.errors import ConvacTypeError, InternalError
from convac.partitions import Partition
from convac.spec import Architecture, GeneralArchitecture
from convac.spec._graph import GraphArchitecture, _as_graph

__all__ = ["FunctionBound", "function_bound"]

_Vals = list[int]


@dataclass(frozen=True)
class FunctionBound:
    """The function bound of one partition.

    ``value``: the exact bound (a Python int); ``log2``: its base-2 logarithm (display);
    ``cut_nodes``: the graph nodes whose channel leg an optimal assignment cuts (0 = input edges);
    ``spec``: the :class:`~convac.spec.GraphArchitecture` it was computed on.

    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3])
    >>> fb = function_bound(arch, convac.Partition.left_right(arch))
    >>> fb.value, fb.cut_nodes, fb.layers
    (3, (3,), (2,))
    """

    value: int
    log2: float
    cut_nodes: tuple[int, ...]
    spec: GraphArchitecture
    partition: Partition

    @property
    def layers(self) -> tuple[int, ...]:
        """``cut_nodes`` in the analysis' layer numbering (-1 = inputs, node ``i`` = layer ``i - 1``)."""
        return tuple(n - 1 for n in self.cut_nodes)

    def __str__(self) -> str:
        names = ", ".join(self.spec.labels[n] for n in self.cut_nodes) or "-"
        return f"function bound {self.value} (log2 {self.log2:.6g}) cutting {names}"


def _flat(coord: tuple[int, ...], grid: tuple[int, ...]) -> int:
    out = 0
    for c, g in zip(coord, grid, strict=True):
        out = out * g + c
    return out


@lru_cache(maxsize=16)
def _members(spec: GraphArchitecture) -> tuple[tuple[tuple[int, ...], ...] | None, ...]:
    """Per node: for each position (row-major), the flat indices in its input node that its window reads."""
    out: list[tuple[tuple[int, ...], ...] | None] = [None]
    for i, node in enumerate(spec.nodes, start=1):
        if node.op != "conv":
            out.append(None)
            continue
        below = spec.node_grid(node.inputs[0])
        grid = spec.node_grid(i)
        positions = [tuple(divmod(q, grid[-1])) if len(grid) == 2 else (q,) for q in range(math.prod(grid))]
        out.append(tuple(tuple(_flat(c, below) for c in spec.window(i, p)) for p in positions))
    return tuple(out)


@dataclass
class _Tables:
    """The DP's per-node, per-position values (``None`` in ``u0``/``u1`` = infinite: a terminal on the other side)."""

    u0: list[list[int | None]]
    u1: list[list[int | None]]
    s: list[_Vals]
    f0: list[_Vals]
    f1: list[_Vals]


def _mul(values: list[int | None], idx: tuple[int, ...]) -> int | None:
    out = 1
    for j in idx:
        v = values[j]
        if v is None:
            return None
        out *= v
    return out


def _low(u: int | None, cut: int) -> int:
    return cut if u is None or cut < u else u


def _conv(tb: _Tables, src: int, members: tuple[tuple[int, ...], ...], width: int) -> None:
    """Add a generalized convolution (a matrix per window member): its delta over the members' legs."""
    pf0, pf1 = tb.f0[src], tb.f1[src]
    u0: list[int | None] = []
    u1: list[int | None] = []
    s, f0, f1 = [], [], []
    for idx in members:
        a = b = m = 1
        for j in idx:
            x, y = pf0[j], pf1[j]
            a *= x
            b *= y
            m *= x if x < y else y
        cut = width * m
        u0.append(a)
        u1.append(b)
        s.append(m)
        f0.append(a if a < cut else cut)
        f1.append(b if b < cut else cut)
    tb.u0.append(u0)
    tb.u1.append(u1)
    tb.s.append(s)
    tb.f0.append(f0)
    tb.f1.append(f1)


def _pool(tb: _Tables, src: int, members: tuple[tuple[int, ...], ...], width: int) -> None:
    """Add a product pooling: no matrices, so its delta and its members' deltas are one (fused)."""
    pu0, pu1, ps = tb.u0[src], tb.u1[src], tb.s[src]
    u0 = [_mul(pu0, idx) for idx in members]
    u1 = [_mul(pu1, idx) for idx in members]
    s = [math.prod(ps[j] for j in idx) for idx in members]
    tb.u0.append(u0)
    tb.u1.append(u1)
    tb.s.append(s)
    tb.f0.append([_low(u, width * m) for u, m in zip(u0, s, strict=True)])
    tb.f1.append([_low(u, width * m) for u, m in zip(u1, s, strict=True)])


def _whole(tb: _Tables, f0: _Vals, f1: _Vals) -> None:
    """Add a node that is not a delta (sum, concatenation, grouped convolution): readers see only its F."""
    tb.u0.append(list(f0))
    tb.u1.append(list(f1))
    tb.s.append([a if a < b else b for a, b in zip(f0, f1, strict=True)])
    tb.f0.append(f0)
    tb.f1.append(f1)


def _grouped(tb: _Tables, spec: GraphArchitecture, i: int, members: tuple[tuple[int, ...], ...]) -> None:
    """Block-diagonal matrices: the ungrouped bound, or ``g`` times one group's bound, whichever is smaller."""
    node = spec.nodes[i - 1]
    src = node.inputs[0]
    g, width = node.groups, spec.node_channels(i)
    per_in, per_out = spec.node_channels(src) // g, width // g
    _conv(tb, src, members, width)
    full0, full1 = tb.f0.pop(), tb.f1.pop()
    for lst in (tb.u0, tb.u1, tb.s):
        lst.pop()
    pf0, pf1 = tb.f0[src], tb.f1[src]
    f0, f1 = [], []
    for idx, a_full, b_full in zip(members, full0, full1, strict=True):
        a = b = m = 1
        for j in idx:
            x, y = pf0[j], pf1[j]
            a *= min(x, per_in * y)  # one group's slice of the input: at most the whole, at most C_in/g flips
            b *= min(y, per_in * x)
            m *= x if x < y else y
        cut = per_out * m
        f0.append(min(a_full, g * min(a, cut)))
        f1.append(min(b_full, g * min(b, cut)))
    _whole(tb, f0, f1)


def _solve(spec: GraphArchitecture, mask: Any) -> _Tables:
    side = [bool(v) for v in mask]
    m = spec.n_features
    tb = _Tables(
        u0=[[None if a else 1 for a in side]],
        u1=[[1 if a else None for a in side]],
        s=[[1] * len(side)],
        f0=[[m if a else 1 for a in side]],
        f1=[[1 if a else m for a in side]],
    )
    members = _members(spec)
    lo, hi = _sides(spec, np.asarray(side, dtype=bool))
    for i, node in enumerate(spec.nodes, start=1):
        if node.op == "conv":
            mem = members[i]
            if mem is None:
                raise InternalError("a convolution node without windows; please report this")
            if node.channels is None:
                _pool(tb, node.inputs[0], mem, spec.node_channels(i))
            elif node.groups > 1:
                _grouped(tb, spec, i, mem)
            else:
                _conv(tb, node.inputs[0], mem, spec.node_channels(i))
            continue
        # a sum or a concatenation: ranks add (direct sum of the bond spaces / of the channels)
        f0 = [sum(v) for v in zip(*(tb.f0[s] for s in node.inputs), strict=True)]
        f1 = [sum(v) for v in zip(*(tb.f1[s] for s in node.inputs), strict=True)]
        _one_sided(f0, f1, lo[i], hi[i], spec.node_channels(i))
        _whole(tb, f0, f1)
    return tb


def _one_sided(f0: _Vals, f1: _Vals, lo: Any, hi: Any, width: int) -> None:
    """Lower a sum whose receptive field lies on one side (a function of it alone): rank 1 there, ``C`` across."""
    for q in np.flatnonzero(lo == 1).tolist():
        f1[q] = 1
        f0[q] = min(f0[q], width)
    for q in np.flatnonzero(hi == 0).tolist():
        f0[q] = 1
        f1[q] = min(f1[q], width)


def _sides(spec: GraphArchitecture, side: Any) -> tuple[list[Any], list[Any]]:
    """Per node and position: the least and the largest side (0 = B, 1 = A) of its receptive field's inputs."""
    lo, hi = [side.astype(np.int8)], [side.astype(np.int8)]
    for i, node in enumerate(spec.nodes, start=1):
        if node.op != "conv":
            lo.append(np.min([lo[s] for s in node.inputs], axis=0))
            hi.append(np.max([hi[s] for s in node.inputs], axis=0))
            continue
        idx = _padded(spec)[i]
        src = node.inputs[0]
        # the sentinel after the last position: 1 for the minimum, 0 for the maximum (an empty window is pure)
        lo.append(np.append(lo[src], 1)[idx].min(axis=1))
        hi.append(np.append(hi[src], 0)[idx].max(axis=1))
    return lo, hi


@lru_cache(maxsize=16)
def _padded(spec: GraphArchitecture) -> tuple[Any, ...]:
    """Per conv node: its windows as a (positions, kernel) index array, padded with the sentinel ``len(source)``."""
    out: list[Any] = [None]
    for node, mem in zip(spec.nodes, _members(spec)[1:], strict=True):
        if mem is None:
            out.append(None)
            continue
        n_src = math.prod(spec.node_grid(node.inputs[0]))
        width = max([1, *(len(m) for m in mem)])
        arr = np.full((len(mem), width), n_src, dtype=np.int64)
        for q, m in enumerate(mem):
            arr[q, : len(m)] = m
        out.append(arr)
    return tuple(out)


def _trace(spec: GraphArchitecture, tb: _Tables, side: list[bool], top_side: int) -> tuple[int, ...]:
    """Return the nodes whose leg one optimal assignment cuts, read back from the tables (each state once)."""
    members = _members(spec)
    cut: set[int] = set()
    seen: set[tuple[str, int, int, int]] = set()
    stack: list[tuple[str, int, int, int]] = [("F", len(spec.nodes), 0, top_side)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        kind, n, q, t = state
        if n == 0:
            if kind == "F" and side[q] != bool(t):
                cut.add(0)
            continue
        node = spec.nodes[n - 1]
        fusable = node.op == "conv" and node.groups == 1
        if not fusable:
            if kind != "F":  # U = F and S = min(F_0, F_1) for a node that is not a delta
                stack.append(("F", n, q, t if kind == "U" else int(tb.f1[n][q] < tb.f0[n][q])))
                continue
            if node.op == "conv":  # grouped: the block structure is below the resolution of this trace
                cut.add(n)
                src = node.inputs[0]
                mem = members[n] or ()
                stack += [("F", src, j, int(tb.f1[src][j] < tb.f0[src][j])) for j in mem[q]]
            elif (tb.f1 if t else tb.f0)[n][q] < sum((tb.f1 if t else tb.f0)[s][q] for s in node.inputs):
                cut.add(n)  # one-sided: its leg is cut, the inputs sit on the other side
                stack += [("F", s, q, 1 - t) for s in node.inputs]
            else:
                stack += [("F", s, q, t) for s in node.inputs]
            continue
        stack += _expand(spec, tb, members, cut, state)
    return tuple(sorted(cut))


def _expand(
    spec: GraphArchitecture, tb: _Tables, members: Any, cut: set[int], state: tuple[str, int, int, int]
) -> list[tuple[str, int, int, int]]:
    """Successor states of a (fusable) convolution or pooling node."""
    kind, n, q, t = state
    node = spec.nodes[n - 1]
    src, mem = node.inputs[0], members[n][q]
    pool = node.channels is None
    if kind == "F":
        u = (tb.u1 if t else tb.u0)[n][q]
        if u is not None and u <= spec.node_channels(n) * tb.s[n][q]:
            return [("U", n, q, t)]
        cut.add(n)
        return [("S", n, q, 0)]
    if kind == "U":
        return [("U" if pool else "F", src, j, t) for j in mem]
    if pool:
        return [("S", src, j, 0) for j in mem]
    return [("F", src, j, int(tb.f1[src][j] < tb.f0[src][j])) for j in mem]


def function_bound(spec: GraphArchitecture | GeneralArchitecture | Architecture, partition: Partition) -> FunctionBound:
    """Return the function bound of ``spec`` across ``partition`` (see the module docstring).

    ``spec`` is a :class:`~convac.spec.GraphArchitecture` (sums, concatenations, groups), a
    :class:`~convac.spec.GeneralArchitecture` or an :class:`~convac.Architecture`. It bounds the
    Schmidt rank of the network's function ``h(x_A, x_B)`` of continuous inputs; for a tree it
    equals :func:`convac.min_cut`, for overlapping windows it can exceed the one-hot min-cut
    (which may split the copies of an input), and it is never below it on a chain.

    Examples
    --------
    >>> import convac
    >>> from convac.spec import GraphArchitecture, GraphNode
    >>> block = GraphArchitecture(grid=(4,), n_features=2, nodes=[
    ...     GraphNode.conv(0, 2, kernel=3, padding=1), GraphNode.add(0, 1), GraphNode.conv(2, 3, kernel=4)])
    >>> part = convac.Partition.left_right(block.grid)
    >>> print(function_bound(block, part))  # identity + branch: the sums straddling the cut add ranks
    function bound 24 (log2 4.58496) cutting input, node 1, node 2
    """
    if not isinstance(spec, (GraphArchitecture, GeneralArchitecture, Architecture)):
        raise ConvacTypeError(
            f"spec must be a convac.spec.GraphArchitecture, GeneralArchitecture or Architecture, "
            f"got {type(spec).__name__}"
        )
    instance(partition, "partition", Partition, "a convac.Partition (e.g. Partition.left_right(spec))")
    partition.check_fits(spec)  # type: ignore[arg-type]  # it reads n_inputs and grid only
    graph = _as_graph(spec)
    tb = _solve(graph, partition.mask)
    top = len(graph.nodes)
    a, b = tb.f0[top][0], tb.f1[top][0]
    value = min(a, b)
    cut = _trace(graph, tb, [bool(v) for v in partition.mask], int(b < a))
    log2 = float(value.bit_length() - 1) if value & (value - 1) == 0 else math.log2(value)
    return FunctionBound(value, log2, cut, graph, partition)
