"""Entanglement of a ConvAC across a partition of its inputs: measures, dense path, network path.

>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> convac.entanglement(convac.DeepConvAC(arch, seed=0), convac.Partition.interleaved(arch)).schmidt_rank
4
"""

from convac.entanglement.core import AUTO_DENSE_MAX_ENTRIES, METHODS, Entanglement, entanglement
from convac.entanglement.measures import (
    DEFAULT_RANK_RTOL,
    entropy,
    geometric_measure,
    renyi_entropy,
    schmidt_measures,
    schmidt_rank,
    schmidt_values,
)

__all__ = [
    "AUTO_DENSE_MAX_ENTRIES",
    "DEFAULT_RANK_RTOL",
    "METHODS",
    "Entanglement",
    "entanglement",
    "entropy",
    "geometric_measure",
    "renyi_entropy",
    "schmidt_measures",
    "schmidt_rank",
    "schmidt_values",
]
