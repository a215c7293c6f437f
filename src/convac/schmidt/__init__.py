"""Schmidt decomposition of a ConvAC's coefficient tensor across a partition of its inputs.

- :mod:`~convac.schmidt._measures`: entropy, Rényi entropies, geometric measure, numerical Schmidt rank,
  from singular values;
- :mod:`~convac.schmidt._core`: :func:`entanglement`, choosing the dense path (small N) or the network path
  (cost exponential in the min-cut, not in N), of the coefficient tensor or (with ``feature_gram``) of the
  score function itself;
- :mod:`~convac.schmidt._gram`: :func:`feature_gram`, the empirical Gram of the features on data;
- :mod:`~convac.schmidt._tracking`: :func:`entanglement_tracker`, entanglement through training with ``fit``.

Exact (generic) ranks over a prime field live in :mod:`convac.ranks`.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> convac.entanglement(convac.DeepConvAC(arch, seed=0), convac.Partition.interleaved(arch)).schmidt_rank
4
"""

from convac.schmidt._core import AUTO_DENSE_MAX_ENTRIES, AUTO_SVD_MAX_CUT, METHODS, SOLVERS, Entanglement, entanglement
from convac.schmidt._gram import feature_gram, gram_root
from convac.schmidt._measures import (
    DEFAULT_RANK_RTOL,
    entropy,
    geometric_measure,
    renyi_entropy,
    schmidt_measures,
    schmidt_rank,
    schmidt_values,
)
from convac.schmidt._tracking import entanglement_tracker

__all__ = [
    "AUTO_DENSE_MAX_ENTRIES",
    "AUTO_SVD_MAX_CUT",
    "DEFAULT_RANK_RTOL",
    "METHODS",
    "SOLVERS",
    "Entanglement",
    "entanglement",
    "entanglement_tracker",
    "entropy",
    "feature_gram",
    "geometric_measure",
    "gram_root",
    "renyi_entropy",
    "schmidt_measures",
    "schmidt_rank",
    "schmidt_values",
]
