"""General ConvACs: any grid, kernels, strides and overlaps (docs/theory.md).

:class:`GeneralArchitecture` describes a ConvAC as a list of :class:`ConvStep` s. When a
kernel is wider than its stride the tensor network re-uses activations through copy (delta)
nodes and is no longer a tree: :func:`tensor_network_graph` builds it (deltas as hyperedges)
and :func:`min_cut` cuts it exactly.
"""

from convac.general._graph import ConvNode, Hyperedge, TensorNetworkGraph, tensor_network_graph
from convac.general._mincut import GeneralMinCut, min_cut
from convac.general._spec import ConvStep, GeneralArchitecture

__all__ = [
    "ConvNode",
    "ConvStep",
    "GeneralArchitecture",
    "GeneralMinCut",
    "Hyperedge",
    "TensorNetworkGraph",
    "min_cut",
    "tensor_network_graph",
]
