"""Old import path; this module lives in :mod:`convac.mincut._hypergraph` now."""

from convac.mincut._hypergraph import ConvNode, Hyperedge, TensorNetworkGraph, tensor_network_graph

__all__ = ["ConvNode", "Hyperedge", "TensorNetworkGraph", "tensor_network_graph"]
