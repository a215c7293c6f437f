"""Exact min-cut of a general ConvAC's tensor network (cycles and all) across a partition of its inputs.

The rank of ``[A]_{A,B}`` is at most the product of the bond dimensions of any cut of the tensor
network separating the A-inputs from the B-inputs; :func:`min_cut` finds the smallest such
product on the hypergraph of :func:`~convac.general.tensor_network_graph` by an exact max-flow
(:mod:`convac.general._flow`: capacities ``log d`` carried as the rationals ``d``, Edmonds–Karp,
flow and cut certified equal in exact arithmetic). For tree specs it equals
:func:`convac.min_cut` of the equivalent :class:`convac.Architecture`.

Examples
--------
>>> import convac
>>> from convac.general import ConvStep, GeneralArchitecture, min_cut
>>> spec = GeneralArchitecture(grid=(8,), n_features=2,
...     steps=[ConvStep(2, kernel=3, padding=1), ConvStep(3, kernel=8)])
>>> cut = min_cut(spec, convac.Partition.left_right(spec))
>>> cut.value, cut.layers  # the top bond (3) cannot do it alone: the windows at the border straddle it
(12, (0, 2))
>>> print(cut)
min-cut 12 (log2 3.58496) across 3 edges: input 2 (M=2), input 3 (M=2), layer 2 (0,) (C=3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from convac._validation import instance
from convac.errors import PartitionError
from convac.general._flow import hyperedge_min_cut
from convac.general._graph import Hyperedge, TensorNetworkGraph, tensor_network_graph
from convac.general._spec import GeneralArchitecture
from convac.partitions import Partition

__all__ = ["GeneralMinCut", "min_cut"]


@dataclass(frozen=True, eq=False)
class GeneralMinCut:
    """A minimal cut of a general ConvAC's tensor network across a partition.

    Attributes
    ----------
    value : int
        The min-cut, an exact Python int: the product of the cut bonds' dimensions.
    log2 : float
        ``log2(value)``.
    edges : tuple of Hyperedge
        The cut bonds (delta hyperedges), by layer then position; each has ``.layer`` (0: an
        input edge of dimension ``M``; ``l >= 1``: an activation of layer ``l`` with ``C_l``
        channels), ``.position`` and ``.dim``. ``value == prod(e.dim for e in edges)``.
    layers : tuple of int
        Sorted layers holding cut bonds: the binding layers (spec numbering, 0 = inputs).
    node_sides : tuple of bool
        ``node_sides[i]`` is True when conv matrix ``graph.nodes[i]`` is on side A.
    spec : GeneralArchitecture
    partition : Partition
    graph : TensorNetworkGraph
        The hypergraph that was cut.

    Examples
    --------
    >>> import convac
    >>> from convac.general import ConvStep, GeneralArchitecture, min_cut
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2,
    ...     steps=[ConvStep(3, kernel=2, stride=2), ConvStep(5, kernel=2, stride=2)])
    >>> cut = min_cut(spec, convac.Partition.left_right(spec))
    >>> cut.value, cut.log2, [str(e) for e in cut.edges], cut.layers
    (3, 1.584962500721156, ['layer 1 (0,) (C=3)'], (1,))
    """

    value: int
    edges: tuple[Hyperedge, ...]
    node_sides: tuple[bool, ...] = field(repr=False)
    spec: GeneralArchitecture = field(repr=False)
    partition: Partition = field(repr=False)
    graph: TensorNetworkGraph = field(repr=False)

    @property
    def log2(self) -> float:
        """Base-2 logarithm of :attr:`value` (exact ints of any size)."""
        return math.log2(self.value)

    @property
    def layers(self) -> tuple[int, ...]:
        """Sorted layers with cut bonds (0 = input edges)."""
        return tuple(sorted({e.layer for e in self.edges}))

    def __str__(self) -> str:
        shown = ", ".join(map(str, self.edges[:6])) + (
            f", ... ({len(self.edges) - 6} more)" if len(self.edges) > 6 else ""
        )
        noun = "edge" if len(self.edges) == 1 else "edges"
        return f"min-cut {self.value} (log2 {self.log2:.6g}) across {len(self.edges)} {noun}: {shown}"


@lru_cache(maxsize=32)
def _graph(spec: GeneralArchitecture) -> TensorNetworkGraph:
    return tensor_network_graph(spec)


def check_partition(spec: Any, partition: Any) -> tuple[GeneralArchitecture, Partition]:
    """Check ``spec`` and that ``partition`` is a Partition of its inputs; return both."""
    spec = instance(spec, "spec", GeneralArchitecture, "a convac.general.GeneralArchitecture")
    partition = instance(partition, "partition", Partition, "a convac.Partition (e.g. Partition.left_right(spec))")
    if partition.n_inputs != spec.n_inputs:
        raise PartitionError(
            f"the partition is of {partition.n_inputs} positions but the spec has {spec.n_inputs} inputs; "
            "build it from the spec, e.g. Partition.left_right(spec)"
        )
    if partition.grid is not None and len(partition.grid) == spec.ndim and tuple(partition.grid) != spec.grid:
        raise PartitionError(f"the partition is of a {partition.grid} grid but the spec's grid is {spec.grid}")
    return spec, partition


def min_cut(spec: GeneralArchitecture, partition: Partition) -> GeneralMinCut:
    """Return the exact minimal cut of ``spec``'s tensor network separating ``partition``'s sides.

    Works on any spec (overlapping kernels give a graph with cycles). The value is exact: the
    max-flow runs in exact rational arithmetic and is certified equal to the returned cut.

    Examples
    --------
    >>> import convac
    >>> from convac.general import ConvStep, GeneralArchitecture, min_cut
    >>> spec = GeneralArchitecture(grid=(6,), n_features=2,
    ...     steps=[ConvStep(4, kernel=3), ConvStep(4, kernel=3), ConvStep(3, kernel=2)])
    >>> cut = min_cut(spec, convac.Partition(6, side_a=[0, 1, 2]))
    >>> cut.value, cut.layers  # overlaps: cheaper to cut the three input edges than any deeper bond
    (8, (0,))
    >>> min_cut(spec, convac.Partition(6, side_a=[2])).value  # one input: its edge, M = 2
    2
    """
    spec, partition = check_partition(spec, partition)
    graph = _graph(spec)
    n_nodes = len(graph.nodes)
    # Vertices: nodes 0..n_nodes-1, then one terminal per input.
    hyperedges = [(b.dim, list(b.nodes) + [n_nodes + j for j in b.inputs]) for b in graph.bonds]
    mask = partition.mask
    sources = {n_nodes + j for j in range(spec.n_inputs) if mask[j]}
    sinks = {n_nodes + j for j in range(spec.n_inputs) if not mask[j]}
    res = hyperedge_min_cut(n_nodes + spec.n_inputs, hyperedges, sources, sinks)
    sides = res.source_side[:n_nodes]
    edges = tuple(graph.bonds[e] for e in res.cut)
    # Independent exact check of the returned assignment against the graph's own weight rule.
    if graph.cut_weight(sides, tuple(bool(m) for m in mask)) != res.value:
        raise RuntimeError("the flow's cut does not weigh its flow value; please report this")
    return GeneralMinCut(res.value, edges, sides, spec, partition, graph)
