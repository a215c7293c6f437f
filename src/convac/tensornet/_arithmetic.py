"""Arithmetic of the coefficient recursion: float64, or exact residues mod a prime p.

Every residue lies in ``0 .. p-1``. The prime is capped at ``2**31 - 1`` so that the product of
two residues is below ``2**62`` and fits ``int64``. :func:`matmul_mod` runs on float64 BLAS,
which is exact on integers below ``2**53``: residues are split into 16-bit limbs when their
products could sum past that. No rounding ever happens. The rank kernels built on these live in
:mod:`convac.ranks._finite_field`.

Examples
--------
>>> import numpy as np
>>> matmul_mod(np.array([[3, 4]]), np.array([[5], [6]]), 7).tolist()  # 39 = 4 mod 7
[[4]]
"""

from __future__ import annotations

import numpy as np

from convac._validation import integer
from convac.errors import InputError

__all__ = ["DEFAULT_PRIME", "MAX_PRIME", "check_prime", "is_prime", "matmul_mod"]

#: The Mersenne prime 2**31 - 1: the largest prime whose residues multiply inside int64.
MAX_PRIME = 2**31 - 1
"""The largest prime field allowed: two residues below 2³¹ multiply exactly in int64."""
DEFAULT_PRIME = MAX_PRIME
"""The default field size p = 2³¹ − 1 (a Mersenne prime)."""

_FLOAT_EXACT = 2**53
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
    convac.errors.InputError: prime-field overflow: prime 2147483648 is above 2**31 - 1 = 2147483647, ...
    """
    p = integer(prime, "prime")
    if p > MAX_PRIME:
        raise InputError(
            f"prime-field overflow: prime {p} is above 2**31 - 1 = {MAX_PRIME}, so a product of two residues "
            f"would not fit in int64; choose a prime in 2..{MAX_PRIME}"
        )
    if not is_prime(p):
        raise InputError(f"prime must be a prime number (ranks are over the field GF(p)), got {p}")
    return p


def _float_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)


def _matmul(a: np.ndarray, b: np.ndarray, prime: int) -> np.ndarray:
    # numpy's int64 matmul has no BLAS and is 3-13x slower than float64 here; float64 sums of
    # non-negative integers are exact while every partial sum stays below 2**53.
    inner = a.shape[-1]
    if (prime - 1) ** 2 * inner < _FLOAT_EXACT:
        return _float_matmul(a, b) % prime
    mask = (1 << _LIMB_BITS) - 1
    shift_1 = (1 << _LIMB_BITS) % prime
    shift_2 = (1 << (2 * _LIMB_BITS)) % prime
    # A product of two limbs is below 2**32, so 2**21 of them sum exactly.
    chunk = _FLOAT_EXACT >> (2 * _LIMB_BITS)
    out: np.ndarray | None = None
    for start in range(0, inner, chunk):
        a_part = a[..., start : start + chunk]
        b_part = b[..., start : start + chunk, :]
        a_hi, a_lo = a_part >> _LIMB_BITS, a_part & mask
        b_hi, b_lo = b_part >> _LIMB_BITS, b_part & mask
        hi = _float_matmul(a_hi, b_hi) % prime
        mid = (_float_matmul(a_hi, b_lo) + _float_matmul(a_lo, b_hi)) % prime
        lo = _float_matmul(a_lo, b_lo)
        part = (hi * shift_2 + mid * shift_1 + lo) % prime  # each term below 2**62, 2**47, 2**53
        out = part if out is None else (out + part) % prime
    if out is None:  # inner == 0: an empty sum
        return np.zeros(a.shape[:-1] + b.shape[-1:], dtype=np.int64)
    return out


def matmul_mod(a: np.ndarray, b: np.ndarray, prime: int) -> np.ndarray:
    """Return ``a @ b mod p`` for residue arrays (broadcasting like ``np.matmul``), exact.

    The product runs in float64 BLAS. If ``(p-1)**2`` times the inner dimension could pass
    ``2**53``, both factors are split into 16-bit limbs: a product of two limbs is below
    ``2**32``, so up to ``2**21`` of them sum exactly; longer inner dimensions are chunked.

    Examples
    --------
    >>> a = np.array([[2**30, 3], [5, 7]]); b = np.array([[2**30 + 1, 1], [1, 2**30]])
    >>> matmul_mod(a, b, 2**31 - 1).tolist() == ((a.astype(object) @ b.astype(object)) % (2**31 - 1)).tolist()
    True
    """
    return _matmul(np.asarray(a, dtype=np.int64) % prime, np.asarray(b, dtype=np.int64) % prime, prime)
