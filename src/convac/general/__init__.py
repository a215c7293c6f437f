"""General ConvACs: any grid, kernels, strides and overlaps (docs/theory.md).

:class:`GeneralArchitecture` describes a ConvAC as a list of :class:`ConvStep` s. When a
kernel is wider than its stride the tensor network re-uses activations through copy (delta)
nodes and is no longer a tree.
"""

from convac.general._spec import ConvStep, GeneralArchitecture

__all__ = ["ConvStep", "GeneralArchitecture"]
