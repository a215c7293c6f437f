"""The ``"exact_flow"`` method: a certified exact min-cut on the hypergraph of any spec, cycles and all.

The rank of ``[A]_{A,B}`` is at most the product of the bond dimensions of any cut of the tensor
network separating the A-inputs from the B-inputs. This method finds the smallest such product on
the hypergraph of :func:`~convac.mincut.tensor_network_graph` by a compiled max-flow (scipy) on a
network contracted to its bonds, proven exact with integer weightings whose cone holds the logs
(:mod:`convac.mincut._compiled_flow`); only when a near tie keeps that proof from closing does it
fall back to the pure-Python rational max-flow (:mod:`convac.mincut._exact_flow`: capacities ``log d``
carried as the rationals ``d``, Edmonds–Karp, flow and cut certified equal in exact arithmetic). An
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

import numpy as np

from convac.errors import InternalError
from convac.mincut._compiled_flow import BondNetwork, CertifiedCut, certified_cut, split_bonds
from convac.mincut._exact_flow import FlowCut, hyperedge_min_cut
from convac.mincut._hypergraph import TensorNetworkGraph, tensor_network_graph
from convac.mincut._result import MinCut
from convac.partitions import Partition
from convac.spec import Architecture, GeneralArchitecture

__all__ = ["exact_flow_cut", "exact_flow_value", "hypergraph", "rational_flow_cut"]


@lru_cache(maxsize=32)
def hypergraph(spec: GeneralArchitecture) -> TensorNetworkGraph:
    """Return the min-cut hypergraph of ``spec`` (cached: specs are immutable)."""
    return tensor_network_graph(spec)


@lru_cache(maxsize=32)
def bond_network(spec: GeneralArchitecture) -> BondNetwork:
    """Return the contracted flow network of ``spec``'s hypergraph (cached like :func:`hypergraph`)."""
    return BondNetwork.from_graph(hypergraph(spec))


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


def _compiled(spec: GeneralArchitecture, partition: Partition, dim: Callable[[int], int]) -> CertifiedCut | None:
    net = bond_network(spec)
    dims = net.dims if dim is int else tuple(dim(d) for d in net.dims)
    return certified_cut(net, dims, np.asarray(partition.mask, dtype=bool))


def _min_cut(
    graph: TensorNetworkGraph,
    value: int,
    sides: tuple[bool, ...],
    spec: Architecture | GeneralArchitecture,
    partition: Partition,
) -> MinCut:
    mask = np.asarray(partition.mask, dtype=bool)
    # Independent exact check of the returned assignment against the graph's own weight rule.
    split = split_bonds(bond_network(graph.spec), np.asarray(sides, dtype=bool), mask).tolist()
    if math.prod(graph.bonds[e].dim for e in split) != value:
        raise InternalError("the exact flow's cut does not weigh its flow value")
    return MinCut(
        value,
        math.log2(value),
        "exact_flow",
        sides,
        spec,
        partition,
        value_from="exact_flow",
        graph=graph,
        cut_bonds=tuple(graph.bonds[e] for e in split),
    )


def exact_flow_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    """Return the certified exact minimal cut of any spec (checked arguments; see the module docstring)."""
    general = _general(spec)
    cut = _compiled(general, partition, int)
    if cut is None:
        return rational_flow_cut(spec, partition)
    return _min_cut(hypergraph(general), cut.value, tuple(cut.node_sides.tolist()), spec, partition)


def rational_flow_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    """Return the same cut by the pure-Python rational max-flow alone (the fallback; the independent check in tests)."""
    graph = hypergraph(_general(spec))
    res = _solve(graph, partition, int)
    return _min_cut(graph, res.value, res.source_side[: len(graph.nodes)], spec, partition)


def exact_flow_value(
    spec: Architecture | GeneralArchitecture, partition: Partition, dim: Callable[[int], int] = int
) -> int:
    """Return the exact min-cut value with every bond dimension ``d`` replaced by ``dim(d)`` (for lower bounds)."""
    general = _general(spec)
    cut = _compiled(general, partition, dim)
    if cut is None:
        return _solve(hypergraph(general), partition, dim).value
    return cut.value
