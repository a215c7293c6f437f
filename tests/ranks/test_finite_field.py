"""Exact arithmetic over GF(p): primality, modular products and ranks against pure-Python references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac.errors import ConvacError
from convac.ranks._finite_field import (
    MAX_PRIME,
    check_prime,
    inverse_mod,
    is_prime,
    matmul_mod,
    rank_mod,
)


def _rank_reference(rows: list[list[int]], p: int) -> int:
    """Textbook Gauss-Jordan elimination in Python integers (no overflow possible)."""
    m = [[v % p for v in row] for row in rows]
    rank, n_cols = 0, len(m[0]) if m else 0
    for c in range(n_cols):
        pivot = next((r for r in range(rank, len(m)) if m[r][c]), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        inv = pow(m[rank][c], -1, p)
        for r in range(len(m)):
            if r != rank and m[r][c]:
                f = m[r][c] * inv % p
                m[r] = [(x - f * y) % p for x, y in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


def test_is_prime_matches_trial_division() -> None:
    def slow(n: int) -> bool:
        return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))

    assert [n for n in range(3000) if is_prime(n)] == [n for n in range(3000) if slow(n)]
    # Mersenne primes, a Carmichael number and a strong pseudoprime to bases 2, 3, 5, 7.
    assert is_prime(2**31 - 1) and is_prime(2**61 - 1)
    assert not is_prime(561) and not is_prime(3215031751) and not is_prime(2**31 + 1)


def test_check_prime_rejects_overflow_and_composites() -> None:
    assert check_prime(MAX_PRIME) == 2**31 - 1
    with pytest.raises(ConvacError, match="prime-field overflow"):
        check_prime(2**61 - 1)  # prime, but residues would overflow int64 products
    with pytest.raises(ValueError, match="must be a prime"):
        check_prime(91)
    with pytest.raises(TypeError):
        check_prime(7.0)
    with pytest.raises(TypeError):
        check_prime(True)


def test_inverse_mod() -> None:
    p = 2**31 - 1
    x = np.array([1, 2, 12345, p - 1, 0])
    inv = inverse_mod(x, p)
    assert [int(a) * int(b) % p for a, b in zip(x, inv, strict=True)] == [1, 1, 1, 1, 0]


@pytest.mark.parametrize("prime", [7, 65521, 2**31 - 1])
@pytest.mark.parametrize("inner", [1, 5, 300])
def test_matmul_mod_matches_python_integers(prime: int, inner: int) -> None:
    rng = np.random.default_rng(inner)
    a = rng.integers(prime - 3 if prime > 10 else 0, prime, (4, inner))  # large residues: worst case
    b = rng.integers(0, prime, (inner, 3))
    expected = (a.astype(object) @ b.astype(object)) % prime
    assert matmul_mod(a, b, prime).tolist() == expected.tolist()


def test_rank_mod_known_matrices() -> None:
    assert rank_mod(np.zeros((3, 4), dtype=np.int64), 5) == 0
    assert rank_mod(np.eye(6, dtype=np.int64), 2**31 - 1) == 6
    outer = np.outer([1, 2, 3], [4, 5, 6, 7])
    assert rank_mod(outer, 101) == 1
    assert rank_mod(np.array([[1, 2], [3, 4]]), 2) == 1  # det = -2
    assert rank_mod(np.array([[1, 2], [3, 4]]), 3) == 2
    with pytest.raises(ValueError, match="2D matrix"):
        rank_mod(np.zeros((2, 2, 2)), 5)
    with pytest.raises(ValueError, match="batch, rows, cols"):
        rank_mod(np.zeros((2, 2)), 5, batched=True)


def test_rank_mod_low_rank_products_equal_rational_rank() -> None:
    # X (n x r) @ Y (r x m) with small random integers has rank r over Q; modulo a large
    # prime the rank is the same (sympy gives the rational rank independently).
    sympy = pytest.importorskip("sympy")
    rng = np.random.default_rng(0)
    for n, r, m in [(6, 3, 5), (8, 8, 8), (7, 2, 9)]:
        mat = rng.integers(-3, 4, (n, r)) @ rng.integers(-3, 4, (r, m))
        assert rank_mod(mat, 2**31 - 1) == sympy.Matrix(mat.tolist()).rank()


def test_rank_mod_full_range_residues_do_not_overflow() -> None:
    # Residues just below p = 2^31 - 1 make every product close to 2^62: the worst case for int64.
    p = 2**31 - 1
    rng = np.random.default_rng(1)
    low = rng.integers(p - 1000, p, (40, 6)) @ np.eye(6, 30, dtype=np.int64)
    mats = np.stack([rng.integers(p - 1000, p, (40, 30)), low % p])
    expected = [_rank_reference(m.tolist(), p) for m in mats]
    assert rank_mod(mats, p, batched=True).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.sampled_from([2, 3, 5, 13, 65521, 2**31 - 1]),
    st.integers(0, 2**32 - 1),
    st.integers(1, 3),
)
def test_rank_mod_matches_reference(rows: int, cols: int, prime: int, seed: int, batch: int) -> None:
    rng = np.random.default_rng(seed)
    # Low-rank-ish and sparse entries make rank drops and zero pivots common.
    mats = rng.integers(0, 3, (batch, rows, cols)) * rng.integers(0, prime, (batch, rows, cols))
    if rows >= 2:
        mats[:, -1] = mats[:, 0] * 2 + mats[:, 1]  # a dependent row
    got = rank_mod(mats, prime, batched=True).tolist()
    assert got == [_rank_reference(m.tolist(), prime) for m in mats]
    assert rank_mod(mats[0], prime) == got[0]


def test_matmul_mod_inner_longer_than_one_exact_float_chunk() -> None:
    # 2**21 limb products is where float64 stops being exact: an inner dimension past it must
    # be split, and the result still equal the exact sum (computed here product by product).
    p = 2**31 - 1
    inner = 2**21 + 77
    rng = np.random.default_rng(5)
    a = rng.integers(p - 2**20, p, (1, inner))  # large residues: worst case for every partial sum
    b = rng.integers(p - 2**20, p, (inner, 2))
    expected = [int(((a[0] * b[:, j]) % p).sum() % p) for j in range(2)]  # each term < p, sum < 2**53
    assert matmul_mod(a, b, p)[0].tolist() == expected


@pytest.mark.parametrize("prime", [2, 7, 65521])
def test_matmul_mod_small_primes_batched(prime: int) -> None:
    rng = np.random.default_rng(prime)
    a = rng.integers(-5 * prime, 5 * prime, (3, 4, 50))  # unreduced and negative entries are reduced first
    b = rng.integers(0, prime, (3, 50, 6))
    expected = [((x.astype(object) % prime) @ y.astype(object)) % prime for x, y in zip(a, b, strict=True)]
    assert matmul_mod(a, b, prime).tolist() == [e.tolist() for e in expected]
