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


@dataclass(frozen=True)
class FunctionBound:
    """The function bound of one partition.

    ``value``: the exact bound (a Python int), or None above ``2**EXACT_BITS`` (deep overlapping
    stacks copy each input once per path: billions of bits); ``log2``: its base-2 logarithm;
    ``cut_nodes``: the graph nodes whose channel leg an optimal assignment cuts (0 = input edges);
    ``spec``: the :class:`~convac.spec.GraphArchitecture` it was computed on.

    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3])
    >>> fb = function_bound(arch, convac.Partition.left_right(arch))
    >>> fb.value, fb.cut_nodes, fb.layers
    (3, (3,), (2,))
    """

    value: int | None
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
        shown = str(self.value) if self.value is not None else f"2^{self.log2:.6g}"
        return f"function bound {shown} (log2 {self.log2:.6g}) cutting {names}"


@lru_cache(maxsize=16)
def _windows(spec: GraphArchitecture) -> tuple[Any, ...]:
    """Per conv node: its windows as a (positions, kernel) array of flat indices into its input node.

    Padded window members point at the sentinel ``len(input node)``, which callers append (1 for
    products, the neutral side for the side tests). Built per axis with numpy, then combined.
    """
    out: list[Any] = [None]
    for node in spec.nodes:
        if node.op != "conv":
            out.append(None)
            continue
        below = spec.node_grid(node.inputs[0])
        size = math.prod(below)
        grid_out = spec._grids[len(out)]
        axes = []
        for axis, n_below in enumerate(below):
            k, st, p, d = (node.kernel[axis], node.stride[axis], node.padding[axis], node.dilation[axis])  # type: ignore[index]
            c = np.arange(grid_out[axis])[:, None] * st - p + d * np.arange(k)[None, :]
            axes.append((c, (c >= 0) & (c < n_below)))
        if len(axes) == 1:
            ((c, ok),) = axes
            idx = np.where(ok, c, size)
        else:
            (r, rok), (c, cok) = axes
            flat = r[:, None, :, None] * below[1] + c[None, :, None, :]
            ok = rok[:, None, :, None] & cok[None, :, None, :]
            idx = np.where(ok, flat, size).reshape(r.shape[0] * c.shape[0], r.shape[1] * c.shape[1])
        out.append(idx)
    return tuple(out)


#: Exact integers are kept up to this many bits; above it the bound is reported by its log2 alone
#: (overlapping stacks copy an input once per path, so deep nets reach billions of bits).
EXACT_BITS = 4096


class _Exact:
    """Saturating exact arithmetic on object arrays of Python ints: every value above ``2**EXACT_BITS`` is ``big``.

    All operations are monotone and every value is at least 1, so a result at most ``2**EXACT_BITS`` is exact.
    """

    one: Any = 1
    big = 2**EXACT_BITS + 1

    def cst(self, v: int) -> Any:
        return v

    def clip(self, a: Any) -> Any:
        return np.minimum(a, self.big)

    def prod(self, a: Any) -> Any:
        return self.clip(np.multiply.reduce(a, axis=1) if a.shape[1] else _obj([1] * a.shape[0]))

    def times(self, a: Any, c: int) -> Any:
        return self.clip(a * c)

    def plus(self, a: Any, b: Any) -> Any:
        return self.clip(a + b)

    def ones(self, n: int) -> Any:
        return _obj([1] * n)


class _Log:
    """The same DP on float64 base-2 logarithms (display, and values beyond ``EXACT_BITS``)."""

    one: Any = 0.0

    def cst(self, v: int) -> Any:
        return math.log2(v)

    def prod(self, a: Any) -> Any:
        return a.sum(axis=1)

    def times(self, a: Any, c: int) -> Any:
        return a + math.log2(c)

    def plus(self, a: Any, b: Any) -> Any:
        return np.logaddexp2(a, b)

    def ones(self, n: int) -> Any:
        return np.zeros(n)


_Algebra = _Exact | _Log


def _obj(values: Any) -> Any:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _take(values: Any, idx: Any, pad: Any) -> Any:
    """``values`` gathered by a window array, the sentinel (padding) holding ``pad``."""
    return np.append(values, np.array([pad], dtype=values.dtype))[idx]


@dataclass
class _Tables:
    """The DP's per-node arrays over positions (object arrays of Python ints; ``fin`` False = infinite ``U``)."""

    u0: list[Any]
    u1: list[Any]
    fin0: list[Any]
    fin1: list[Any]
    s: list[Any]
    f0: list[Any]
    f1: list[Any]

    def push(self, u0: Any, u1: Any, fin0: Any, fin1: Any, s: Any, f0: Any, f1: Any) -> None:
        for lst, v in zip((self.u0, self.u1, self.fin0, self.fin1, self.s, self.f0, self.f1),
                          (u0, u1, fin0, fin1, s, f0, f1), strict=True):  # fmt: skip
            lst.append(v)


