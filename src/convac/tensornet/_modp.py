"""The coefficient tensor mod a prime p for random weights: tree and general specs.

The entries of ``A`` are integer polynomials in the weights; drawing the weights uniformly in
GF(p) and running the one recursion (:mod:`convac.tensornet._recursion`) in exact residues gives
``A mod p``, whose matricization ranks :mod:`convac.ranks` takes.

Examples
--------
>>> import convac
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> coefficient_tensor_mod(arch, prime=101).shape, coefficient_tensor_mod(arch.to_general(), prime=101).dtype
((2, 2, 2, 2), dtype('int64'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convac._validation import MAX_MODEL_BYTES, instance, non_negative_int, size_limit
from convac.spec import Architecture, GeneralArchitecture
from convac.tensornet._arithmetic import DEFAULT_PRIME, check_prime
from convac.tensornet._coefficient import check_dense_size
from convac.tensornet._general import general_coefficient_tensor_mod
from convac.tensornet._recursion import recursion, tree_steps

__all__ = ["DEFAULT_RANK_MAX_BYTES", "coefficient_tensor_mod", "random_weights_mod"]

#: Largest dense tensor (as int64) generic_rank will build: 2**24 entries, a 4096 x 4096
#: balanced matricization, whose elimination already takes minutes.
DEFAULT_RANK_MAX_BYTES = 1 << 27


def _check_arch(arch: object) -> Architecture:
    return instance(arch, "arch", Architecture, "a convac.Architecture")


def random_weights_mod(arch: Architecture, seed: int = 0, prime: int = DEFAULT_PRIME) -> list[np.ndarray]:
    """Uniform random weights mod p: per hidden layer ``(positions, c_in, c_out)``, then the output vector.

    With shared weights one matrix is drawn per layer and repeated at every position.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 5], shared=True)
    >>> w = random_weights_mod(arch, seed=1, prime=101)
    >>> [x.shape for x in w], bool((w[0][0] == w[0][1]).all())
    ([(4, 2, 3), (2, 3, 5), (5,)], True)
    """
    arch = _check_arch(arch)
    prime = check_prime(prime)
    size_limit("the random weights mod p", 8 * arch.n_params, MAX_MODEL_BYTES, hint="; use fewer channels")
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    out = []
    c_in = arch.n_features
    for layer, c_out in enumerate(arch.channels):
        positions = arch.positions(layer)
        if arch.shared:
            w = np.broadcast_to(rng.integers(0, prime, (1, c_in, c_out), dtype=np.int64), (positions, c_in, c_out))
        else:
            w = rng.integers(0, prime, (positions, c_in, c_out), dtype=np.int64)
        out.append(np.ascontiguousarray(w))
        c_in = c_out
    out.append(rng.integers(0, prime, (c_in,), dtype=np.int64))
    return out


def coefficient_tensor_mod(
    spec: Architecture | GeneralArchitecture,
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    max_bytes: int = DEFAULT_RANK_MAX_BYTES,
) -> np.ndarray:
    """``A^y mod p`` for random weights mod p: int64, shape ``(M,) * N``, for a tree or general spec.

    An :class:`~convac.spec.Architecture` uses :func:`random_weights_mod`; a
    :class:`~convac.spec.GeneralArchitecture` uses ``random_weights(spec, seed, prime)`` of
    :mod:`convac.tensornet._general`. Both run the same recursion as :func:`convac.coefficient_tensor`
    in exact modular arithmetic.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.shallow(n_inputs=3, n_features=2, hidden=1)
    >>> A = coefficient_tensor_mod(arch, prime=101)
    >>> w, out = random_weights_mod(arch, prime=101)
    >>> int(A[1, 0, 1]) == int(w[0, 1, 0] * w[1, 0, 0] * w[2, 1, 0] * out[0]) % 101
    True
    """
    if isinstance(spec, GeneralArchitecture):
        return general_coefficient_tensor_mod(spec, seed, prime, max_bytes)
    arch = _check_arch(spec)
    prime = check_prime(prime)
    check_dense_size(arch.n_features, arch.n_inputs, max_bytes, what="tensor mod p")
    _check_intermediates(arch)
    weights = random_weights_mod(arch, seed, prime)
    return recursion(arch.n_inputs, arch.n_features, tree_steps(arch, weights[:-1]), weights[-1], prime)


def _check_intermediates(arch: Any) -> None:
    # Every layer holds, per position, a (modes of its inputs, channels) array: wide channels
    # over a small tensor can need far more memory than the tensor itself.
    m, n = arch.n_features, arch.n_inputs
    peak = max(
        p * m ** (n // p) * spec.out_channels
        for spec in arch.layers()[:-1]
        for p in (spec.positions, spec.pooled_positions)
    )
    size_limit(
        "the exact rank's intermediate matrices mod p",
        8 * peak,
        MAX_MODEL_BYTES,
        hint="; use fewer channels or skip the exact rank",
    )
