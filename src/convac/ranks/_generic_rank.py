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

import numpy as np

from convac._validation import instance, non_negative_int, positive_int
from convac.errors import PartitionError
from convac.mincut import min_cut
from convac.partitions import Partition
from convac.ranks._finite_field import DEFAULT_PRIME, FAST_PRIME_MAX, _rank, _sketched_ranks, check_prime
from convac.spec import Architecture, GeneralArchitecture
from convac.tensornet._arithmetic import _matmul
from convac.tensornet._modp import DEFAULT_RANK_MAX_BYTES, coefficient_tensor_mod, random_weights_mod
from convac.tensornet._recursion import matricize, matricize_stack

__all__ = [
    "DEFAULT_RANK_MAX_BYTES",
    "coefficient_tensor_mod",
    "generic_rank",
    "generic_ranks",
    "random_weights_mod",
    "schwartz_zippel_bound",
]

# Old private names, still imported by benchmarks and tests.
_matricize = matricize
_matricize_stack = matricize_stack

_BATCH_BYTES = 1 << 24  # matricizations eliminated together: 16 MiB measured best (4 and 64 are slower)
_FAST_BATCH_BYTES = 1 << 26  # the float route's per-step overhead is per batch: 64 MiB batches amortise it


def _check_spec(spec: object) -> Architecture | GeneralArchitecture:
    if isinstance(spec, GeneralArchitecture):
        return spec
    return instance(spec, "spec", Architecture, "a convac.Architecture or a convac.spec.GeneralArchitecture")


def generic_rank(
    spec: Architecture | GeneralArchitecture,
    partition: Partition,
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    max_bytes: int = DEFAULT_RANK_MAX_BYTES,
) -> int:
    """Exact rank over GF(``prime``) of ``[A^y]_{A,B}`` for uniform random weights (seeded), for any spec.

    ``spec`` is an :class:`~convac.spec.Architecture` or a :class:`~convac.spec.GeneralArchitecture`
    (overlapping kernels; its coefficient tensor is defined in :mod:`convac.tensornet._general`).
    With probability at least ``1 - schwartz_zippel_bound(...)`` this is the generic rank over the
    rationals, and it is never above it (see the module docstring), nor above the min-cut. The
    elimination is capped at ``min_cut + 1`` (the sketch of :func:`generic_ranks`; the exact tree DP
    for an Architecture, the certified general min-cut for a general spec), which cannot change the
    answer and is cheaper when the cut is small (a rank-deficient 2^7 x 2^7 matricization of an
    overlapping 14-input spec: 14.4 instead of 21.6 CPU-ms, benchmarks/bench_generic_rank.py).

    Examples
    --------
    >>> import convac
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[4, 3, 2])
    >>> generic_rank(arch, convac.Partition.left_right(arch))  # min(r_2, r_1, r_0^2, M^4)
    2
    >>> spec = GeneralArchitecture(grid=(10,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=9)])
    >>> generic_rank(spec, convac.Partition(10, side_a=range(1, 6)))  # below its 5 input edges (32)
    20
    """
    cap = None
    if isinstance(spec, (Architecture, GeneralArchitecture)) and isinstance(partition, Partition):
        partition.check_fits(spec)
        cap = [min_cut(spec, partition).value + 1]  # rank <= min-cut, so the cap never binds
    return generic_ranks(spec, [partition], seed=seed, prime=prime, cap=cap, max_bytes=max_bytes)[0]


def _check_caps(cap: Sequence[int] | None, n_partitions: int) -> list[int | None]:
    if cap is None:
        return [None] * n_partitions
    given = [positive_int(c, "every cap") for c in cap]
    if len(given) != n_partitions:
        raise PartitionError(f"cap has {len(given)} entries but there are {n_partitions} partitions")
    return list(given)


def generic_ranks(
    spec: Architecture | GeneralArchitecture,
    partitions: Sequence[Partition],
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    cap: Sequence[int] | None = None,
    max_bytes: int = DEFAULT_RANK_MAX_BYTES,
) -> list[int]:
    """:func:`generic_rank` of many partitions of one spec (tree or general), from one tensor ``A^y mod p``.

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
    arch = _check_spec(spec)
    seed = non_negative_int(seed, "seed")
    prime = check_prime(prime)
    partitions = list(partitions)
    for part in partitions:
        instance(part, "partitions", Partition, "a list of convac.Partition objects")
        part.check_fits(arch)
    caps = _check_caps(cap, len(partitions))
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
    arch = instance(arch, "arch", Architecture, "a convac.Architecture")
    prime = check_prime(prime)
    degree = sum(arch.positions(layer) for layer in range(arch.depth)) + 1
    return min(1.0, degree * int(rank) / prime)
