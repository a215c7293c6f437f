"""Entanglement of a ConvAC across a partition of its inputs.

- :mod:`~convac.entanglement.measures`: entropy, Rényi entropies, geometric measure, numerical Schmidt rank,
  from singular values;
- :mod:`~convac.entanglement.core`: :func:`entanglement`, choosing the dense path (small N) or the network path
  (cost exponential in the min-cut, not in N);
- :mod:`~convac.entanglement.rank`: exact generic ranks of matricizations over a prime field
  (:mod:`~convac.entanglement.finite_field`).

>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> convac.entanglement(convac.DeepConvAC(arch, seed=0), convac.Partition.interleaved(arch)).schmidt_rank
4
"""

from convac.entanglement.core import AUTO_DENSE_MAX_ENTRIES, METHODS, Entanglement, entanglement
from convac.entanglement.finite_field import DEFAULT_PRIME, MAX_PRIME, rank_mod
from convac.entanglement.measures import (
    DEFAULT_RANK_RTOL,
    entropy,
    geometric_measure,
    renyi_entropy,
    schmidt_measures,
    schmidt_rank,
    schmidt_values,
)
from convac.entanglement.rank import (
    coefficient_tensor_mod,
    generic_rank,
    generic_ranks,
    schwartz_zippel_bound,
)

__all__ = [
    "AUTO_DENSE_MAX_ENTRIES",
    "DEFAULT_PRIME",
    "DEFAULT_RANK_RTOL",
    "MAX_PRIME",
    "METHODS",
    "Entanglement",
    "coefficient_tensor_mod",
    "entanglement",
    "entropy",
    "generic_rank",
    "generic_ranks",
    "geometric_measure",
    "rank_mod",
    "renyi_entropy",
    "schmidt_measures",
    "schmidt_rank",
    "schmidt_values",
    "schwartz_zippel_bound",
]
