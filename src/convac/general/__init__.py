"""Deprecated: general ConvACs now live in convac.spec, convac.mincut, convac.tensornet and convac.ranks.

Every name this module used to define still resolves, from its new home, with a
:class:`DeprecationWarning` on first access; it will be removed in the next release.

===========================  ==================================================================
old name                     new home
===========================  ==================================================================
ConvStep, GeneralArchitecture  :mod:`convac.spec`
min_cut, GeneralMinCut       :func:`convac.min_cut` (any spec), :class:`convac.MinCut`
tensor_network_graph, ...    :mod:`convac.mincut` (``ConvNode``, ``Hyperedge``, ``TensorNetworkGraph``)
coefficient_tensor(_mod)     :mod:`convac.tensornet._general`, :func:`convac.ranks.coefficient_tensor_mod`
generic_rank                 :func:`convac.generic_rank` (any spec)
===========================  ==================================================================

``convac.general.min_cut`` keeps its old layer numbering in ``.layers`` (0 = the inputs); the
new :func:`convac.min_cut` numbers layers as :class:`convac.MinCut` documents (-1 = the inputs).

Examples
--------
>>> import warnings
>>> import convac.general
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     spec_class = convac.general.GeneralArchitecture
>>> spec_class.__module__, caught[0].category.__name__
('convac.spec._general', 'DeprecationWarning')
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the real objects; at run time __getattr__ resolves them with a warning
    from convac.general._legacy import generic_rank, min_cut
    from convac.mincut import ConvNode, GeneralMinCut, Hyperedge, TensorNetworkGraph, tensor_network_graph
    from convac.spec import ConvStep, GeneralArchitecture
    from convac.tensornet._general import conv_matrices, random_weights
    from convac.tensornet._general import general_coefficient_tensor as coefficient_tensor
    from convac.tensornet._general import general_coefficient_tensor_mod as coefficient_tensor_mod

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

# name -> (module, attribute, what to use instead)
_MOVED = {
    "ConvNode": ("convac.mincut", "ConvNode", "convac.mincut.ConvNode"),
    "ConvStep": ("convac.spec", "ConvStep", "convac.spec.ConvStep"),
    "GeneralArchitecture": ("convac.spec", "GeneralArchitecture", "convac.spec.GeneralArchitecture"),
    "GeneralMinCut": ("convac.mincut", "GeneralMinCut", "convac.MinCut"),
    "Hyperedge": ("convac.mincut", "Hyperedge", "convac.mincut.Hyperedge"),
    "TensorNetworkGraph": ("convac.mincut", "TensorNetworkGraph", "convac.mincut.TensorNetworkGraph"),
    "coefficient_tensor": (
        "convac.tensornet._general",
        "general_coefficient_tensor",
        "convac.tensornet._general.general_coefficient_tensor",
    ),
    "coefficient_tensor_mod": (
        "convac.tensornet._general",
        "general_coefficient_tensor_mod",
        "convac.ranks.coefficient_tensor_mod",
    ),
    "conv_matrices": ("convac.tensornet._general", "conv_matrices", "convac.tensornet._general.conv_matrices"),
    "generic_rank": ("convac.general._legacy", "generic_rank", "convac.generic_rank (any spec)"),
    "min_cut": ("convac.general._legacy", "min_cut", "convac.min_cut (any spec; .layers counts the inputs as -1)"),
    "random_weights": ("convac.tensornet._general", "random_weights", "convac.tensornet._general.random_weights"),
    "tensor_network_graph": ("convac.mincut", "tensor_network_graph", "convac.mincut.tensor_network_graph"),
}


def __getattr__(name: str) -> Any:
    # A module-level __getattr__ warns at each use of an old name (including `from convac.general
    # import X`), while importing the package, or its private shim modules, stays silent.
    if name not in _MOVED:
        raise AttributeError(f"module 'convac.general' has no attribute {name!r}")
    module, attribute, advice = _MOVED[name]
    warnings.warn(
        f"convac.general.{name} is deprecated and will be removed in the next release; use {advice}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), attribute)
