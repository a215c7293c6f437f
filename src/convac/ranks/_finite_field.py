"""Exact linear algebra over a prime field GF(p), vectorised in numpy.

Every value is a residue in ``0 .. p-1``. The prime is capped at ``2**31 - 1`` so that the
product of two residues is below ``2**62`` and one product can always be added to a residue
without leaving ``int64``. :func:`rank_mod` eliminates in ``int64`` and counts how many
rank-one updates may pile up between reductions. :func:`matmul_mod` runs on float64 BLAS,
which is exact on integers below ``2**53``: residues are split into 16-bit limbs when their
products could sum past that. No rounding ever happens, so ranks are exact. Only numpy is
needed, so the min-cut side of the package (and ``convac verify``) never imports torch.

Examples
--------
>>> import numpy as np
>>> rank_mod(np.array([[1, 2], [2, 4]]), 7)
1
>>> rank_mod(np.array([[1, 2], [3, 4]]), 2)  # det = -2 = 0 mod 2
1
"""

from __future__ import annotations

import numpy as np

from convac.errors import InputError
from convac.tensornet import _arithmetic
from convac.tensornet._arithmetic import (
    _FLOAT_EXACT,
    DEFAULT_PRIME,
    MAX_PRIME,
    check_prime,
    is_prime,
    matmul_mod,
)

# The kernels moved to the recursion's arithmetic; old private names kept for benchmarks.
_matmul = _arithmetic._matmul
_float_matmul = _arithmetic._float_matmul

__all__ = [
    "DEFAULT_PRIME",
    "MAX_PRIME",
    "check_prime",
    "inverse_mod",
    "is_prime",
    "matmul_mod",
    "rank_mod",
]

_INT64_MAX = 2**63 - 1


def _inverse(values: np.ndarray, prime: int) -> np.ndarray:
    # One pivot per matrix of a batch: Python's pow on a short list beats ~60 vectorised
    # Fermat steps on a tiny array by two orders of magnitude.
    return np.array([pow(v, -1, prime) if v else 0 for v in (values % prime).tolist()], dtype=np.int64)


def inverse_mod(values: np.ndarray, prime: int) -> np.ndarray:
    """Entrywise inverse in GF(p) (zeros map to zero).

    Examples
    --------
    >>> inverse_mod(np.array([1, 2, 3, 6]), 7).tolist()
    [1, 4, 5, 6]
    """
    return _inverse(np.asarray(values, dtype=np.int64), prime)


def rank_mod(matrices: np.ndarray, prime: int, *, batched: bool = False) -> int | np.ndarray:
    """Exact rank over GF(p) of one matrix, or of every matrix in a ``(batch, rows, cols)`` stack.

    Gaussian elimination, column by column, on all matrices of the batch at once: each step
    finds a pivot row per matrix (first unused row with a non-zero entry in the column),
    then subtracts a rank-one update from the trailing columns of every matrix (matrices
    without a pivot in that column get a zero update). Entries are reduced mod p only when
    one more update could overflow int64, so for small primes most steps divide nothing.

    Examples
    --------
    >>> rank_mod(np.eye(5, dtype=np.int64), 101)
    5
    >>> stack = np.stack([np.eye(3, dtype=np.int64), np.ones((3, 3), dtype=np.int64)])
    >>> rank_mod(stack, 101, batched=True).tolist()
    [3, 1]
    """
    arr = np.asarray(matrices)
    if not batched and arr.ndim != 2:
        raise InputError(f"rank_mod expects a 2D matrix (or batched=True with a 3D stack), got shape {arr.shape}")
    if batched and arr.ndim != 3:
        raise InputError(f"rank_mod with batched=True expects a (batch, rows, cols) array, got shape {arr.shape}")
    rank = _rank(arr if batched else arr[None], prime)
    return rank if batched else int(rank[0])


