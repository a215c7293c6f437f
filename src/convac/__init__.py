"""convac: convolutional arithmetic circuits as tensor networks.

Build a ConvAC, see it as a tensor network and as a wave function, measure which
correlations it can model (entanglement, min-cut), and design its channel widths.

>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> part = convac.Partition.left_right(arch)
>>> len(part.side_a)
8
"""

from convac.architecture import Architecture, LayerSpec
from convac.errors import ArchitectureError, ConvacError, InputError, PartitionError, TooLargeError
from convac.models import DeepConvAC, ReLUConvNet, ShallowConvAC
from convac.partitions import Partition
from convac.tensornet import coefficient_tensor
from convac.training import FitResult, fit

__version__ = "0.1.0"

__all__ = [
    "Architecture",
    "ArchitectureError",
    "ConvacError",
    "DeepConvAC",
    "FitResult",
    "InputError",
    "LayerSpec",
    "Partition",
    "PartitionError",
    "ReLUConvNet",
    "ShallowConvAC",
    "TooLargeError",
    "coefficient_tensor",
    "fit",
]
