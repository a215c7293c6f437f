"""Exact max-flow with logarithmic capacities: Edmonds–Karp in the multiplicative group of rationals.

A bond of dimension ``d`` has capacity ``log d``. Instead of rounding logs to floats (which can
return a non-minimal cut, docs/theory.md §4), every capacity, flow and residual ``log x`` is
represented by the positive rational ``x`` itself: adding logs is multiplying, subtracting is
dividing, and ``log x > 0`` is ``x > 1``. Edmonds–Karp only adds, subtracts and compares, and
terminates after ``O(V E)`` augmentations for any real capacities (shortest augmenting paths),
so the flow value and the residual-reachable cut are exact.

The hyperedge cut (a bond costs ``log d`` once when its members are split) is Lawler's directed
reduction: each bond becomes ``in -> out`` with capacity ``log d``, every member ``v`` gets
``v -> in`` and ``out -> v`` of infinite capacity. A member on the source side forces ``in`` there,
one on the sink side forces ``out`` there, so a split bond pays its arc exactly once.

The result is certified: the flow is checked to be feasible (capacities, conservation) and its
value to equal the weight of the cut read off the residual graph, both in exact arithmetic; weak
duality then proves the cut minimal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction

from convac.errors import InternalError

__all__ = ["FlowCut", "hyperedge_min_cut"]


@dataclass(frozen=True)
class FlowCut:
    """The exact max-flow value (a product of dims) and the source side of a minimal cut."""

    value: int
    source_side: tuple[bool, ...]  # per vertex (0 .. n_vertices - 1) of the hypergraph
    cut: tuple[int, ...]  # indices of the split hyperedges
    augmentations: int


class _Network:
    """A residual network whose arc values are rationals standing for their logs (None = infinite)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.head: list[int] = []
        self.res: list[Fraction | None] = []
        self.cap: list[Fraction | None] = []
        self.adj: list[list[int]] = [[] for _ in range(n)]

    def arc(self, u: int, v: int, c: Fraction | None) -> None:
        # Arcs come in pairs (a, a ^ 1); the reverse starts at log 0 = the rational 1.
        for x, y, cc in ((u, v, c), (v, u, _ONE)):
            self.adj[x].append(len(self.head))
            self.head.append(y)
            self.res.append(cc)
            self.cap.append(cc)

    def _open(self, a: int) -> bool:
        r = self.res[a]
        return r is None or r > _ONE

    def bfs(self, s: int, t: int | None = None) -> list[int]:
        """Predecessor arc of every vertex reachable from ``s`` in the residual graph (-1: not reached)."""
        prev = [-1] * self.n
        prev[s] = -2
        queue = deque([s])
        while queue and (t is None or prev[t] == -1):
            u = queue.popleft()
            for a in self.adj[u]:
                v = self.head[a]
                if prev[v] == -1 and self._open(a):
                    prev[v] = a
                    queue.append(v)
        return prev

    def augment(self, prev: list[int], s: int, t: int) -> Fraction:
        path = []
        v = t
        while v != s:
            path.append(prev[v])
            v = self.head[prev[v] ^ 1]
        finite = [r for r in (self.res[a] for a in path) if r is not None]
        if not finite:  # every s-t path crosses a finite bond arc
            raise InternalError("an infinite-capacity path joins the two sides of the hypergraph cut")
        bottleneck = min(finite)
        for a in path:
            ra, rb = self.res[a], self.res[a ^ 1]
            if ra is not None:
                self.res[a] = ra / bottleneck
            if rb is not None:
                self.res[a ^ 1] = rb * bottleneck
        return bottleneck


_ONE = Fraction(1)


def hyperedge_min_cut(
    n_vertices: int,
    hyperedges: list[tuple[int, list[int]]],
    sources: set[int],
    sinks: set[int],
) -> FlowCut:
    """Exact minimal product-weight cut of a hypergraph separating ``sources`` from ``sinks``.

    ``hyperedges`` holds ``(dim, member vertices)``; vertices are ``0 .. n_vertices - 1``.

    >>> r = hyperedge_min_cut(3, [(4, [0, 1]), (3, [1, 2]), (5, [0, 2])], {0}, {2})
    >>> r.value, r.cut
    (15, (1, 2))
    """
    # Vertex v -> id v; hyperedge e -> ids base + 2e (in), base + 2e + 1 (out); then S and T.
    base = n_vertices
    s_id = base + 2 * len(hyperedges)
    t_id = s_id + 1
    net = _Network(t_id + 1)
    for e, (dim, members) in enumerate(hyperedges):
        e_in, e_out = base + 2 * e, base + 2 * e + 1
        net.arc(e_in, e_out, Fraction(dim))
        for v in members:
            net.arc(v, e_in, None)
            net.arc(e_out, v, None)
    for v in sources:
        net.arc(s_id, v, None)
    for v in sinks:
        net.arc(v, t_id, None)

    total = _ONE
    augmentations = 0
    while True:
        prev = net.bfs(s_id, t_id)
        if prev[t_id] == -1:
            break
        total *= net.augment(prev, s_id, t_id)
        augmentations += 1
    reach = [p != -1 for p in net.bfs(s_id)]
    _certify(net, s_id, t_id)
    cut = tuple(e for e in range(len(hyperedges)) if reach[base + 2 * e] and not reach[base + 2 * e + 1])
    weight = 1
    for e in cut:
        weight *= hyperedges[e][0]
    if total.denominator != 1 or total.numerator != weight:
        raise InternalError(f"flow value {total} differs from its residual cut's weight {weight}")
    return FlowCut(weight, tuple(reach[:n_vertices]), cut, augmentations)


def _certify(net: _Network, s_id: int, t_id: int) -> None:
    """Check exactly that the flow is feasible: ``1 <= flow <= cap`` per arc, conservation per vertex."""
    balance = [_ONE] * net.n
    for a in range(0, len(net.head), 2):
        # The flow on arc a is its reverse's residual (log 0 = 1 plus every push).
        f = net.res[a + 1]
        c = net.cap[a]
        if f is None or f < _ONE or (c is not None and f > c):
            raise InternalError("max-flow broke a capacity")
        balance[net.head[a + 1]] /= f
        balance[net.head[a]] *= f
    if any(balance[x] != _ONE for x in range(net.n) if x not in (s_id, t_id)):
        raise InternalError("max-flow broke conservation")
