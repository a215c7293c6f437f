"""The min-cut graph of a ConvAC's tensor network, and exact arithmetic on its cut weights.

Nodes are the conv matrices ``W^{l,j}`` (layer ``l = 0 .. L-1``, position ``j``) and the output
matrix (layer ``L``, position 0). Input edge ``j`` joins the fixed terminal of input ``j`` to
``W^{0,j}`` and has dimension ``M``. The delta (copy) tensor of pooling window ``k`` of layer ``l``
is a *hyperedge* of dimension ``r_l`` joining the window's ``W^{l,j}`` and its parent ``W^{l+1,k}``;
cutting it (members on both sides) costs ``r_l`` once, however many legs are cut. A shallow
ConvAC is the depth-1 case with a single window holding every input. The output edge is deleted.
The graph is a tree (hyperedges as nodes), which is what makes an exact dynamic programme possible.

Examples
--------
>>> from convac import Architecture
>>> g = CutGraph.from_arch(Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5]))
>>> g.dims, g.layer_sizes
((2, 3, 4, 5), (8, 4, 2, 1))
>>> g.windows[1].tolist()
[[0, 1], [2, 3]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from convac._validation import positions
from convac.errors import InternalError

if TYPE_CHECKING:
    from convac.spec import Architecture

__all__ = ["CutEdge", "CutGraph", "ExactCosts", "coprime_base"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CutEdge:
    """One cut edge of the ConvAC tensor network.

    ``layer == -1``: the input edge of input ``position`` (dimension ``M``).
    ``layer == l >= 0``: the delta (copy) tensor of pooling window ``position`` of hidden layer
    ``l``, a hyperedge of dimension ``r_l``.

    Examples
    --------
    >>> print(CutEdge(2, 1, 4)), print(CutEdge(-1, 5, 2))
    layer 2 delta[1] (r=4)
    input 5 (M=2)
    (None, None)
    """

    layer: int
    position: int
    dim: int

    def __str__(self) -> str:
        if self.layer < 0:
            return f"input {self.position} (M={self.dim})"
        return f"layer {self.layer} delta[{self.position}] (r={self.dim})"


def _windows_1d(n_children: int, w: int) -> IntArray:
    return np.arange(n_children, dtype=np.int64).reshape(-1, w)


def _windows_2d(grid: tuple[int, ...], window: tuple[int, ...]) -> IntArray:
    # Same order as Architecture.pool_windows: windows row-major, members row-major inside.
    (h, w), (kh, kw) = grid, window
    rows = kh * np.arange(h // kh)[:, None, None, None] + np.arange(kh)[None, None, :, None]
    cols = kw * np.arange(w // kw)[None, :, None, None] + np.arange(kw)[None, None, None, :]
    return (rows * w + cols).reshape((h // kh) * (w // kw), kh * kw).astype(np.int64)


@dataclass(frozen=True, eq=False)
class CutGraph:
    """The tree of conv nodes and delta hyperedges of one architecture, with its bond dimensions.

    ``dims = (M, r_0, ..., r_{L-1})``; ``layer_sizes[l]`` is the number of layer-``l`` nodes
    (``layer_sizes[L] == 1``, the output node); ``windows[l]`` has shape
    ``(layer_sizes[l+1], pool)``: the layer-``l`` children of each layer-``l+1`` node;
    ``parents[l][j]`` is the window holding layer-``l`` node ``j``.
    """

    dims: tuple[int, ...]
    layer_sizes: tuple[int, ...]
    windows: tuple[IntArray, ...]
    parents: tuple[IntArray, ...]

    @cached_property
    def contiguous(self) -> tuple[bool, ...]:
        """Per layer, whether window ``k`` holds children ``k*pool .. k*pool+pool-1`` (1D, shallow)."""
        return tuple(bool(np.array_equal(w.ravel(), np.arange(w.size))) for w in self.windows)

    @cached_property
    def costs(self) -> ExactCosts:
        """Exact arithmetic over a coprime base of this graph's bond dimensions."""
        return ExactCosts(self.dims)

    @staticmethod
    def from_arch(arch: Architecture) -> CutGraph:
        """Return the graph of ``arch`` (cached: architectures are immutable)."""
        positions(arch.n_inputs, "the architecture")
        return _graph_of(arch)

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def depth(self) -> int:
        return len(self.layer_sizes) - 1

    def with_dims(self, dims: tuple[int, ...]) -> CutGraph:
        """Return the same tree with other bond dimensions (used by the power-of-p lower bound)."""
        if len(dims) != len(self.dims):
            raise InternalError(f"expected {len(self.dims)} bond dimensions, got {len(dims)}")
        return CutGraph(tuple(dims), self.layer_sizes, self.windows, self.parents)

    # ------------------------------------------------------------------ cuts of a side assignment
    def cut_counts(self, mask: BoolArray, sides: tuple[BoolArray, ...]) -> list[BoolArray]:
        """Which edges a side assignment cuts: ``[inputs, layer 0 deltas, ..., layer L-1 deltas]``.

        An edge is cut iff its endpoints (members, for a hyperedge) are not all on one side.
        """
        out = [np.asarray(mask != sides[0])]
        for lay in range(self.depth):
            children = sides[lay][self.windows[lay]]
            parent = sides[lay + 1][:, None]
            out.append(np.any(children != parent, axis=1))
        return out

    def cut_edges(self, mask: BoolArray, sides: tuple[BoolArray, ...]) -> tuple[CutEdge, ...]:
        """Return the cut edges of a side assignment, inputs first, then by layer and position."""
        edges: list[CutEdge] = []
        for layer, cut in enumerate(self.cut_counts(mask, sides), start=-1):
            dim = self.dims[layer + 1]
            edges.extend(CutEdge(layer, int(k), dim) for k in np.flatnonzero(cut))
        return tuple(edges)

    def cut_weight(self, mask: BoolArray, sides: tuple[BoolArray, ...]) -> int:
        """Return the exact weight (product of bond dimensions) of the cut made by a side assignment."""
        weight = 1
        for dim, cut in zip(self.dims, self.cut_counts(mask, sides), strict=True):
            weight *= dim ** int(np.count_nonzero(cut))
        return weight

    # ------------------------------------------------------------------ flow-graph form
    def flow_arcs(self, mask: BoolArray) -> tuple[int, IntArray, IntArray, npt.NDArray[np.float64]]:
        """Return the graph as directed arcs for a max-flow solver.

        Vertex 0 is the source (every side-A terminal), 1 the sink (every side-B terminal),
        then the conv nodes layer by layer, then two auxiliary vertices per hyperedge: a
        hyperedge of dimension ``r`` becomes an arc ``in -> out`` of capacity ``log2 r``, with
        infinite arcs from every member into ``in`` and from ``out`` to every member (Lawler's
        construction), so a finite cut pays ``log2 r`` at most once. Returns
        ``(n_vertices, tails, heads, capacities)`` with ``inf`` for the infinite arcs.
        """
        offsets = np.cumsum((2, *self.layer_sizes))
        n_nodes = int(offsets[-1])
        n_hyper = sum(self.layer_sizes[1:])
        tails: list[IntArray] = []
        heads: list[IntArray] = []
        caps: list[npt.NDArray[np.float64]] = []
        log_m = math.log2(self.dims[0])
        terminal = np.where(mask, 0, 1).astype(np.int64)
        w0 = offsets[0] + np.arange(self.n_inputs, dtype=np.int64)
        tails += [terminal, w0]
        heads += [w0, terminal]
        caps += [np.full(self.n_inputs, log_m)] * 2
        aux = n_nodes
        for lay in range(self.depth):
            n_win, pool = self.windows[lay].shape
            v_in = aux + 2 * np.arange(n_win, dtype=np.int64)
            v_out = v_in + 1
            aux += 2 * n_win
            children = offsets[lay] + self.windows[lay]
            parent = offsets[lay + 1] + np.arange(n_win, dtype=np.int64)
            members = np.concatenate([children, parent[:, None]], axis=1)
            tails += [v_in, members.ravel(), np.repeat(v_out, pool + 1)]
            heads += [v_out, np.repeat(v_in, pool + 1), members.ravel()]
            caps += [
                np.full(n_win, math.log2(self.dims[lay + 1])),
                np.full(members.size, np.inf),
                np.full(members.size, np.inf),
            ]
        if aux != n_nodes + 2 * n_hyper:
            raise InternalError(f"the flow graph has {aux} vertices, expected {n_nodes + 2 * n_hyper}")
        return aux, np.concatenate(tails), np.concatenate(heads), np.concatenate(caps)

    def node_offsets(self) -> IntArray:
        """Vertex id of the first node of each layer in :meth:`flow_arcs` (then the aux vertices)."""
        return np.cumsum((2, *self.layer_sizes)).astype(np.int64)