def _rank(stack: np.ndarray, prime: int) -> np.ndarray:
    n_batch, rows, cols = stack.shape
    # Row reduction of the wide orientation (rank(A) = rank(A^T)): the loop runs over the
    # short side and every update sweeps the long side, which is contiguous in memory.
    a = np.array(stack.transpose(0, 2, 1) if rows > cols else stack, dtype=np.int64, order="C")
    a %= prime  # a private copy: elimination works in place
    short, long = a.shape[1:]
    # Each pending update adds a value of size < (p-1)**2; residues start below p.
    max_pending = max(1, (_INT64_MAX - prime) // max(1, (prime - 1) ** 2))
    work = np.empty((n_batch, max(short - 1, 0), long), dtype=np.int64)
    rank = np.zeros(n_batch, dtype=np.int64)
    batch = np.arange(n_batch)
    pending = 0
    for i in range(short):
        row = a[:, i, :] % prime
        nonzero = row != 0
        has_pivot = nonzero.any(axis=1)
        if not has_pivot.any():
            continue
        rank += has_pivot
        if i == short - 1:
            break
        pivot = nonzero.argmax(axis=1)  # any non-zero entry of the row will do
        inv = _inverse(np.where(has_pivot, row[batch, pivot], 1), prime)
        below = a[:, i + 1 :, :]
        if pending >= max_pending:
            below %= prime
            pending = 0
        factor = below[batch, :, pivot] % prime * inv[:, None] % prime
        factor[~has_pivot] = 0  # a zero row eliminates nothing
        # Rows below subtract factor x this row: their entry in the pivot column becomes 0
        # mod p, so later pivots fall in other columns. A preallocated buffer avoids a
        # fresh temporary (and its page faults) at every step.
        update = work[:, : short - i - 1, :]
        np.multiply(factor[:, :, None], row[:, None, :], out=update)
        np.subtract(below, update, out=below)
        pending += 1
    return rank


# ---------------------------------------------------------------------------- float64 route
# For a prime below FAST_PRIME_MAX every residue product is exact in float64 and 64 of them
# sum exactly, so a blocked LU can hand its trailing updates to BLAS (dgemm) and reduce once
# per block. numpy's own `%` costs 10-18 ns per element here (float and int64 alike); the
# floor-based reduction below costs about 0.7 ns, so reductions are done that way.

_LU_BLOCK = 64  # the fast route needs this many residue products to sum exactly


def _largest_fast_prime_bound() -> int:
    # The largest p with _LU_BLOCK * (p - 1)**2 + p < 2**53.
    lo, hi = 2, 1 << 27
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _LU_BLOCK * (mid - 1) ** 2 + mid < _FLOAT_EXACT else (lo, mid)
    return lo


FAST_PRIME_MAX = _largest_fast_prime_bound()
"""Primes up to this bound (about 1.19·10⁷) use the float64 BLAS route of the sketched rank."""
FAST_PRIME = 4194301
"""The largest prime below 2²²: the default field of ``convac verify`` (fast float64 route)."""


def _reduce(x: np.ndarray, prime: int, out: np.ndarray | None = None, *, canonical: bool = True) -> np.ndarray:
    """Residues of float64 integers ``|x| <= 2**53 - p``, exactly: in ``0 .. p-1``, or ``(-p, p)`` if not ``canonical``.

    ``x / p`` is correctly rounded, so ``floor`` of it is off by at most one (when ``x / p``
    lies within rounding of an integer), which leaves ``x - p * q`` in ``(-p, p)``; that
    difference is exact (``|p * q| <= |x| + p <= 2**53``: every term is exact). The products and sums of the
    float route only need ``|r| < p``, so they skip the second pass. It fixes the sign: for
    an integer ``r`` in ``(-p, p)``, ``floor(r / p)`` is exact (``(p - 1) / p`` is ``1/p``
    below 1, far more than one rounding step).
    """
    p = float(prime)
    q = np.divide(x, p)
    np.floor(q, out=q)
    np.multiply(q, p, out=q)
    r = np.subtract(x, q, out=out)
    if canonical:
        np.divide(r, p, out=q)
        np.floor(q, out=q)
        np.multiply(q, p, out=q)
        np.subtract(r, q, out=r)
    return r


def _float_chunk(prime: int) -> int:
    """How many residue products of size < (p-1)**2 sum exactly in float64 (plus one residue)."""
    return max(1, (_FLOAT_EXACT - prime) // max(1, (prime - 1) ** 2))


def _gemm_mod(a: np.ndarray, b: np.ndarray, prime: int) -> np.ndarray:
    """Return ``a @ b mod p`` for float64 residues ``|x| < p``, ``p <= FAST_PRIME_MAX`` (broadcasting), ``|r| < p``."""
    inner = a.shape[-1]
    chunk = _float_chunk(prime)
    out: np.ndarray | None = None
    for start in range(0, inner, chunk):
        part = np.matmul(a[..., start : start + chunk], b[..., start : start + chunk, :])
        if out is not None:
            part += out  # |out| < p and |part| <= chunk (p-1)**2: the sum stays below 2**53
        out = _reduce(part, prime, out=part, canonical=False)
    if out is None:
        return np.zeros((*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1]))
    return out


_BASE = 8  # below this width, rank-one steps; above, recursive halves with dgemm updates


def _gemm_subtract(c: np.ndarray, a: np.ndarray, b: np.ndarray, prime: int) -> None:
    """``c <- (c - a @ b) mod p`` in place for residues ``|x| < p`` in and out (inner dim chunked: exact)."""
    chunk = _float_chunk(prime)
    inner = a.shape[-1]
    for start in range(0, inner, chunk):
        c -= np.matmul(a[..., start : start + chunk], b[..., start : start + chunk, :])
        _reduce(c, prime, out=c, canonical=False)


def _trsm(lower: np.ndarray, x: np.ndarray, prime: int) -> None:
    """``x <- lower^{-1} x`` mod p in place for unit lower triangular ``lower`` (its diagonal is ignored)."""
    h = lower.shape[1]
    if h <= _BASE:
        for i in range(h):
            row = _reduce(x[:, i, :], prime, canonical=False)
            x[:, i, :] = row
            if i + 1 < h:
                x[:, i + 1 :, :] -= lower[:, i + 1 :, i][:, :, None] * row[:, None, :]
        return
    g = h // 2
    _trsm(lower[:, :g, :g], x[:, :g, :], prime)
    _gemm_subtract(x[:, g:, :], lower[:, g:, :g], x[:, :g, :], prime)
    _trsm(lower[:, g:, g:], x[:, g:, :], prime)


def _lu_panel(a: np.ndarray, offset: int, prime: int, first_zero: np.ndarray) -> None:
    """LU without pivoting of a tall ``(batch, m, w)`` panel in place (recursive, Toledo-style).

    Records in ``first_zero`` the first (global, ``offset`` + local) index of a zero pivot.
    After a zero pivot the factors of that matrix are meaningless; only the index is used.
    """
    w = a.shape[2]
    if w <= _BASE:
        # A narrow panel as a view has rows of w elements: work on a transposed copy, whose
        # rows run down the panel contiguously, and write it back at the end.
        t = np.ascontiguousarray(a.transpose(0, 2, 1))
        for i in range(w):
            pivot = np.mod(t[:, i, i], prime)
            zero = pivot == 0
            first_zero[zero & (first_zero > offset + i)] = offset + i
            if i + 1 == t.shape[2]:
                break
            inv = _inverse(np.where(zero, 1, pivot).astype(np.int64), prime).astype(np.float64)
            col = _reduce(_reduce(t[:, i, i + 1 :], prime, canonical=False) * inv[:, None], prime, canonical=False)
            t[:, i, i + 1 :] = col
            if i + 1 < w:
                row = _reduce(t[:, i + 1 :, i], prime, canonical=False)
                t[:, i + 1 :, i] = row
                t[:, i + 1 :, i + 1 :] -= row[:, :, None] * col[:, None, :]
        a[...] = t.transpose(0, 2, 1)
        return
    h = w // 2
    _lu_panel(a[:, :, :h], offset, prime, first_zero)
    _trsm(a[:, :h, :h], a[:, :h, h:], prime)
    _gemm_subtract(a[:, h:, h:], a[:, h:, :h], a[:, :h, h:], prime)
    _lu_panel(a[:, h:, h:], offset + h, prime, first_zero)


def _lu_rank(stack: np.ndarray, prime: int) -> np.ndarray:
    """Rank over GF(p) of square matrices by LU *without pivoting*, or -1 where that cannot tell.

    For ``(batch, k, k)`` float64 residues ``|x| < p`` and ``prime <= FAST_PRIME_MAX``. Without
    pivoting the i-th pivot is ``det(X[:i, :i]) / det(X[:i-1, :i-1])``. If the first ``k - 1``
    pivots are non-zero, the leading ``(k-1) x (k-1)`` minor is non-zero, so the rank is
    ``k - 1`` plus one if the last pivot (``det X / det X[:k-1, :k-1]``) is non-zero: exact.
    Otherwise -1 is returned and the caller eliminates with pivoting. For ``X = S A T`` with
    uniform random ``S``, ``T`` and ``rank A >= k - 1`` the leading minors vanish only by
    accident, so the pivoting fallback is rare there; for structured matrices it is common.

    The LU is recursive (split the columns in halves, factor the left half, solve for the
    top-right block, update the bottom-right with one dgemm, recurse), so almost all work is
    BLAS; entries are reduced to ``|x| < p`` before every product, so every sum stays exact.
    """
    n_batch, k, _ = stack.shape
    a = np.array(stack, dtype=np.float64, order="C")
    first_zero = np.full(n_batch, k, dtype=np.int64)
    if k:
        _lu_panel(a, 0, prime, first_zero)
    return np.where(first_zero >= k - 1, first_zero, -1)


def _sketched_ranks(stack: np.ndarray, left: np.ndarray | None, right: np.ndarray | None, prime: int) -> np.ndarray:
    """Exact ranks over GF(p) of ``left @ M @ right`` for every ``M`` of a ``(batch, rows, cols)`` stack.

    ``left`` is ``(k, rows)``, ``right`` is ``(cols, k)``, all float64 residues ``|x| < p`` and
    ``prime <= FAST_PRIME_MAX``; ``None`` leaves that side unsketched (it must then already be
    ``k`` long). The ``k x k`` products go to :func:`_lu_rank`; those it cannot decide are
    eliminated with pivoting (:func:`_rank`), so every result is exact.
    """
    n_batch, rows, cols = stack.shape
    sketch = stack
    if right is not None:
        # One dgemm for the whole batch: (batch * rows, cols) @ (cols, k).
        sketch = _gemm_mod(stack.reshape(n_batch * rows, cols), right, prime).reshape(n_batch, rows, -1)
    if left is not None:
        sketch = _gemm_mod(left, sketch, prime)
    ranks = _lu_rank(sketch, prime)
    undecided = np.flatnonzero(ranks < 0)
    if undecided.size:
        ranks[undecided] = _rank(np.mod(sketch[undecided], prime).astype(np.int64), prime)
    return ranks
