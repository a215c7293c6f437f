"""Generic (almost-everywhere) ranks of a ConvAC's matricizations, exactly, over GF(p).

The entries of the coefficient tensor ``A^y`` are polynomials in the weights. The rank of
a matricization ``[A^y]_{A,B}`` is the same for almost all weights: this *generic rank* is
what the min-cut theorem bounds. Float SVD ranks of these matrices are unreliable (their
singular values span many orders of magnitude), so we draw the weights uniformly at random
from a prime field GF(p), build ``A^y mod p`` by the hierarchical Tucker recursion
(docs/theory.md §1) and take the rank by exact Gaussian elimination mod p.

**Why this is the generic rank.** ``A^y`` has integer-coefficient polynomial entries of
total degree ``D`` = number of weight matrices on a leaf-to-root path summed over the tree,
``D = sum_l positions(l) + 1`` (31 for a deep 1D ConvAC with N = 16). Reducing mod p or
fixing the weights can only lose rank, so the result is never above the generic rank over
the rationals. It falls below only if the weights hit the zero set of one non-zero
``r x r`` minor (``r`` = generic rank), a polynomial of degree ``<= D r``: by the
Schwartz–Zippel lemma that has probability at most ``D r / p``
(:func:`schwartz_zippel_bound`; about ``3.7e-6`` for N = 16, r = 256 and the default
``p = 2**31 - 1``), provided that minor is non-zero mod p. A rank that comes out below an
expected value can be confirmed with another ``seed``: the generic rank is the maximum
over draws.

**Two routes.** For ``prime <= FAST_PRIME_MAX`` (e.g. ``FAST_PRIME = 4194301``, the default
of ``convac verify``) each matricization ``A`` is sketched to ``S A T`` (``k x k``, ``S``,
``T`` uniform) and ranked on float64 BLAS by an LU without pivoting, with an exact pivoting
fallback; this adds at most ``2 / (p - 1)`` to the failure probability and never reports
more than ``rank A``. Larger primes (the default ``2**31 - 1``) use the int64 elimination.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 3])
>>> generic_rank(arch, convac.Partition.interleaved(arch))  # min(r_0, M)^(N/2) = 2^4
16
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from convac._validation import MAX_MODEL_BYTES, instance, non_negative_int, positive_int, size_limit
from convac.errors import PartitionError
from convac.ranks._finite_field import (
    DEFAULT_PRIME,
    FAST_PRIME_MAX,
    _matmul,
    _rank,
    _sketched_ranks,
    check_prime,
    matmul_mod,
)
from convac.tensornet._coefficient import check_dense_size

if TYPE_CHECKING:
    from convac.architecture import Architecture
    from convac.partitions import Partition

__all__ = [
    "DEFAULT_RANK_MAX_BYTES",
    "coefficient_tensor_mod",
    "generic_rank",
    "generic_ranks",
    "random_weights_mod",
    "schwartz_zippel_bound",
]

#: Largest dense tensor (as int64) generic_rank will build: 2**24 entries, a 4096 x 4096
#: balanced matricization, whose elimination already takes minutes.
DEFAULT_RANK_MAX_BYTES = 1 << 27

_BATCH_BYTES = 1 << 24  # matricizations eliminated together: 16 MiB measured best (4 and 64 are slower)
_FAST_BATCH_BYTES = 1 << 26  # the float route's per-step overhead is per batch: 64 MiB batches amortise it


def _check_arch(arch: object) -> Architecture:
    from convac.architecture import Architecture

    return instance(arch, "arch", Architecture, "a convac.Architecture")


def _check_seed(seed: object) -> int:
    return non_negative_int(seed, "seed")


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
    rng = np.random.default_rng(_check_seed(seed))
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
    arch: Architecture, seed: int = 0, prime: int = DEFAULT_PRIME, max_bytes: int = DEFAULT_RANK_MAX_BYTES
) -> np.ndarray:
    """``A^y mod p`` for the random weights of :func:`random_weights_mod`: int64, shape ``(M,) * N``.

    The same recursion as :func:`convac.coefficient_tensor` (one node per pooled position;
    at a pooling window the children are combined by an outer product over positions and an
    entrywise product over the shared channel), in exact modular arithmetic. It follows
    ``arch.pool_windows`` so 1D, 2D, wider windows and shallow networks all work.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.shallow(n_inputs=3, n_features=2, hidden=1)
    >>> A = coefficient_tensor_mod(arch, prime=101)
    >>> w, out = random_weights_mod(arch, prime=101)
    >>> int(A[1, 0, 1]) == int(w[0, 1, 0] * w[1, 0, 0] * w[2, 1, 0] * out[0]) % 101
    True
    """
    arch = _check_arch(arch)
    prime = check_prime(prime)
    check_dense_size(arch.n_features, arch.n_inputs, max_bytes, what="tensor mod p")
    # Every layer holds, per position, a (modes of its inputs, channels) matrix: wide channels
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
    weights = random_weights_mod(arch, seed, prime)
    # Each node: (matrix (prod of its position modes, channels), its input positions in mode order).
    nodes: list[tuple[np.ndarray, list[int]]] = [(w, [j]) for j, w in enumerate(weights[0])]
    for layer in range(arch.depth):
        if layer > 0:
            nodes = [(matmul_mod(mat, weights[layer][k], prime), pos) for k, (mat, pos) in enumerate(nodes)]
        pooled = []
        for window in arch.pool_windows(layer):
            mat, positions = nodes[window[0]]
            for child in window[1:]:
                other, other_pos = nodes[child]
                mat = (mat[:, None, :] * other[None, :, :] % prime).reshape(-1, mat.shape[1])
                positions = positions + other_pos
            pooled.append((mat, positions))
        nodes = pooled
    ((mat, positions),) = nodes
    vector = matmul_mod(mat, weights[-1][:, None], prime)[:, 0]
    tensor = vector.reshape((arch.n_features,) * arch.n_inputs)
    return np.ascontiguousarray(np.transpose(tensor, np.argsort(positions)))


def _matricize(tensor: np.ndarray, partition: Partition) -> np.ndarray:
    m = tensor.shape[0]
    order = list(partition.side_a) + list(partition.side_b)
    return np.transpose(tensor, order).reshape(m ** len(partition.side_a), m ** len(partition.side_b))


def _matricize_stack(tensor: np.ndarray, partitions: Sequence[Partition]) -> np.ndarray:
    """``np.stack([_matricize(tensor, q) for q in partitions])`` (same shapes) with one copy, not two."""
    m = tensor.shape[0]
    first = partitions[0]
    out = np.empty((len(partitions), m ** len(first.side_a), m ** len(first.side_b)), dtype=tensor.dtype)
    for j, part in enumerate(partitions):
        np.copyto(out[j].reshape(tensor.shape), np.transpose(tensor, list(part.side_a) + list(part.side_b)))
    return out


def generic_rank(
    arch: Architecture,
    partition: Partition,
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    max_bytes: int = DEFAULT_RANK_MAX_BYTES,
) -> int:
    """Exact rank over GF(``prime``) of ``[A^y]_{A,B}`` for uniform random weights (seeded).

    With probability at least ``1 - schwartz_zippel_bound(...)`` this is the generic rank
    over the rationals, and it is never above it (see the module docstring).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[4, 3, 2])
    >>> generic_rank(arch, convac.Partition.left_right(arch))  # min(r_2, r_1, r_0^2, M^4)
    2
    """
    return generic_ranks(arch, [partition], seed=seed, prime=prime, max_bytes=max_bytes)[0]


def generic_ranks(
    arch: Architecture,
    partitions: Sequence[Partition],
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    cap: Sequence[int] | None = None,
    max_bytes: int = DEFAULT_RANK_MAX_BYTES,
) -> list[int]:
    """:func:`generic_rank` of many partitions of one architecture, from one tensor ``A^y mod p``.

    Matricizations of the same shape are eliminated together as one 3D batch. With
    ``cap`` (one positive int per partition), partition ``i`` gets ``min(rank, cap[i])``,
    computed from the sketch ``[A]_{A,B} R`` with a uniform random ``R`` of ``cap[i]``
    columns: for a matrix of rank ``r``, ``rank([A] R) = min(r, cap)`` except with
    probability below ``1 / (p - 1)``, and the sketch is far cheaper than the full
    elimination when the cap is small (use ``min_cut + 1`` to still see any rank above the
    min-cut).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
    >>> parts = [convac.Partition.left_right(arch), convac.Partition.interleaved(arch)]
    >>> generic_ranks(arch, parts), generic_ranks(arch, parts, cap=[5, 5])
    ([2, 16], [2, 5])
    """
    arch = _check_arch(arch)
    seed = _check_seed(seed)
    prime = check_prime(prime)
    from convac.partitions import Partition

    partitions = list(partitions)
    for part in partitions:
        instance(part, "partitions", Partition, "a list of convac.Partition objects")
        part.check_fits(arch)
    caps: list[int | None]
    if cap is None:
        caps = [None] * len(partitions)
    else:
        given = [positive_int(c, "every cap") for c in cap]
        if len(given) != len(partitions):
            raise PartitionError(f"cap has {len(given)} entries but there are {len(partitions)} partitions")
        caps = list(given)
    if not partitions:
        return []
    tensor = coefficient_tensor_mod(arch, seed, prime, max_bytes)
    sketch_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    if prime <= FAST_PRIME_MAX:
        return _fast_ranks(tensor, partitions, caps, prime, sketch_rng)
    m = arch.n_features

    # Group by the shape that will be eliminated: (rows, cols, sketch width or 0).
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, (part, c) in enumerate(zip(partitions, caps, strict=True)):
        rows, cols = m ** len(part.side_a), m ** len(part.side_b)
        width = c if c is not None and c < min(rows, cols) else 0
        groups.setdefault((rows, cols, width), []).append(i)

    result = [0] * len(partitions)
    for (rows, cols, width), members in sorted(groups.items()):
        per_matrix = rows * cols * 8 * 3
        step = max(1, _BATCH_BYTES // per_matrix)
        for start in range(0, len(members), step):
            chunk = members[start : start + step]
            stack = _matricize_stack(tensor, [partitions[i] for i in chunk])
            if width:
                sketch = sketch_rng.integers(0, prime, (len(chunk), cols, width), dtype=np.int64)
                stack = _matmul(stack, sketch, prime)
            ranks = _rank(stack, prime)
            for i, r in zip(chunk, ranks.tolist(), strict=True):
                result[i] = r
    return result


def _fast_ranks(
    tensor: np.ndarray,
    partitions: list[Partition],
    caps: list[int | None],
    prime: int,
    rng: np.random.Generator,
) -> list[int]:
    """Rank each matricization by the float64 BLAS route (``prime <= FAST_PRIME_MAX``): ``S [A] T``, ``k x k``.

    ``k = min(cap, rows, cols)``; ``S`` and ``T`` are uniform, drawn once per matrix shape and
    sliced to each ``k`` (each case still sees uniform ``S``, ``T`` independent of ``A``). With
    ``A = U V`` (rank ``r``), ``S U`` and ``V T`` are uniform, so ``rank(S A T) = min(r, k)``
    except with probability at most ``2 / (p - 1)``; it is never above ``rank A``.

    A side whose length is already ``k`` is left unsketched, except that a square ``k x k``
    matrix keeps ``T``: ``A T`` alone has generic leading minors wherever ``rank A >= k - 1``
    (the first ``i`` rows of such an ``A`` are independent for ``i < k``, and a uniform ``T``
    mixes its columns), which is all :func:`_lu_rank` needs to factorise without pivoting;
    ``A`` itself would not do, its leading minors are often zero by structure. Skipping ``S``
    saves one of the two ``k``-cubed products per matrix (the heavy App. D arrangement
    [13, 11, 7, 5], 6,435 partitions: 21.7 to 20.3 CPU-s, one run each on a quiet machine).
    """
    m = tensor.shape[0]
    values = tensor.astype(np.float64)
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, (part, c) in enumerate(zip(partitions, caps, strict=True)):
        rows, cols = m ** len(part.side_a), m ** len(part.side_b)
        k = min(rows, cols) if c is None else min(c, rows, cols)
        groups.setdefault((rows, cols, k), []).append(i)
    factors: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for rows, cols, _ in groups:
        widest = max(kk for r, c, kk in groups if (r, c) == (rows, cols))
        if (rows, cols) not in factors:
            factors[rows, cols] = (
                rng.integers(0, prime, (widest, rows)).astype(np.float64),
                rng.integers(0, prime, (cols, widest)).astype(np.float64),
            )
    result = [0] * len(partitions)
    for (rows, cols, k), members in sorted(groups.items()):
        left, right = factors[rows, cols]
        per_matrix = (rows * cols + 2 * rows * k) * 8
        step = max(1, _FAST_BATCH_BYTES // per_matrix)
        for start in range(0, len(members), step):
            chunk = members[start : start + step]
            stack = _matricize_stack(values, [partitions[i] for i in chunk])
            # A side already k long needs no sketch; a square matrix keeps T (see above).
            ranks = _sketched_ranks(
                stack,
                None if k == rows else left[:k],
                None if k == cols and k != rows else right[:, :k],
                prime,
            )
            for i, r in zip(chunk, ranks.tolist(), strict=True):
                result[i] = r
    return result


def schwartz_zippel_bound(arch: Architecture, rank: int, prime: int = DEFAULT_PRIME) -> float:
    """Upper bound ``D * rank / p`` on the chance that a random draw mod p reports less than a generic rank.

    ``D = sum_l positions(l) + 1`` is the total degree of every entry of ``A^y`` in the
    weights (one factor per weight matrix on the way from the inputs to the output).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 3, 5, 7])
    >>> f"{schwartz_zippel_bound(arch, 256):.1e}"
    '3.7e-06'
    """
    arch = _check_arch(arch)
    prime = check_prime(prime)
    degree = sum(arch.positions(layer) for layer in range(arch.depth)) + 1
    return min(1.0, degree * int(rank) / prime)
