"""Old import path of the general coefficient tensor; it lives in :mod:`convac.tensornet._general` now."""

from convac.general._legacy import generic_rank
from convac.tensornet._general import conv_matrices, random_weights
from convac.tensornet._general import general_coefficient_tensor as coefficient_tensor
from convac.tensornet._general import general_coefficient_tensor_mod as coefficient_tensor_mod
from convac.tensornet._recursion import matricize

__all__ = [
    "coefficient_tensor",
    "coefficient_tensor_mod",
    "conv_matrices",
    "generic_rank",
    "matricize",
    "random_weights",
]
