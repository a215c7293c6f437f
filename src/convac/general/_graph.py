"""The tensor network of a :class:`GeneralArchitecture` as a hypergraph for min-cuts.

**Nodes** are the conv matrices: step ``l`` maps each member ``c`` of the window of output
position ``q`` with its own ``C_l x C_{l+1}`` matrix ``W^{l,q,c}`` (unshared weights; a member
that feeds ``k`` windows gets ``k`` matrices). A pure pooling step (``channels=None``) has no
matrices.

**Bonds** are the delta tensors, one per activation (``layer``, ``position``) with
``C_layer``-dimensional legs. The activation's product-pooling delta (legs: the ``W`` of its
window plus one up leg) and the copy delta that duplicates it for the ``k`` windows reading it
(legs: the up leg plus ``k`` legs) are joined by a bond of their common dimension, and a delta
contracted with a delta is one delta (``sum_g d_{a..g} d_{g..z} = d_{a..z}``), so both become
**one hyperedge** joining the producing and the consuming matrices. Input ``j`` is the bond of
dimension ``M`` joining its terminal and the matrices that read it. Across a ``channels=None``
step the same holds with the identity in place of ``W``, so the activations it pools merge with
its output into one hyperedge.

**Why hyperedges, not delta nodes with legs.** A delta of dimension ``r`` split into any two
non-empty groups of legs is the rank-``r`` matrix ``sum_g e_g e_g^T``, i.e. the delta can be
rewritten as two deltas joined by one bond of dimension ``r`` placed between those groups. For
each cut we may choose that rewriting, so a cut that separates a delta's legs costs ``r`` once,
however many legs lie on either side. Modelling the delta as a node whose legs each cost ``r``
would charge ``r^k`` when ``k`` legs cross, a valid but looser bound (and for the tree specs it
would no longer equal :func:`convac.min_cut`, whose deltas are hyperedges too). A cut is an
assignment of every node to side A or B, with input ``j``'s terminal fixed to its partition side;
its weight is the product of the dimensions of the bonds whose members (matrices and terminals)
are not all on one side. The output matrix hangs only on the top bond (the output edge is
deleted), so it never needs cutting and is left out.

Examples
--------
>>> from convac.general import ConvStep, GeneralArchitecture, tensor_network_graph
>>> spec = GeneralArchitecture(grid=(4,), n_features=2,
...     steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=3)])
>>> g = tensor_network_graph(spec)
>>> len(g.nodes), len(g.bonds)
(9, 8)
>>> [str(b) for b in g.bonds[:2]]
['input 0 (M=2)', 'input 1 (M=2)']
>>> g.bonds[1].nodes  # input 1 is read by the windows of outputs 0 and 1: copied
(1, 2)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from convac._validation import instance
from convac.general._spec import GeneralArchitecture

__all__ = ["ConvNode", "Hyperedge", "TensorNetworkGraph", "tensor_network_graph"]

Coord = tuple[int, ...]


@dataclass(frozen=True)
class ConvNode:
    """A conv matrix ``W^{step, position, member}`` of shape ``in_dim x out_dim``.

    Step ``step`` applies it to activation ``member`` of layer ``step`` for output ``position``
    of layer ``step + 1``.

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
    >>> from convac.general import ConvStep, GeneralArchitecture, tensor_network_graph
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
        >>> from convac.general import ConvStep, GeneralArchitecture, tensor_network_graph
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


def tensor_network_graph(spec: GeneralArchitecture) -> TensorNetworkGraph:
    """Build the min-cut hypergraph of ``spec``'s tensor network (copy deltas fused into hyperedges).

    Examples
    --------
    >>> from convac.general import ConvStep, GeneralArchitecture, tensor_network_graph
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2,
    ...     steps=[ConvStep(2, kernel=2), ConvStep(4, kernel=2)])
    >>> g = tensor_network_graph(spec)
    >>> [str(n) for n in g.nodes[:2]]
    ['W[step 0, out (0,), in (0,)] (2x2)', 'W[step 0, out (0,), in (1,)] (2x2)']
    >>> [(str(b), b.nodes) for b in g.bonds]  # doctest: +NORMALIZE_WHITESPACE
    [('input 0 (M=2)', (0,)), ('input 1 (M=2)', (1, 2)), ('input 2 (M=2)', (3,)),
     ('layer 1 (0,) (C=2)', (0, 1, 4)), ('layer 1 (1,) (C=2)', (2, 3, 5)), ('layer 2 (0,) (C=4)', (4, 5))]
    >>> g.is_tree
    False
    """
    spec = instance(spec, "spec", GeneralArchitecture, "a convac.general.GeneralArchitecture")
    channels = spec.channels
    # Activation ids, layer by layer; union-find fuses activations joined by an identity step.
    act_ids: dict[tuple[int, Coord], int] = {}
    acts: list[tuple[int, Coord]] = []
    for layer in range(spec.depth + 1):
        for c in _coords(spec.layer_grid(layer)):
            act_ids[(layer, c)] = len(acts)
            acts.append((layer, c))
    parent = list(range(len(acts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    nodes: list[ConvNode] = []
    members: dict[int, list[int]] = {}  # activation id -> node indices
    for step_index, step in enumerate(spec.steps):
        for q in _coords(spec.layer_grid(step_index + 1)):
            out_id = act_ids[(step_index + 1, q)]
            for c in spec.window(step_index, q):
                in_id = act_ids[(step_index, c)]
                if step.channels is None:
                    ra, rb = find(in_id), find(out_id)
                    parent[max(ra, rb)] = min(ra, rb)  # the lowest activation names the bond
                    continue
                idx = len(nodes)
                nodes.append(ConvNode(step_index, q, c, channels[step_index], channels[step_index + 1]))
                members.setdefault(in_id, []).append(idx)
                members.setdefault(out_id, []).append(idx)
    groups: dict[int, list[int]] = {}
    for a in range(len(acts)):
        groups.setdefault(find(a), []).append(a)
    bonds: list[Hyperedge] = []
    input_bond = [-1] * spec.n_inputs
    for root in sorted(groups):
        group = groups[root]
        layer, pos = acts[root]
        node_ids = sorted({n for a in group for n in members.get(a, [])})
        inputs = tuple(sorted(_flat(acts[a][1], spec.grid) for a in group if acts[a][0] == 0))
        if len(node_ids) + len(inputs) < 2:
            continue  # a bond on one member (an unread input, the top) can never be split
        for j in inputs:
            input_bond[j] = len(bonds)
        merged = tuple(acts[a] for a in group if a != root)
        bonds.append(Hyperedge(layer, pos, channels[layer], tuple(node_ids), inputs, merged))
    return TensorNetworkGraph(spec, tuple(nodes), tuple(bonds), tuple(input_bond))
