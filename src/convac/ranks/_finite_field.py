"""Exact linear algebra over a prime field GF(p), vectorised in numpy ``int64``.

Every value is a residue in ``0 .. p-1``. The prime is capped at ``2**31 - 1`` so that the
product of two residues is below ``2**62`` and one product can always be added to a residue
without leaving ``int64``. Sums of many products are kept in range by reducing before they
could overflow (:func:`matmul_mod` splits the right factor into 16-bit limbs; :func:`rank_mod`
counts how many rank-one updates may pile up between reductions). No floating point is used
anywhere, so ranks are exact. The kernels run on torch ``int64`` tensors (CPU), whose
integer matrix product is several times faster than numpy's; inputs and outputs are numpy.

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
import torch

from convac._validation import integer
from convac.errors import ConvacError, InputError

__all__ = [
    "DEFAULT_PRIME",
    "MAX_PRIME",
    "check_prime",
    "inverse_mod",
    "is_prime",
    "matmul_mod",
    "rank_mod",
]

#: The Mersenne prime 2**31 - 1: the largest prime whose residues multiply inside int64.
MAX_PRIME = 2**31 - 1
"""The largest prime field allowed: two residues below 2³¹ multiply exactly in int64."""
DEFAULT_PRIME = MAX_PRIME
"""The default field size p = 2³¹ − 1 (a Mersenne prime)."""

_INT64_MAX = 2**63 - 1
_LIMB_BITS = 16


def is_prime(n: int) -> bool:
    """Deterministic Miller–Rabin primality test, exact for every ``n < 3.3 * 10**24``.

    Examples
    --------
    >>> [q for q in range(20) if is_prime(q)]
    [2, 3, 5, 7, 11, 13, 17, 19]
    >>> is_prime(2**31 - 1), is_prime(2**32 + 1)
    (True, False)
    """
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for q in small:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    # These 13 bases decide primality for all n below 3.3e24 (Sorenson & Webster 2015).
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def check_prime(prime: object) -> int:
    """Return ``prime`` as an int, or raise if it is not a prime this module can use safely.

    Examples
    --------
    >>> check_prime(13)
    13
    >>> check_prime(2**31)
    Traceback (most recent call last):
        ...
    convac.errors.ConvacError: prime-field overflow: prime 2147483648 is above 2**31 - 1 = 2147483647, ...
    """
    p = integer(prime, "prime")
    if p > MAX_PRIME:
        raise ConvacError(
            f"prime-field overflow: prime {p} is above 2**31 - 1 = {MAX_PRIME}, so a product of two residues "
            f"would not fit in int64; choose a prime in 2..{MAX_PRIME}"
        )
    if not is_prime(p):
        raise ConvacError(f"prime must be a prime number (ranks are over the field GF(p)), got {p}")
    return p


def _torch(values: np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values.to(torch.int64)
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


def _inverse(values: torch.Tensor, prime: int) -> torch.Tensor:
    # One pivot per matrix of a batch: Python's pow on a short list beats ~60 vectorised
    # Fermat steps on a tiny tensor by two orders of magnitude.
    return torch.tensor([pow(v, -1, prime) if v else 0 for v in (values % prime).tolist()], dtype=torch.int64)


def inverse_mod(values: np.ndarray, prime: int) -> np.ndarray:
    """Entrywise inverse in GF(p) (zeros map to zero).

    Examples
    --------
    >>> inverse_mod(np.array([1, 2, 3, 6]), 7).tolist()
    [1, 4, 5, 6]
    """
    return _inverse(_torch(values), prime).numpy()


def _matmul(a: torch.Tensor, b: torch.Tensor, prime: int) -> torch.Tensor:
    inner = a.shape[-1]
    if (prime - 1) ** 2 * inner + prime <= _INT64_MAX:
        return torch.matmul(a, b) % prime
    chunk = _INT64_MAX // ((prime - 1) << _LIMB_BITS) - 1
    mask = (1 << _LIMB_BITS) - 1
    out: torch.Tensor | None = None
    for start in range(0, inner, chunk):
        a_part = a[..., start : start + chunk]
        b_part = b[..., start : start + chunk, :]
        hi = torch.matmul(a_part, b_part >> _LIMB_BITS) % prime
        lo = torch.matmul(a_part, b_part & mask) % prime
        part = ((hi << _LIMB_BITS) % prime + lo) % prime
        out = part if out is None else (out + part) % prime
    assert out is not None
    return out


def matmul_mod(a: np.ndarray, b: np.ndarray, prime: int) -> np.ndarray:
    """Return ``a @ b mod p`` for residue arrays (broadcasting like ``np.matmul``), exact in int64.

    If ``(p-1)**2`` times the inner dimension could overflow, the right factor is split
    into 16-bit limbs: a residue times a limb is below ``2**47``, so up to ``2**16`` such
    products sum without overflow; longer inner dimensions are chunked.

    Examples
    --------
    >>> a = np.array([[2**30, 3], [5, 7]]); b = np.array([[2**30 + 1, 1], [1, 2**30]])
    >>> matmul_mod(a, b, 2**31 - 1).tolist() == ((a.astype(object) @ b.astype(object)) % (2**31 - 1)).tolist()
    True
    """
    return _matmul(_torch(a), _torch(b), prime).numpy()


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
    rank = _rank(_torch(arr if batched else arr[None]), prime)
    return rank if batched else int(rank[0])


def _rank(stack: torch.Tensor, prime: int) -> np.ndarray:
    a = stack % prime  # a private copy: elimination works in place
    n_batch, rows, cols = a.shape
    if cols > rows:  # loop over the shorter side: fewer steps, same rank
        a = a.transpose(1, 2).contiguous()
        rows, cols = cols, rows
    # Each pending update adds a value of size < (p-1)**2; residues start below p.
    max_pending = max(1, (_INT64_MAX - prime) // max(1, (prime - 1) ** 2))
    used = torch.zeros((n_batch, rows), dtype=torch.bool)
    rank = torch.zeros(n_batch, dtype=torch.int64)
    batch = torch.arange(n_batch)
    pending = 0
    for c in range(cols):
        col = a[:, :, c] % prime
        candidates = (col != 0) & ~used
        has_pivot = candidates.any(dim=1)
        if not bool(has_pivot.any()):
            continue
        pivot = candidates.to(torch.uint8).argmax(dim=1)  # first candidate row
        used[batch, pivot] |= has_pivot
        rank += has_pivot
        if c == cols - 1:
            break
        inv = _inverse(torch.where(has_pivot, col[batch, pivot], torch.ones_like(pivot)), prime)
        factor = col * inv[:, None] % prime
        # Used rows (earlier pivots, and this one) are final; matrices without a pivot here skip.
        factor.masked_fill_(used | ~has_pivot[:, None], 0)
        if pending >= max_pending:
            a[:, :, c + 1 :] %= prime
            pending = 0
        pivot_row = a[batch, pivot, c + 1 :] % prime
        a[:, :, c + 1 :].baddbmm_(factor.unsqueeze(2), pivot_row.unsqueeze(1), alpha=-1)
        pending += 1
    return rank.numpy()
