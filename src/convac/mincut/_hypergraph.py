"""The tensor network of a :class:`GeneralArchitecture` as a hypergraph for min-cuts.

**Only inputs can be copied.** A re-used activation ``a`` enters several windows, and the score
is then a polynomial of degree > 1 in ``a``; a copy delta would give ``sum_g a_g e_g (x) e_g``,
not ``a (x) a``, so a tensor network cannot copy an activation. It can copy an input: the
coefficient tensor is indexed by one-hot features ``e_d`` (:mod:`convac.tensornet._general`), and
``delta . e_d = e_d (x) e_d``. So the tensor network of an overlapping ConvAC is its
**unrolled computation tree** (every re-used activation recomputed, with the same weights, once
per window that reads it: Levine, Sharir, Cohen, Shashua, PRL 122, 065301 (2019)), whose leaves
read the inputs through copy deltas. The graph has cycles only through those input copies.

**Nodes** are the conv matrices of that tree: one per path from the top, i.e. per instance of
``W^{l,q,c}`` (step ``l``, output position ``q``, window member ``c``); ``consumer`` is the index
of the node that reads the instance's output (-1 at the top step). A pure pooling step
(``channels=None``) has no matrices.

**Hyperedges** are the delta tensors, all legs of one dimension. An activation instance's
product-pooling delta joins the ``W`` of its window and the one ``W`` that reads it (dimension
``C_l``). Input ``j``'s copy delta joins its terminal and every leaf ``W`` that reads input ``j``
(dimension ``M``). Across a ``channels=None`` step a pooling delta meets its members' deltas
directly, and a delta contracted with a delta is one delta (``sum_g d_{a..g} d_{g..z} = d_{a..z}``),
so they fuse into one hyperedge.

**Why hyperedges, not delta nodes with legs.** A delta of dimension ``r`` split into any two
non-empty groups of legs is the rank-``r`` matrix ``sum_g e_g e_g^T``, i.e. the delta can be
rewritten as two deltas joined by one bond of dimension ``r`` placed between those groups. For
each cut we may choose that rewriting, so a cut that separates a delta's legs costs ``r`` once,
however many legs lie on either side. Modelling the delta as a node whose legs each cost ``r``
would charge ``r^k`` when ``k`` legs cross, a valid but looser bound (and for the tree specs it
would no longer equal :func:`convac.min_cut`, whose deltas are hyperedges too). A cut is an
assignment of every node to side A or B, with input ``j``'s terminal fixed to its partition side;
its weight is the product of the dimensions of the hyperedges whose members (matrices and
terminals) are not all on one side. The output matrix hangs only on the top hyperedge (the output
edge is deleted), so it never needs cutting and is left out.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(4,), n_features=2,
...     steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=3)])
>>> g = tensor_network_graph(spec)
>>> len(g.nodes), len(g.bonds)  # 3 top matrices, each reading a 2-window: 3 + 6
(9, 8)
>>> [str(b) for b in g.bonds[:2]]
['input 0 (M=2)', 'input 1 (M=2)']
>>> [str(g.nodes[i]) for i in g.bonds[1].nodes]  # input 1 is read by the windows of outputs 0 and 1
['W[step 0, out (0,), in (1,)] (2x3)', 'W[step 0, out (1,), in (1,)] (2x3)']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from convac._validation import instance, positive_int
from convac.errors import TooLargeError
from convac.spec import GeneralArchitecture

__all__ = ["ConvNode", "Hyperedge", "TensorNetworkGraph", "tensor_network_graph"]

Coord = tuple[int, ...]


@dataclass(frozen=True)
class ConvNode:
    """A conv matrix ``W^{step, position, member}`` of shape ``in_dim x out_dim``.

    Step ``step`` applies it to activation ``member`` of layer ``step`` for output ``position``
    of layer ``step + 1``; ``consumer`` is the index of the node reading that output in the
    unrolled tree (-1 for the top step).

    Examples
    --------
    >>> print(ConvNode(step=0, position=(1,), member=(2,), in_dim=2, out_dim=3))
    W[step 0, out (1,), in (2,)] (2x3)
    """

    step: int
    position: Coord
    member: Coord
    in_dim: int
    out_dim: int
    consumer: int = -1

    def __str__(self) -> str:
        return f"W[step {self.step}, out {self.position}, in {self.member}] ({self.in_dim}x{self.out_dim})"


@dataclass(frozen=True)
class Hyperedge:
    """A delta hyperedge: activation ``position`` of layer ``layer`` (layer 0: an input), dimension ``dim``.

    ``nodes`` are the indices (into :attr:`TensorNetworkGraph.nodes`) of the matrices it joins,
    ``inputs`` the flat indices of the input terminals on it (``(j,)`` for input ``j``).
    ``merged`` lists further activations ``(layer, position)`` fused into it through
    ``channels=None`` steps (empty otherwise). Cutting it costs ``dim`` once.

    Layer numbering is the spec's: bond layer ``l >= 1`` carries ``C_l`` channels, the output of
    step ``l - 1``; in :class:`convac.CutEdge` terms of an equivalent :class:`convac.Architecture`
    it is hidden layer ``l - 1`` (and spec layer 0 is ``CutEdge`` layer ``-1``, the inputs).

    Examples
    --------
    >>> print(Hyperedge(layer=2, position=(0, 1), dim=4, nodes=(3, 7), inputs=()))
    layer 2 (0, 1) (C=4)
    """

    layer: int
    position: Coord
    dim: int
    nodes: tuple[int, ...]
    inputs: tuple[int, ...]
    merged: tuple[tuple[int, Coord], ...] = ()

    def __str__(self) -> str:
        if self.layer == 0 and len(self.inputs) == 1 and not self.merged:
            return f"input {self.inputs[0]} (M={self.dim})"
        extra = f" + {len(self.merged)} merged" if self.merged else ""
        return f"layer {self.layer} {self.position}{extra} (C={self.dim})"


@dataclass(frozen=True)
class TensorNetworkGraph:
    """The min-cut hypergraph of a spec's tensor network (see the module docstring).

    Attributes
    ----------
    spec : GeneralArchitecture
    nodes : tuple of ConvNode
        The conv matrices, by step, then output position, then window member (row-major).
    bonds : tuple of Hyperedge
        The delta hyperedges, by layer and position (merged ones under their lowest activation).
    input_bond : tuple of int
        ``input_bond[j]`` is the index of the bond holding input ``j``'s terminal (-1 if no
        window reads input ``j`` and it has no bond).

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2,
    ...     steps=[ConvStep(3, kernel=2, stride=2), ConvStep(5, kernel=2, stride=2)])
    >>> g = tensor_network_graph(spec)
    >>> g.is_tree, [b.dim for b in g.bonds]
    (True, [2, 2, 2, 2, 3, 3, 5])
    """

    spec: GeneralArchitecture
    nodes: tuple[ConvNode, ...]
    bonds: tuple[Hyperedge, ...]
    input_bond: tuple[int, ...]

    @property
    def is_tree(self) -> bool:
        """True when the bipartite node-bond incidence graph has no cycle (no activation is re-used)."""
        # A connected bipartite graph is a tree iff edges = vertices - 1; count per component.
        n_incidences = sum(len(b.nodes) for b in self.bonds)
        n_vertices = len(self.nodes) + len(self.bonds)
        return n_incidences == n_vertices - self._components()

    def _components(self) -> int:
        parent = list(range(len(self.nodes) + len(self.bonds)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for b, bond in enumerate(self.bonds):
            for n in bond.nodes:
                parent[find(len(self.nodes) + b)] = find(n)
        return len({find(x) for x in range(len(parent))})

    def cut_weight(self, node_sides: list[bool] | tuple[bool, ...], input_sides: list[bool] | tuple[bool, ...]) -> int:
        """Exact weight of an assignment: product of the dims of bonds whose members are split.

        ``node_sides[i]`` is True when node ``i`` is on side A, ``input_sides[j]`` when input ``j`` is.

        Examples
        --------
        >>> from convac.spec import ConvStep, GeneralArchitecture
        >>> spec = GeneralArchitecture(grid=(2,), n_features=2, steps=[ConvStep(3, kernel=2)])
        >>> g = tensor_network_graph(spec)
        >>> g.cut_weight([True, True], [True, False]), g.cut_weight([True, False], [True, False])
        (2, 3)
        """
        weight = 1
        for bond in self._split(node_sides, input_sides):
            weight *= bond.dim
        return weight

    def _split(
        self, node_sides: list[bool] | tuple[bool, ...], input_sides: list[bool] | tuple[bool, ...]
    ) -> list[Hyperedge]:
        out = []
        for bond in self.bonds:
            sides = {bool(node_sides[n]) for n in bond.nodes} | {bool(input_sides[j]) for j in bond.inputs}
            if len(sides) == 2:
                out.append(bond)
        return out


def _coords(grid: Coord) -> list[Coord]:
    return list(itertools.product(*(range(g) for g in grid)))


def _flat(coord: Coord, grid: Coord) -> int:
    out = 0
    for c, g in zip(coord, grid, strict=True):
        out = out * g + c
    return out


def tensor_network_graph(spec: GeneralArchitecture, max_nodes: int = 2_000_000) -> TensorNetworkGraph:
    """Build the min-cut hypergraph of ``spec``'s tensor network (the unrolled tree with copied inputs).

    An overlapping stack unrolls to ``prod(kernel sizes)`` paths; more than ``max_nodes`` matrices
    raise :class:`~convac.errors.TooLargeError`.

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2,
    ...     steps=[ConvStep(2, kernel=2), ConvStep(4, kernel=2)])
    >>> g = tensor_network_graph(spec)
    >>> [(str(n), n.consumer) for n in g.nodes]  # doctest: +NORMALIZE_WHITESPACE
    [('W[step 1, out (0,), in (0,)] (2x4)', -1), ('W[step 1, out (0,), in (1,)] (2x4)', -1),
     ('W[step 0, out (0,), in (0,)] (2x2)', 0), ('W[step 0, out (0,), in (1,)] (2x2)', 0),
     ('W[step 0, out (1,), in (1,)] (2x2)', 1), ('W[step 0, out (1,), in (2,)] (2x2)', 1)]
    >>> [(str(b), b.nodes) for b in g.bonds]  # doctest: +NORMALIZE_WHITESPACE
    [('input 0 (M=2)', (2,)), ('input 1 (M=2)', (3, 4)), ('input 2 (M=2)', (5,)),
     ('layer 1 (0,) (C=2)', (0, 2, 3)), ('layer 1 (1,) (C=2)', (1, 4, 5)), ('layer 2 (0,) (C=4)', (0, 1))]
    >>> g.is_tree
    False
    """
    spec = instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
    max_nodes = positive_int(max_nodes, "max_nodes")
    channels = spec.channels
    nodes: list[ConvNode] = []
    parent: list[int] = []  # union-find over hyperedge ids (fused through channels=None steps and input copies)
    incidence: list[tuple[int, int]] = []  # (hyperedge id, node)
    names: list[tuple[int, Coord]] = []  # the activation each hyperedge id was created for

    def new(act: tuple[int, Coord]) -> int:
        parent.append(len(parent))
        names.append(act)
        return len(parent) - 1

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    top: Coord = (0,) * spec.ndim
    # Activation instances of the current layer: (position, hyperedge id, node reading it or -1).
    instances: list[tuple[Coord, int, int]] = [(top, new((spec.depth, top)), -1)]
    for step_index in reversed(range(spec.depth)):
        step = spec.steps[step_index]
        below: list[tuple[Coord, int, int]] = []
        for q, h, up in instances:
            for c in spec.window(step_index, q):
                if step.channels is None:  # no matrix: the members' deltas fuse into this one
                    child = new((step_index, c))
                    parent[child] = find(h)
                    below.append((c, child, up))
                    continue
                idx = len(nodes)
                if idx >= max_nodes:
                    raise TooLargeError(
                        f"the unrolled tensor network of this spec has more than max_nodes={max_nodes} matrices "
                        "(overlapping kernels multiply the paths); use a smaller grid or fewer overlapping steps"
                    )
                nodes.append(ConvNode(step_index, q, c, channels[step_index], channels[step_index + 1], up))
                child = new((step_index, c))
                incidence.append((h, idx))
                incidence.append((child, idx))
                below.append((c, child, idx))
        instances = below
    # Every instance of input j fuses into input j's copy delta, which also holds its terminal.
    terminal: dict[int, int] = {}
    for c, h, _ in instances:
        j = _flat(c, spec.grid)
        if j in terminal:
            a, b = find(terminal[j]), find(h)
            parent[max(a, b)] = min(a, b)
        else:
            terminal[j] = h
    return _assemble(spec, nodes, [find(h) for h in range(len(parent))], names, incidence, terminal)


def _assemble(
    spec: GeneralArchitecture,
    nodes: list[ConvNode],
    root: list[int],
    names: list[tuple[int, Coord]],
    incidence: list[tuple[int, int]],
    terminal: dict[int, int],
) -> TensorNetworkGraph:
    """Group the hyperedge ids by their fused root into :class:`Hyperedge` s, by layer and position."""
    channels = spec.channels
    groups: dict[int, tuple[set[int], set[int], set[tuple[int, Coord]]]] = {}
    for h, r in enumerate(root):
        groups.setdefault(r, (set(), set(), set()))[2].add(names[h])
    for h, n in incidence:
        groups[root[h]][0].add(n)
    for j, h in terminal.items():
        groups[root[h]][1].add(j)
    bonds: list[Hyperedge] = []
    input_bond = [-1] * spec.n_inputs
    for node_ids, inputs, group_acts in sorted(groups.values(), key=lambda g: min(g[2])):
        if len(node_ids) + len(inputs) < 2:
            continue  # a delta on one member (an unread input, a top with one reader) cannot be split
        layer, pos = min(group_acts)
        for j in inputs:
            input_bond[j] = len(bonds)
        merged = tuple(sorted(a for a in group_acts if a != (layer, pos)))
        bonds.append(Hyperedge(layer, pos, channels[layer], tuple(sorted(node_ids)), tuple(sorted(inputs)), merged))
    return TensorNetworkGraph(spec, tuple(nodes), tuple(bonds), tuple(input_bond))