def _conv(al: _Algebra, tb: _Tables, src: int, idx: Any, width: int) -> None:
    """Add a generalized convolution (a matrix per window member): its delta over the members' legs."""
    x, y = _take(tb.f0[src], idx, al.one), _take(tb.f1[src], idx, al.one)
    u0, u1, m = al.prod(x), al.prod(y), al.prod(np.minimum(x, y))
    cut = al.times(m, width)
    true = np.ones(len(m), dtype=bool)
    tb.push(u0, u1, true, true, m, np.minimum(u0, cut), np.minimum(u1, cut))


def _pool(al: _Algebra, tb: _Tables, src: int, idx: Any, width: int) -> None:
    """Add a product pooling: no matrices, so its delta and its members' deltas are one (fused)."""
    u0, u1 = al.prod(_take(tb.u0[src], idx, al.one)), al.prod(_take(tb.u1[src], idx, al.one))
    fin0 = _take(tb.fin0[src], idx, True).all(axis=1)
    fin1 = _take(tb.fin1[src], idx, True).all(axis=1)
    m = al.prod(_take(tb.s[src], idx, al.one))
    cut = al.times(m, width)
    f0 = np.where(fin0, np.minimum(u0, cut), cut)
    f1 = np.where(fin1, np.minimum(u1, cut), cut)
    tb.push(u0, u1, fin0, fin1, m, f0, f1)


def _whole(tb: _Tables, f0: Any, f1: Any) -> None:
    """Add a node that is not a delta (sum, concatenation, grouped convolution): readers see only its F."""
    true = np.ones(len(f0), dtype=bool)
    tb.push(f0, f1, true, true, np.minimum(f0, f1), f0, f1)


def _grouped(al: _Algebra, tb: _Tables, spec: GraphArchitecture, i: int, idx: Any) -> None:
    """Block-diagonal matrices: the ungrouped bound, or ``g`` times one group's bound, whichever is smaller."""
    node = spec.nodes[i - 1]
    src = node.inputs[0]
    g, width = node.groups, spec.node_channels(i)
    per_in, per_out = spec.node_channels(src) // g, width // g
    x, y = _take(tb.f0[src], idx, al.one), _take(tb.f1[src], idx, al.one)
    m = al.prod(np.minimum(x, y))
    cut = al.times(m, width)
    full0, full1 = np.minimum(al.prod(x), cut), np.minimum(al.prod(y), cut)
    # one group's slice of the input: at most the whole input's rank, at most C_in / g times the other side's
    a, b = al.prod(np.minimum(x, al.times(y, per_in))), al.prod(np.minimum(y, al.times(x, per_in)))
    part = al.times(m, per_out)
    f0 = np.minimum(full0, al.times(np.minimum(a, part), g))
    _whole(tb, f0, np.minimum(full1, al.times(np.minimum(b, part), g)))


def _solve(al: _Algebra, spec: GraphArchitecture, side: Any) -> _Tables:
    n = len(side)
    ones, m = al.ones(n), al.times(al.ones(n), spec.n_features)
    tb = _Tables([ones], [ones], [~side], [side.copy()], [ones], [np.where(side, m, ones)], [np.where(side, ones, m)])
    windows = _windows(spec)
    lo, hi = _sides(spec, side)
    for i, node in enumerate(spec.nodes, start=1):
        if node.op == "conv":
            idx = windows[i]
            if node.channels is None:
                _pool(al, tb, node.inputs[0], idx, spec.node_channels(i))
            elif node.groups > 1:
                _grouped(al, tb, spec, i, idx)
            else:
                _conv(al, tb, node.inputs[0], idx, spec.node_channels(i))
            continue
        # a sum or a concatenation: ranks add (direct sum of the bond spaces / of the channels)
        f0, f1 = tb.f0[node.inputs[0]], tb.f1[node.inputs[0]]
        for src in node.inputs[1:]:
            f0, f1 = al.plus(f0, tb.f0[src]), al.plus(f1, tb.f1[src])
        width = al.cst(spec.node_channels(i))
        # a sum whose receptive field lies on one side is a function of that side alone: rank 1 there, C across
        on_a, on_b = lo[i] == 1, hi[i] == 0
        f1 = np.where(on_a, al.one, np.where(on_b, np.minimum(f1, width), f1))
        f0 = np.where(on_b, al.one, np.where(on_a, np.minimum(f0, width), f0))
        _whole(tb, f0, f1)
    return tb


def _sides(spec: GraphArchitecture, side: Any) -> tuple[list[Any], list[Any]]:
    """Per node and position: the least and the largest side (0 = B, 1 = A) of its receptive field's inputs."""
    lo, hi = [side.astype(np.int8)], [side.astype(np.int8)]
    windows = _windows(spec)
    for i, node in enumerate(spec.nodes, start=1):
        if node.op != "conv":
            lo.append(np.min([lo[s] for s in node.inputs], axis=0))
            hi.append(np.max([hi[s] for s in node.inputs], axis=0))
            continue
        src = node.inputs[0]
        # the sentinel: 1 for the minimum, 0 for the maximum (an empty window is pure)
        lo.append(_take(lo[src], windows[i], 1).min(axis=1))
        hi.append(_take(hi[src], windows[i], 0).max(axis=1))
    return lo, hi


