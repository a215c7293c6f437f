"""Entanglement of data: is a dataset suited to a locally connected network (docs/theory.md).

- :mod:`~convac.datatensor._gram`: exact Schmidt values of the data tensor from Gram matrices over samples;
- :mod:`~convac.datatensor._entanglement`: :func:`data_entanglement` across one partition;
- :mod:`~convac.datatensor._canonical`: canonical partitions of the pooling tree, entanglement per level,
  and the level profile as a :func:`convac.design` profile;
- :mod:`~convac.datatensor._rearrange`: :func:`rearrange_features`, a feature order with low entanglement
  that a weight-sharing CNN can use (bisection in :mod:`~convac.datatensor._bisect`, block order and
  baselines in :mod:`~convac.datatensor._seriate` and :mod:`~convac.datatensor._igtd`);
- :mod:`~convac.datatensor._datasets`: named offline datasets and user files.

>>> import numpy as np
>>> X = np.random.default_rng(0).random((20, 4))
>>> round(data_entanglement(X, partition=canonical_partitions((4,), 2)[0]).entropy, 4) >= 0
True
"""

from convac.datatensor._canonical import (
    CanonicalProfile,
    Level,
    LevelEntanglement,
    canonical_entanglement,
    canonical_levels,
    canonical_partitions,
    design_profile,
    plot_profiles,
)
from convac.datatensor._entanglement import DATA_RANK_RTOL, DataEntanglement, data_entanglement
from convac.datatensor._rearrange import BISECTORS, affinity, rearrange_features

__all__ = [
    "BISECTORS",
    "DATA_RANK_RTOL",
    "CanonicalProfile",
    "DataEntanglement",
    "Level",
    "LevelEntanglement",
    "affinity",
    "canonical_entanglement",
    "canonical_levels",
    "canonical_partitions",
    "data_entanglement",
    "design_profile",
    "plot_profiles",
    "rearrange_features",
]