@lru_cache(maxsize=64)
def _graph_of(arch: Architecture) -> CutGraph:
    dims = (arch.n_features, *arch.channels)
    if arch.kind == "shallow":
        sizes: tuple[int, ...] = (arch.n_inputs, 1)
        windows: list[IntArray] = [np.arange(arch.n_inputs, dtype=np.int64)[None, :]]
    else:
        sizes = tuple(arch.positions(lay) for lay in range(arch.depth + 1))
        windows = []
        for lay in range(arch.depth):
            if arch.ndim == 1:
                windows.append(_windows_1d(sizes[lay], arch.pool_sizes[lay]))
            else:
                windows.append(_windows_2d(arch.layer_grid(lay), arch.windows[lay]))
    parents = []
    for lay, win in enumerate(windows):
        parent = np.empty(sizes[lay], dtype=np.int64)
        parent[win] = np.arange(win.shape[0], dtype=np.int64)[:, None]
        parents.append(parent)
    for arr in (*windows, *parents):
        arr.setflags(write=False)
    return CutGraph(dims, sizes, tuple(windows), tuple(parents))


# ---------------------------------------------------------------------------- exact arithmetic
def coprime_base(values: tuple[int, ...]) -> tuple[int, ...]:
    """Pairwise coprime integers > 1 such that every value is a product of their powers.

    Pairwise coprime integers are multiplicatively independent, so two products of them are
    equal iff their exponent vectors are equal: comparisons of cut weights need floats only to
    order *different* vectors, never to detect equality.

    Examples
    --------
    >>> coprime_base((2, 4, 6, 9, 1))
    (2, 3)
    >>> coprime_base((6, 10, 15))
    (2, 3, 5)
    >>> coprime_base((12, 18))
    (2, 3)
    """
    base = sorted({v for v in values if v > 1})
    while True:
        pair = next(
            ((a, b) for i, a in enumerate(base) for b in base[i + 1 :] if math.gcd(a, b) > 1),
            None,
        )
        if pair is None:
            return tuple(base)
        a, b = pair
        g = math.gcd(a, b)
        # a*b -> g * (a/g) * (b/g) strictly shrinks the product, so this terminates.
        rest = [v for v in base if v not in (a, b)]
        base = sorted({v for v in (*rest, g, a // g, b // g) if v > 1})


class ExactCosts:
    """Cut weights as exponent vectors over a coprime base of the bond dimensions.

    A weight ``prod(base**e)`` is stored as the integer vector ``e`` (on the *first* axis of an
    array, so that vectorised passes run over long contiguous slices); sums of vectors are
    products of weights. Float logs order them, and :meth:`less` breaks near-ties exactly with
    Python integers.

    Examples
    --------
    >>> ex = ExactCosts((2, 3, 4, 6))
    >>> ex.base, ex.exponents.tolist()
    ((2, 3), [[1, 0], [0, 1], [2, 0], [1, 1]])
    >>> ex.value(np.array([3, 2]))
    72
    """

    # Relative tolerance under which two float logs count as a near-tie. The float error of a
    # log is ~1e-16 * (number of terms summed), far below this for any graph that fits in memory.
    REL_TOL = 1e-11

    def __init__(self, dims: tuple[int, ...]) -> None:
        self.base = coprime_base(dims)
        exps = np.zeros((len(dims), len(self.base)), dtype=np.int64)
        for i, d in enumerate(dims):
            rest = d
            for k, b in enumerate(self.base):
                while rest % b == 0:
                    rest //= b
                    exps[i, k] += 1
            if rest != 1:  # pragma: no cover - guaranteed by coprime_base
                raise InternalError(f"{d} is not a product of the base {self.base}")
        self.exponents = exps
        # math.log2 takes Python ints of any size; a float64 cast would overflow above 1e308.
        self.logs = np.array([math.log2(b) for b in self.base], dtype=np.float64)
        self.dim_logs = exps @ self.logs if self.base else np.zeros(len(dims))

    @property
    def size(self) -> int:
        return len(self.base)

    def log2(self, e: IntArray) -> npt.NDArray[np.float64]:
        """Float log2 of exponent vectors stored along axis 0."""
        out = np.zeros(e.shape[1:])
        for k, lg in enumerate(self.logs):
            out += lg * e[k]
        return out

    def value(self, e: IntArray) -> int:
        """Return the exact integer ``prod(base**e)`` of one exponent vector."""
        out = 1
        for b, k in zip(self.base, np.asarray(e).tolist(), strict=True):
            out *= b**k
        return out

    def less(self, x: IntArray, y: IntArray, fx: npt.NDArray[np.float64], fy: npt.NDArray[np.float64]) -> BoolArray:
        """Exact elementwise ``value(x) < value(y)``: vectors on axis 0, float logs ``fx``, ``fy``."""
        diff = fx - fy
        tol = self.REL_TOL * np.maximum(1.0, np.abs(fx))
        lt = np.asarray(diff < -tol)
        near = np.abs(diff) <= tol
        if near.any():
            # Equal vectors are equal values (coprime base); only different ones need ints.
            near &= np.any(x != y, axis=0)
            if near.any():
                xb, yb = np.broadcast_arrays(x, y)
                lt = np.array(np.broadcast_to(lt, near.shape))
                for idx in zip(*np.nonzero(near), strict=True):
                    sl = (slice(None), *idx)
                    lt[idx] = self.value(xb[sl]) < self.value(yb[sl])
        return lt
