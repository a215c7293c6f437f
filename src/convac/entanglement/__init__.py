"""Entanglement of a ConvAC's coefficient tensor across a partition of its inputs.

``rank``: exact generic ranks of matricizations over a prime field (``finite_field``).
"""

from convac.entanglement.finite_field import DEFAULT_PRIME, MAX_PRIME, rank_mod
from convac.entanglement.rank import (
    coefficient_tensor_mod,
    generic_rank,
    generic_ranks,
    schwartz_zippel_bound,
)

__all__ = [
    "DEFAULT_PRIME",
    "MAX_PRIME",
    "coefficient_tensor_mod",
    "generic_rank",
    "generic_ranks",
    "rank_mod",
    "schwartz_zippel_bound",
]
