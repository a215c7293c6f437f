"""The ``"exact_flow"`` method: a certified exact min-cut on the hypergraph of any spec, cycles and all.

The rank of ``[A]_{A,B}`` is at most the product of the bond dimensions of any cut of the tensor
network separating the A-inputs from the B-inputs. This method finds the smallest such product on
the hypergraph of :func:`~convac.mincut.tensor_network_graph` by an exact max-flow
(:mod:`convac.mincut._exact_flow`: capacities ``log d`` carried as the rationals ``d``,
Edmonds–Karp, flow and cut certified equal in exact arithmetic). An
:class:`~convac.spec.Architecture` is cut through :meth:`~convac.spec.Architecture.to_general`;
for trees it agrees with the ``"tree"`` DP.

Examples
--------
>>> import convac
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(8,), n_features=2,
...     steps=[ConvStep(2, kernel=3, padding=1), ConvStep(3, kernel=8)])
>>> cut = exact_flow_cut(spec, convac.Partition.left_right(spec))
>>> cut.value, cut.layers  # the top bond (3) cannot do it alone: the windows at the border straddle it
(12, (-1, 1))
>>> print(cut)
min-cut 12 (log2 3.58496) across 3 edges: input 2 (M=2), input 3 (M=2), layer 2 (0,) (C=3)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

from convac.errors import InternalError
from convac.mincut._exact_flow import FlowCut, hyperedge_min_cut
from convac.mincut._hypergraph import TensorNetworkGraph, tensor_network_graph
from convac.mincut._result import MinCut
from convac.partitions import Partition
from convac.spec import Architecture, GeneralArchitecture

__all__ = ["exact_flow_cut", "exact_flow_value", "hypergraph"]


@lru_cache(maxsize=32)
def hypergraph(spec: GeneralArchitecture) -> TensorNetworkGraph:
    """Return the min-cut hypergraph of ``spec`` (cached: specs are immutable)."""
    return tensor_network_graph(spec)


def _general(spec: Architecture | GeneralArchitecture) -> GeneralArchitecture:
    return spec.to_general() if isinstance(spec, Architecture) else spec


def _solve(graph: TensorNetworkGraph, partition: Partition, dim: Callable[[int], int]) -> FlowCut:
    n_nodes = len(graph.nodes)
    # Vertices: nodes 0..n_nodes-1, then one terminal per input.
    hyperedges = [(dim(b.dim), list(b.nodes) + [n_nodes + j for j in b.inputs]) for b in graph.bonds]
    mask = partition.mask
    sources = {n_nodes + j for j in range(len(mask)) if mask[j]}
    sinks = {n_nodes + j for j in range(len(mask)) if not mask[j]}
    return hyperedge_min_cut(n_nodes + len(mask), hyperedges, sources, sinks)


def exact_flow_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    """Return the certified exact minimal cut of any spec (checked arguments; see the module docstring)."""
    graph = hypergraph(_general(spec))
    res = _solve(graph, partition, int)
    sides = res.source_side[: len(graph.nodes)]
    # Independent exact check of the returned assignment against the graph's own weight rule.
    if graph.cut_weight(sides, tuple(bool(m) for m in partition.mask)) != res.value:
        raise InternalError("the exact flow's cut does not weigh its flow value")
    edges = tuple(graph.bonds[e] for e in res.cut)
    return MinCut(
        res.value,
        math.log2(res.value),
        "exact_flow",
        sides,
        spec,
        partition,
        value_from="exact_flow",
        graph=graph,
        cut_bonds=edges,
    )


def exact_flow_value(
    spec: Architecture | GeneralArchitecture, partition: Partition, dim: Callable[[int], int] = int
) -> int:
    """Return the exact min-cut value with every bond dimension ``d`` replaced by ``dim(d)`` (for lower bounds)."""
    return _solve(hypergraph(_general(spec)), partition, dim).value
