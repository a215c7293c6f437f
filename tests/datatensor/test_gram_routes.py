"""The Cholesky-reduced Gram route and the symmetric Gram builder against the routes they replaced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convac.datatensor._gram import feature_map, gram, squared_schmidt_values


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(70, 300), seed=st.integers(0, 10**6), theta=st.sampled_from([0.5, 1.0]))
def test_symmetric_gram_equals_the_row_by_row_gram(n: int, seed: int, theta: float) -> None:
    x = np.random.default_rng(seed).random((n, 13))
    u, v = feature_map(x, theta)
    idx = list(range(13))
    np.testing.assert_allclose(gram(u, v, idx), gram(u, v, idx, symmetric=False), rtol=1e-12, atol=1e-300)
    # And directly: the product of cosines of the differences.
    m, k = 3, n - 1
    direct = np.prod(np.cos(0.5 * np.pi * theta * (x[m] - x[k])))
    assert gram(u, v, idx)[m, k] == pytest.approx(direct, rel=1e-12)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(40, 400), features=st.integers(18, 30), seed=st.integers(0, 10**6), classes=st.integers(1, 3))
def test_cholesky_route_matches_the_eigh_route(n: int, features: int, seed: int, classes: int) -> None:
    # 2^|A| > n on both sides: the square-root route runs.
    rng = np.random.default_rng(seed)
    u, v = feature_map(rng.random((n, features)), 1.0)
    a, b = list(range(features // 2)), list(range(features // 2, features))
    ys = [rng.integers(0, 2, n).astype(float) * 2 - 1 for _ in range(classes)]
    new = squared_schmidt_values(u, v, a, b, ys)
    old = squared_schmidt_values(u, v, a, b, ys, reference=True)
    for s, r in zip(new, old, strict=True):
        # Both are eigenvalues of the same PSD matrix up to rounding: n * eps * the largest, absolute.
        np.testing.assert_allclose(s[: len(r)], r, rtol=1e-8, atol=1e-11 * r[0])
        assert s.sum() == pytest.approx(r.sum(), rel=1e-10)


def test_repeated_samples_fall_back_to_the_eigh_route() -> None:
    # Two equal samples make G_A singular: no Cholesky factor, the eigh route must give the spectrum.
    rng = np.random.default_rng(1)
    x = rng.random((60, 20))
    x[7] = x[3]
    u, v = feature_map(x, 1.0)
    a, b = list(range(10)), list(range(10, 20))
    ones = [np.ones(60)]
    (new,) = squared_schmidt_values(u, v, a, b, ones)
    (old,) = squared_schmidt_values(u, v, a, b, ones, reference=True)
    np.testing.assert_allclose(new, old, rtol=1e-8, atol=1e-11 * old[0])
    # The data tensor is a sum of 59 distinct product states, one of them twice: at most 59 terms.
    assert np.count_nonzero(new > 1e-9 * new[0]) <= 59
