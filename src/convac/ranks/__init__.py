"""Exact ranks of matricizations over a prime field.

Float SVD ranks of ConvAC coefficient tensors are unreliable (their singular values span many orders of
magnitude). Here the weights are drawn at random in GF(p) and the matricization's rank is computed exactly
there; by the Schwartz–Zippel lemma it equals the generic rank over the rationals with high probability.

- :mod:`~convac.ranks._finite_field`: Gaussian elimination mod a prime (:func:`rank_mod`), and for
  primes up to ``FAST_PRIME_MAX`` a float64 BLAS route (sketch ``S [A] T``, LU without pivoting);
- :mod:`~convac.ranks._generic_rank`: :func:`generic_rank`, :func:`generic_ranks` for any spec (tree or
  general), on the coefficient tensor mod p of tensornet's one recursion;
- :mod:`~convac.ranks._kronecker`: the root matricization as a sum of Kronecker products (why
  ranks fall below the min-cut in App. D).

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> convac.generic_rank(arch, convac.Partition.interleaved(arch), seed=0)
4
"""

from convac.ranks._finite_field import DEFAULT_PRIME, MAX_PRIME, rank_mod
from convac.ranks._generic_rank import (
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
