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


# ---------------------------------------------------------------------------- float64 route and FLINT
FAST = 4194301  # FAST_PRIME


def _flint_rank(mat: np.ndarray, prime: int) -> int:
    """FLINT's ``nmod_mat`` rank: an independent implementation (python-flint, in the ``test`` extra)."""
    flint = pytest.importorskip("flint")
    rows, cols = mat.shape
    return int(flint.nmod_mat(rows, cols, (np.asarray(mat) % prime).ravel().tolist(), prime).rank())


def test_fast_prime_constants() -> None:
    from convac.ranks._finite_field import _LU_BLOCK, FAST_PRIME, FAST_PRIME_MAX

    assert FAST_PRIME == FAST and is_prime(FAST) and not any(is_prime(q) for q in range(FAST + 1, 2**22))
    # FAST_PRIME_MAX is the largest p for which _LU_BLOCK residue products and a residue sum exactly.
    assert _LU_BLOCK * (FAST_PRIME_MAX - 1) ** 2 + FAST_PRIME_MAX < 2**53
    assert _LU_BLOCK * FAST_PRIME_MAX**2 + FAST_PRIME_MAX + 1 >= 2**53
    assert FAST <= FAST_PRIME_MAX


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=50), st.sampled_from([2, 3, 65521, FAST]))
def test_reduce_is_exact_on_all_float_integers(values: list[int], prime: int) -> None:
    from convac.ranks._finite_field import _reduce

    # The range is |x| <= 2**53 - p; values next to multiples of p are where floor(x / p) can
    # round the wrong way.
    limit = 2**53 - prime
    values = [max(-limit, min(limit, v)) for v in values]
    near = [s * (q * prime + d) for s in (1, -1) for q in (1, 2**20, limit // prime) for d in (-1, 0, 1)]
    x = np.array(values + near, dtype=np.float64)
    assert _reduce(x, prime).astype(np.int64).tolist() == [v % prime for v in values + near]
    loose = _reduce(x, prime, canonical=False).astype(np.int64)
    assert (np.abs(loose) < prime).all()
    assert [int(v) % prime for v in loose] == [v % prime for v in values + near]


@pytest.mark.parametrize("inner", [1, 64, 511, 512, 1500])
def test_gemm_mod_matches_python_integers(inner: int) -> None:
    from convac.ranks._finite_field import _gemm_mod

    rng = np.random.default_rng(inner)
    a = rng.integers(FAST - 50, FAST, (2, 3, inner))  # the largest residues: worst case for every sum
    b = rng.integers(FAST - 50, FAST, (inner, 4))
    expected = [((x.astype(object) @ b.astype(object)) % FAST).tolist() for x in a]
    assert _gemm_mod(a.astype(np.float64), b.astype(np.float64), FAST).astype(np.int64).tolist() == expected


def _low_rank(rng: np.random.Generator, batch: int, n: int, r: int, prime: int) -> np.ndarray:
    x = rng.integers(0, prime, (batch, n, r)).astype(object)
    y = rng.integers(0, prime, (batch, r, n)).astype(object)
    return np.array([(u @ v) % prime for u, v in zip(x, y, strict=True)], dtype=np.int64).reshape(batch, n, n)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 40), st.sampled_from([2, 5, 65521, FAST]), st.integers(0, 2**32 - 1))
def test_lu_rank_is_exact_or_undecided(n: int, r: int, prime: int, seed: int) -> None:
    from convac.ranks._finite_field import _lu_rank

    rng = np.random.default_rng(seed)
    mats = np.concatenate([_low_rank(rng, 2, n, min(r, n), prime), rng.integers(0, prime, (1, n, n))])
    got = _lu_rank(mats.astype(np.float64), prime)
    for mat, rank in zip(mats, got.tolist(), strict=True):
        assert rank == -1 or rank == _flint_rank(mat, prime)
    if prime == FAST and r >= n - 1:  # leading minors of size < rank vanish with probability ~ n / p
        assert (got >= 0).all()


