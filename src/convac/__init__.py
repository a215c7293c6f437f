"""convac: convolutional arithmetic circuits as tensor networks.

Build a ConvAC, see it as a tensor network and as a wave function, measure which
correlations it can model (entanglement, min-cut), and design its channel widths.

>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> part = convac.Partition.left_right(arch)
>>> len(part.side_a)
8
"""

from convac.analysis import Analysis, analyze
from convac.architecture import Architecture, LayerSpec
from convac.design import Design, design, design_schedule
from convac.entanglement import Entanglement, entanglement, generic_rank, generic_ranks
from convac.errors import ArchitectureError, ConvacError, InputError, PartitionError, TooLargeError
from convac.experiments.verify import VerifyReport, verify
from convac.mincut import CutEdge, MinCut, min_cut, min_cut_lower_bound, min_cut_values
from convac.models import DeepConvAC, ReLUConvNet, ShallowConvAC
from convac.partitions import Partition
from convac.tensornet import ConvACTensorNetwork, coefficient_tensor, contract, to_tensor_network
from convac.training import FitResult, fit

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "Architecture",
    "ArchitectureError",
    "ConvACTensorNetwork",
    "ConvacError",
    "CutEdge",
    "DeepConvAC",
    "Design",
    "Entanglement",
    "FitResult",
    "InputError",
    "LayerSpec",
    "MinCut",
    "Partition",
    "PartitionError",
    "ReLUConvNet",
    "ShallowConvAC",
    "TooLargeError",
    "VerifyReport",
    "analyze",
    "coefficient_tensor",
    "contract",
    "design",
    "design_schedule",
    "entanglement",
    "fit",
    "generic_rank",
    "generic_ranks",
    "min_cut",
    "min_cut_lower_bound",
    "min_cut_values",
    "to_tensor_network",
    "verify",
]
