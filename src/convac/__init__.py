"""convac: convolutional arithmetic circuits as tensor networks.

Build a ConvAC, see it as a tensor network and as a wave function, measure which
correlations it can model (entanglement, min-cut), and design its channel widths.

Submodules load on first use (PEP 562), so ``import convac`` is cheap and the
min-cut side of the package never imports torch.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> part = convac.Partition.left_right(arch)
>>> len(part.side_a)
8
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convac._lazy import lazy_attributes

__version__ = "0.1.0"

# public name -> module that defines it; resolved on first attribute access
_LAZY: dict[str, str] = {
    "Analysis": "convac.analysis",
    "analyze": "convac.analysis",
    "analyze_module": "convac.fx",
    "Architecture": "convac.spec",
    "LayerSpec": "convac.spec",
    "Design": "convac.channel_design",
    "design": "convac.channel_design",
    "design_schedule": "convac.channel_design",
    "Entanglement": "convac.schmidt",
    "entanglement": "convac.schmidt",
    "DataEntanglement": "convac.datatensor",
    "canonical_entanglement": "convac.datatensor",
    "data_entanglement": "convac.datatensor",
    "rearrange_features": "convac.datatensor",
    "feature_gram": "convac.schmidt",
    "generic_rank": "convac.ranks",
    "generic_ranks": "convac.ranks",
    "ArchitectureError": "convac.errors",
    "ConvacError": "convac.errors",
    "ConvacTypeError": "convac.errors",
    "InputError": "convac.errors",
    "MissingDependencyError": "convac.errors",
    "PartitionError": "convac.errors",
    "TooLargeError": "convac.errors",
    "VerifyReport": "convac.experiments.verify",
    "verify": "convac.experiments.verify",
    "CutEdge": "convac.mincut",
    "MinCut": "convac.mincut",
    "min_cut": "convac.mincut",
    "min_cut_lower_bound": "convac.mincut",
    "min_cut_values": "convac.mincut",
    "DeepConvAC": "convac.models",
    "ReLUConvNet": "convac.models",
    "ShallowConvAC": "convac.models",
    "Partition": "convac.partitions",
    "ConvACTensorNetwork": "convac.tensornet",
    "coefficient_tensor": "convac.tensornet",
    "contract": "convac.tensornet",
    "to_tensor_network": "convac.tensornet",
    "FitResult": "convac.training",
    "fit": "convac.training",
    "wavefunction": "convac.wavefunction",
}

__all__ = [
    "Analysis",
    "Architecture",
    "ArchitectureError",
    "ConvACTensorNetwork",
    "ConvacError",
    "ConvacTypeError",
    "CutEdge",
    "DataEntanglement",
    "DeepConvAC",
    "Design",
    "Entanglement",
    "FitResult",
    "InputError",
    "LayerSpec",
    "MinCut",
    "MissingDependencyError",
    "Partition",
    "PartitionError",
    "ReLUConvNet",
    "ShallowConvAC",
    "TooLargeError",
    "VerifyReport",
    "analyze",
    "analyze_module",
    "canonical_entanglement",
    "coefficient_tensor",
    "contract",
    "data_entanglement",
    "design",
    "design_schedule",
    "entanglement",
    "feature_gram",
    "fit",
    "generic_rank",
    "generic_ranks",
    "min_cut",
    "min_cut_lower_bound",
    "min_cut_values",
    "rearrange_features",
    "to_tensor_network",
    "verify",
    "wavefunction",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals(), __all__)


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
    from convac import wavefunction
    from convac.analysis import Analysis, analyze
    from convac.channel_design import Design, design, design_schedule
    from convac.datatensor import DataEntanglement, canonical_entanglement, data_entanglement, rearrange_features
    from convac.errors import (
        ArchitectureError,
        ConvacError,
        ConvacTypeError,
        InputError,
        MissingDependencyError,
        PartitionError,
        TooLargeError,
    )
    from convac.experiments.verify import VerifyReport, verify
    from convac.fx import analyze_module
    from convac.mincut import CutEdge, MinCut, min_cut, min_cut_lower_bound, min_cut_values
    from convac.models import DeepConvAC, ReLUConvNet, ShallowConvAC
    from convac.partitions import Partition
    from convac.ranks import generic_rank, generic_ranks
    from convac.schmidt import Entanglement, entanglement, feature_gram
    from convac.spec import Architecture, LayerSpec
    from convac.tensornet import ConvACTensorNetwork, coefficient_tensor, contract, to_tensor_network
    from convac.training import FitResult, fit