def test_lu_rank_leaves_structured_matrices_to_the_pivoting_fallback() -> None:
    from convac.ranks._finite_field import _lu_rank, _sketched_ranks

    swap = np.array([[[0, 1], [1, 0]], [[0, 0], [0, 1]], [[1, 0], [0, 0]]], dtype=np.float64)
    assert _lu_rank(swap, FAST).tolist() == [-1, -1, 1]  # zero leading minors; the last one is decided
    identity = np.eye(2)
    assert _sketched_ranks(swap, identity, identity, FAST).tolist() == [2, 1, 1]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 24),
    st.integers(1, 24),
    st.sampled_from([2, 3, 13, 65521, FAST, 2**31 - 1]),
    st.integers(0, 2**32 - 1),
)
def test_rank_mod_agrees_with_flint_on_random_matrices(rows: int, cols: int, prime: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mat = rng.integers(0, 3, (rows, cols)) * rng.integers(0, prime, (rows, cols))  # sparse: pivots vanish
    assert rank_mod(mat, prime) == _flint_rank(mat, prime)


@pytest.mark.parametrize("prime", [65521, FAST, 2**31 - 1])
def test_rank_mod_agrees_with_flint_on_structured_low_rank(prime: int) -> None:
    rng = np.random.default_rng(prime % 1000)
    # Kronecker products and their sums: the shapes of ConvAC matricizations (ranks multiply).
    x, y = _low_rank(rng, 2, 6, 2, prime), _low_rank(rng, 2, 5, 3, prime)
    single = np.kron(x[0], y[0]) % prime
    double = (np.kron(x[0], y[0]) + np.kron(x[1], y[1])) % prime
    block = np.zeros((30, 30), dtype=np.int64)
    block[:6, :6] = x[0]  # rank 2 in one corner, the rest zero
    for mat in (single, double, block):
        assert rank_mod(mat, prime) == _flint_rank(mat, prime)
    assert _flint_rank(single, prime) == 6 and _flint_rank(double, prime) == 12


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 30), st.integers(1, 31), st.integers(0, 2**32 - 1))
def test_sketched_ranks_are_min_of_rank_and_width(rows: int, cols: int, r: int, k: int, seed: int) -> None:
    from convac.ranks._finite_field import _sketched_ranks

    rng = np.random.default_rng(seed)
    k = min(k, rows, cols)
    a = rng.integers(0, FAST, (3, rows, max(r, 1))).astype(object) @ rng.integers(0, FAST, (max(r, 1), cols)).astype(
        object
    )
    a = np.array([(m % FAST) * (r > 0) for m in a], dtype=np.int64)
    left = rng.integers(0, FAST, (k, rows)).astype(np.float64)
    right = rng.integers(0, FAST, (cols, k)).astype(np.float64)
    got = _sketched_ranks(a.astype(np.float64), left, right, FAST).tolist()
    exact = [_flint_rank(m, FAST) for m in a]
    # rank(S A T) is never above min(rank A, k), and below it with probability <= 2 / (p - 1).
    assert got == [min(e, k) for e in exact]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 24), st.integers(0, 24), st.sampled_from(["left", "right"]), st.integers(0, 2**32 - 1))
def test_one_sided_sketch_of_a_full_width_square_matrix(n: int, r: int, side: str, seed: int) -> None:
    # generic_ranks sketches a square matrix of full width on one side only. Its rows are
    # permuted and partly zero, so the unsketched matrix has zero leading minors by structure:
    # the one-sided product must still be exact, through the pivoting fallback where needed.
    from convac.ranks._finite_field import _sketched_ranks

    rng = np.random.default_rng(seed)
    r = min(r, n)
    low = rng.integers(0, FAST, (3, n, max(r, 1))).astype(object) @ rng.integers(0, FAST, (max(r, 1), n)).astype(object)
    a = np.array([(m % FAST) * (r > 0) for m in low], dtype=np.int64)
    a = a[:, rng.permutation(n)][:, :, rng.permutation(n)]
    a[0, : n // 2] = 0  # a zero block in the first rows: the leading minors of a[0] vanish
    sketch = rng.integers(0, FAST, (n, n)).astype(np.float64)
    left, right = (sketch, None) if side == "left" else (None, sketch)
    got = _sketched_ranks(a.astype(np.float64), left, right, FAST).tolist()
    assert got == [_flint_rank(m, FAST) for m in a]
