"""What a ConvAC *is*: the tree spec, the general spec, conversions, the paper's geometry.

No torch and no numerics beyond geometry live here; everything else in convac is derived from
these values (docs/theory.md).

- :class:`Architecture` (and :class:`LayerSpec`): a ConvAC whose pooling windows do not overlap,
  so its tensor network is a tree;
- :class:`GeneralArchitecture` (a list of :class:`ConvStep` s): any kernels, strides, padding,
  dilation and overlaps;
- :class:`GraphArchitecture` (a DAG of :class:`GraphNode` s): real CNNs with residual sums,
  concatenations and grouped convolutions, compact (one entry per layer and position);
- :meth:`Architecture.to_general` and :func:`to_architecture` convert between them;
- :mod:`convac.spec._paper`: the paper's 64x64 geometry and its channel schedules.

Examples
--------
>>> from convac.spec import Architecture, to_architecture
>>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2])
>>> arch.to_general().is_tree, to_architecture(arch.to_general()) == arch
(True, True)
"""

from convac.spec._convert import to_architecture
from convac.spec._general import ConvStep, GeneralArchitecture
from convac.spec._graph import GraphArchitecture, GraphNode
from convac.spec._tree import Architecture, LayerSpec

__all__ = [
    "Architecture",
    "ConvStep",
    "GeneralArchitecture",
    "GraphArchitecture",
    "GraphNode",
    "LayerSpec",
    "to_architecture",
]
