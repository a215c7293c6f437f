"""General ConvACs: any grid, kernels, strides and overlaps (docs/theory.md).

:class:`GeneralArchitecture` describes a ConvAC as a list of :class:`ConvStep` s. When a
kernel is wider than its stride, activations are re-used and the tensor network is no longer a
tree: :func:`tensor_network_graph` builds it (the unrolled computation tree, inputs copied by
delta tensors, deltas as hyperedges) and :func:`min_cut` cuts it exactly (an exact max-flow on
rational log-capacities, certified). :func:`coefficient_tensor` (float64),
:func:`coefficient_tensor_mod` and :func:`generic_rank` (exact, over GF(p)) give what the cut bounds.

Examples
--------
>>> import convac
>>> from convac.general import ConvStep, GeneralArchitecture, generic_rank, min_cut
>>> spec = GeneralArchitecture(grid=(10,), n_features=2,
...     steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=9)])
>>> part = convac.Partition(10, side_a=range(1, 6))  # an interior block of 5 inputs
>>> cut = min_cut(spec, part)  # cheaper than its 5 input edges (32): the top and two straddlers
>>> cut.value, cut.layers, generic_rank(spec, part)
(20, (0, 2), 20)
"""

from convac.general._graph import ConvNode, Hyperedge, TensorNetworkGraph, tensor_network_graph
from convac.general._mincut import GeneralMinCut, min_cut
from convac.general._model import (
    coefficient_tensor,
    coefficient_tensor_mod,
    conv_matrices,
    generic_rank,
    random_weights,
)
from convac.general._spec import ConvStep, GeneralArchitecture

__all__ = [
    "ConvNode",
    "ConvStep",
    "GeneralArchitecture",
    "GeneralMinCut",
    "Hyperedge",
    "TensorNetworkGraph",
    "coefficient_tensor",
    "coefficient_tensor_mod",
    "conv_matrices",
    "generic_rank",
    "min_cut",
    "random_weights",
    "tensor_network_graph",
]
