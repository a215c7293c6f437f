"""The matricization at the root as a sum of Kronecker products: why ranks fall below the min-cut.

A deep 1D ConvAC with window 2 and ``N = 2**L`` inputs ends in two half-trees ``u`` (inputs
``0 .. N/2-1``) and ``w`` (the rest), each with ``r = r_{L-1}`` output channels, pooled by an
entrywise product and read out by the output vector ``a``::

    A^y = sum_g a[g] H_u[:, g] (x) H_w[:, g]

For a partition (A, B), with rows ordered (A in u, A in w) and columns (B in u, B in w), the
matricization is therefore ``sum_g a[g] X_u^g (x) X_w^g`` with ``X_h^g`` the matricization of
``H_h[:, g]`` for the inputs of half ``h``. With ``r = 2`` that is a sum of two Kronecker
products. Its rank is at most ``sum_g rank X_u^g * rank X_w^g``, and for generic weights it can
lie strictly below the min-cut even though every single product would reach its own bound.

:func:`half_tensors_mod` builds ``H_u``, ``H_w`` from the weights of
:func:`~convac.ranks._generic_rank.random_weights_mod` by its own recursion (one ``einsum``
per node), independently of :func:`~convac.ranks.coefficient_tensor_mod`, and
:func:`kronecker_sum_matricization` assembles the sum, so the two constructions can be
compared entry by entry.

Examples
--------
>>> import convac, numpy as np
>>> from convac.ranks._generic_rank import _matricize, coefficient_tensor_mod
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2])
>>> part = convac.Partition(8, (0, 1, 5, 6))
>>> direct = _matricize(coefficient_tensor_mod(arch, seed=1, prime=101), part)
>>> bool((kronecker_sum_matricization(arch, part, seed=1, prime=101) == direct).all())
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from convac.errors import ArchitectureError
from convac.ranks._generic_rank import random_weights_mod

if TYPE_CHECKING:
    from convac.partitions import Partition
    from convac.spec import Architecture

__all__ = ["gap_pattern", "half_tensors_mod", "kronecker_sum_matricization"]


def _check(arch: Architecture) -> None:
    if not (arch.kind == "deep" and arch.ndim == 1 and arch.window == 2 and arch.depth >= 2):
        raise ArchitectureError(
            "the Kronecker form needs a deep 1D ConvAC with window 2 and at least 2 layers, "
            f"got kind={arch.kind!r}, ndim={arch.ndim}, window={arch.window}, depth={arch.depth}"
        )


def half_tensors_mod(arch: Architecture, seed: int, prime: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(H_u, H_w, a)``: each half's tensor mod p, shape ``(M,) * (N/2) + (r,)``, and the output vector.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
    >>> h_u, h_w, a = half_tensors_mod(arch, seed=0, prime=101)
    >>> h_u.shape, h_w.shape, a.shape
    ((2, 2, 2), (2, 2, 2), (2,))
    """
    _check(arch)
    weights = random_weights_mod(arch, seed, prime)
    # Node tensors with their input modes first and the channel last; modes stay in input order.
    nodes = [w.astype(object) for w in weights[0]]  # leaf j: (M, r_0)
    for layer in range(1, arch.depth):
        merged = []
        for k in range(0, len(nodes), 2):
            left, right = nodes[k], nodes[k + 1]
            # Pool the pair (entrywise over the channel, outer over the modes), then the conv.
            pooled = np.einsum("...c,Xc->...Xc", left, right.reshape(-1, right.shape[-1]))
            pooled = pooled.reshape(*left.shape[:-1], *right.shape[:-1], left.shape[-1])
            merged.append(np.tensordot(pooled, weights[layer][k // 2].astype(object), axes=([-1], [0])) % prime)
        nodes = merged
    (h_u, h_w) = nodes
    return h_u.astype(np.int64), h_w.astype(np.int64), weights[-1]


def kronecker_sum_matricization(arch: Architecture, partition: Partition, seed: int, prime: int) -> np.ndarray:
    """``sum_g a[g] X_u^g (x) X_w^g mod p``: the matricization ``[A^y]_{A,B}`` rebuilt from the two halves.

    Rows are ordered by side A's inputs, columns by side B's (both ascending), as in
    :func:`convac.ranks._generic_rank._matricize`, so the result equals it entry by entry.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    >>> kronecker_sum_matricization(arch, convac.Partition(4, (0, 2)), seed=0, prime=7).shape
    (4, 4)
    """
    h_u, h_w, a = half_tensors_mod(arch, seed, prime)
    half = arch.n_inputs // 2
    m = arch.n_features
    side_a = sorted(partition.side_a)
    side_b = sorted(partition.side_b)
    total = np.zeros((m ** len(side_a), m ** len(side_b)), dtype=object)
    for g in range(a.shape[0]):
        blocks = []
        for tensor, offset in ((h_u[..., g], 0), (h_w[..., g], half)):
            rows = [i - offset for i in side_a if offset <= i < offset + half]
            cols = [i - offset for i in side_b if offset <= i < offset + half]
            blocks.append(np.transpose(tensor, rows + cols).reshape(m ** len(rows), m ** len(cols)).astype(object))
        total = total + int(a[g]) * np.kron(blocks[0], blocks[1])
    return (total % prime).astype(np.int64)


def gap_pattern(side_a: Iterable[int], n_inputs: int = 16) -> bool:
    """Whether a balanced partition of 16 inputs has the shape of every gap case found in App. D.

    With the inputs in blocks of 4 (``{0..3}, {4..7}, {8..11}, {12..15}``) and halves of 8: one
    whole block lies on side A and one whole block on side B, these two lie in different
    halves, and each of the other two blocks is split 1/3 (one input on one side, three on the
    other), with side A holding 1 + 3 of them (balanced).

    Examples
    --------
    >>> gap_pattern((0, 1, 2, 3, 4, 8, 9, 10))   # {0..3} in A, {12..15} in B, 1/3 and 3/1
    True
    >>> gap_pattern((0, 1, 2, 3, 4, 5, 6, 7))    # left/right: no split block
    False
    """
    if n_inputs != 16:
        raise ArchitectureError(f"gap_pattern describes N = 16 (blocks of 4, halves of 8), got N = {n_inputs}")
    a = set(side_a)
    counts = [len(a & set(range(4 * b, 4 * b + 4))) for b in range(4)]
    for whole_a in range(4):
        for whole_b in range(4):
            if counts[whole_a] != 4 or counts[whole_b] != 0 or whole_a // 2 == whole_b // 2:
                continue
            others = sorted(counts[b] for b in range(4) if b not in (whole_a, whole_b))
            if others == [1, 3]:
                return True
    return False
