"""The one result type of every min-cut method: :class:`MinCut`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from convac.mincut._graph import CutGraph

if TYPE_CHECKING:
    from convac.mincut._hypergraph import TensorNetworkGraph
    from convac.partitions import Partition
    from convac.spec import Architecture, GeneralArchitecture

__all__ = ["GeneralMinCut", "MinCut"]


@dataclass(frozen=True, eq=False)
class MinCut:
    """A minimal cut of a ConvAC's tensor network across a partition, for a tree or a general spec.

    Attributes
    ----------
    value : int
        The min-cut, an exact Python int (product of the cut bond dimensions).
    log2 : float
        Its base-2 logarithm (for the rounding flow methods, the solver's flow value).
    method : str
        The method of :data:`convac.mincut.METHODS` that computed it.
    node_sides : tuple
        Which side each node is on. Tree methods: ``node_sides[l][j]`` is True iff the conv
        matrix ``W^{l,j}`` is on side A, for layers ``l = 0 .. L-1`` (length = positions of layer
        ``l``), and ``node_sides[L]`` (length 1) is the output node; read-only arrays.
        ``"exact_flow"``: one bool per matrix ``graph.nodes[i]`` of the unrolled hypergraph.
        Input terminals sit on their partition side; a cut delta can go to either side at no
        extra cost. To contract each side, contract its nodes with the cut bonds left open.
    arch : Architecture or GeneralArchitecture
        The spec that was cut (also as :attr:`spec`).
    partition : Partition
        The partition it was cut across.
    log2_error : float
        A bound on ``|log2 - log2(true min-cut)|`` (0 for the exact methods).
    value_from : str
        ``"tree"`` (exact DP), ``"flow"`` (the only integer within a rounding flow's bound) or
        ``"exact_flow"`` (the certified rational max-flow).
    graph : TensorNetworkGraph or None
        The hypergraph that ``"exact_flow"`` cut (None for the tree methods).

    Notes
    -----
    **Layer numbering** (one convention, as in :class:`CutEdge` and :mod:`convac.analysis`):
    layer ``-1`` is the inputs (bonds of dimension ``M``); layer ``l >= 0`` is the bond carrying
    the output of hidden layer (or general step) ``l``, of dimension ``r_l`` (``C_{l+1}`` in
    :class:`~convac.spec.GeneralArchitecture` terms, whose activation layers count from 0 = the
    inputs; :class:`~convac.mincut.Hyperedge` keeps that activation numbering in its ``.layer``).
    :attr:`layers` lists the layers holding cut bonds in this numbering.

    ``edges`` lists the cut bonds: :class:`CutEdge` s (inputs first, then deltas by layer and
    position) for the tree methods, :class:`~convac.mincut.Hyperedge` s for ``"exact_flow"``;
    ``value == prod(e.dim for e in edges)`` for the exact methods.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
    >>> cut = convac.min_cut(arch, convac.Partition.left_right(arch))
    >>> cut.value, cut.log2, cut.method, [str(e) for e in cut.edges], cut.layers
    (4, 2.0, 'tree', ['layer 1 delta[1] (r=4)'], (1,))
    >>> flow = convac.min_cut(arch, convac.Partition.left_right(arch), method="exact_flow")
    >>> flow.value, [str(e) for e in flow.edges], flow.layers  # the same bond, the same layer
    (4, ['layer 2 (0,) (C=4)'], (1,))
    """

    value: int
    log2: float
    method: str
    node_sides: tuple[Any, ...] = field(repr=False)
    arch: Architecture | GeneralArchitecture = field(repr=False)
    partition: Partition = field(repr=False)
    log2_error: float = 0.0
    value_from: str = "tree"
    graph: TensorNetworkGraph | None = field(default=None, repr=False)
    cut_bonds: tuple[Any, ...] | None = field(default=None, repr=False)

    @property
    def spec(self) -> Architecture | GeneralArchitecture:
        """The spec that was cut (the same object as :attr:`arch`)."""
        return self.arch

    @cached_property
    def edges(self) -> tuple[Any, ...]:
        """The cut edges (computed on first access: a cut of a huge network can have many)."""
        if self.cut_bonds is not None:
            return self.cut_bonds
        return CutGraph.from_arch(self.arch).cut_edges(self.partition.mask, self.node_sides)  # type: ignore[arg-type]

    @property
    def layers(self) -> tuple[int, ...]:
        """Sorted layers holding cut bonds (-1 = the inputs; see the numbering in the class notes)."""
        if self.graph is not None:  # Hyperedge.layer counts activation layers from 0 = the inputs
            return tuple(sorted({e.layer - 1 for e in self.edges}))
        return tuple(sorted({e.layer for e in self.edges}))

    def __str__(self) -> str:
        edges = self.edges
        shown = ", ".join(map(str, edges[:6])) + (f", ... ({len(edges) - 6} more)" if len(edges) > 6 else "")
        noun = "edge" if len(edges) == 1 else "edges"
        return f"min-cut {self.value} (log2 {self.log2:.6g}) across {len(edges)} {noun}: {shown}"


#: The general path's old result type, now :class:`MinCut` itself (kept one release).
GeneralMinCut = MinCut