def _mark(size: int, idx: Any) -> Any:
    out = np.zeros(size + 1, dtype=bool)
    out[idx.ravel()] = True
    return out[:size]


def _trace(al: _Algebra, spec: GraphArchitecture, tb: _Tables, side: Any, top_side: int) -> tuple[int, ...]:
    """Return the nodes whose leg one optimal assignment cuts, read back from the tables top down (vectorised).

    ``want[n]`` holds, per position of node ``n``, which states are reached: F with the leg on
    side 0 or 1, U on side 0 or 1, S.
    """
    windows = _windows(spec)
    sizes = [len(f) for f in tb.f0]
    want = [{k: np.zeros(sz, dtype=bool) for k in ("F0", "F1", "U0", "U1", "S")} for sz in sizes]
    want[-1][f"F{top_side}"][0] = True
    cut: set[int] = set()
    for n in range(len(spec.nodes), 0, -1):
        node, w = spec.nodes[n - 1], want[n]
        low = tb.f1[n] < tb.f0[n]  # the cheaper side of the leg
        if node.op != "conv" or node.groups > 1:
            w["F0"] |= w["U0"] | (w["S"] & ~low)
            w["F1"] |= w["U1"] | (w["S"] & low)
            _trace_whole(al, spec, tb, want, windows, n, cut)
            continue
        width = spec.node_channels(n)
        for t in (0, 1):
            u, fin = (tb.u1 if t else tb.u0)[n], (tb.fin1 if t else tb.fin0)[n]
            keep = fin & (u <= al.times(tb.s[n], width))
            reached = w[f"F{t}"]
            if (reached & ~keep).any():
                cut.add(n)
            w[f"U{t}"] |= reached & keep
            w["S"] |= reached & ~keep
        src, idx = node.inputs[0], windows[n]
        ws = want[src]
        pool = node.channels is None
        for t in (0, 1):
            ws[f"U{t}" if pool else f"F{t}"] |= _mark(sizes[src], idx[w[f"U{t}"]])
        members = _mark(sizes[src], idx[w["S"]])
        if pool:
            ws["S"] |= members
        else:
            src_low = tb.f1[src] < tb.f0[src]
            ws["F0"] |= members & ~src_low
            ws["F1"] |= members & src_low
    inputs = want[0]
    if ((inputs["F0"] & side) | (inputs["F1"] & ~side)).any():
        cut.add(0)
    return tuple(sorted(cut))


def _trace_whole(
    al: _Algebra, spec: GraphArchitecture, tb: _Tables, want: list[Any], windows: Any, n: int, cut: set[int]
) -> None:
    """Pass a sum's, a concatenation's or a grouped convolution's reached states to its inputs."""
    node, w = spec.nodes[n - 1], want[n]
    if node.op == "conv":  # grouped: the block structure is below the resolution of this trace
        reached = w["F0"] | w["F1"]
        if reached.any():
            cut.add(n)
        src = node.inputs[0]
        members = _mark(len(tb.f0[src]), windows[n][reached])
        src_low = tb.f1[src] < tb.f0[src]
        want[src]["F0"] |= members & ~src_low
        want[src]["F1"] |= members & src_low
        return
    for t in (0, 1):
        f = tb.f1 if t else tb.f0
        total = f[node.inputs[0]]
        for src in node.inputs[1:]:
            total = al.plus(total, f[src])
        flipped = w[f"F{t}"] & (f[n] < total)  # one-sided: its leg is cut, the inputs sit on the other side
        if flipped.any():
            cut.add(n)
        for s in node.inputs:
            want[s][f"F{t}"] |= w[f"F{t}"] & ~flipped
            want[s][f"F{1 - t}"] |= flipped


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
    side = np.asarray(partition.mask, dtype=bool)
    al: _Algebra = _Log()
    tb = _solve(al, graph, side)
    a, b = float(tb.f0[-1][0]), float(tb.f1[-1][0])
    value: int | None = None
    log2 = min(a, b)
    if log2 <= EXACT_BITS - 8:  # float rounding cannot hide a value above the exact range
        al = _Exact()
        tb = _solve(al, graph, side)
        ea, eb = int(tb.f0[-1][0]), int(tb.f1[-1][0])
        value = min(ea, eb)
        if value >= _Exact.big:
            raise InternalError("the exact function bound saturated below its float estimate; please report this")
        log2 = float(value.bit_length() - 1) if value & (value - 1) == 0 else math.log2(value)
        a, b = ea, eb
    cut = _trace(al, graph, tb, side, int(b < a))
    return FunctionBound(value, log2, cut, graph, partition)
