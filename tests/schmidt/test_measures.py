"""Tests for convac.schmidt._measures on states whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac.errors import ConvacError
from convac.schmidt import _measures as ms


def _svals(state: np.ndarray) -> np.ndarray:
    return np.linalg.svd(state, compute_uv=False)


def test_product_state() -> None:
    rng = np.random.default_rng(0)
    s = _svals(np.outer(rng.normal(size=8), rng.normal(size=16)))
    assert ms.schmidt_rank(s) == 1
    assert ms.entropy(s) == pytest.approx(0.0, abs=1e-12)
    assert ms.geometric_measure(s) == pytest.approx(0.0, abs=1e-7)
    assert ms.renyi_entropy(s, 2) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("dim", [2, 3, 7])
def test_ghz_delta_state(dim: int) -> None:
    # δ_{abc}: the GHZ-like copy tensor, split as (a) | (b, c).
    delta = np.zeros((dim,) * 3)
    delta[(np.arange(dim),) * 3] = 1.0
    s = _svals(delta.reshape(dim, dim * dim))
    assert ms.schmidt_rank(s) == dim
    assert ms.entropy(s) == pytest.approx(math.log(dim))
    for alpha in (0, 0.5, 1, 2, 5, math.inf):
        assert ms.renyi_entropy(s, alpha) == pytest.approx(math.log(dim))
    assert ms.geometric_measure(s) == pytest.approx(math.sqrt(1 - 1 / dim))
    np.testing.assert_allclose(ms.schmidt_values(s)[:dim], np.full(dim, 1 / math.sqrt(dim)))


def _page(m: int, n: int) -> float:
    """Page's mean entanglement entropy of a random pure state on C^m x C^n, m <= n."""
    return sum(1.0 / k for k in range(n + 1, m * n + 1)) - (m - 1) / (2 * n)


@pytest.mark.parametrize(("m", "n"), [(16, 16), (32, 64), (8, 128)])
def test_random_states_near_page(m: int, n: int) -> None:
    rng = np.random.default_rng(m * n)
    values = [ms.entropy(_svals(rng.normal(size=(m, n)) + 1j * rng.normal(size=(m, n)))) for _ in range(20)]
    assert max(values) <= math.log(m)
    assert np.mean(values) == pytest.approx(_page(m, n), abs=0.02)


@settings(max_examples=60, deadline=None)
@given(
    s=st.lists(st.floats(0, 1e3, allow_nan=False), min_size=1, max_size=30).filter(lambda v: max(v) > 1e-6),
    alpha=st.floats(0.05, 20),
)
def test_measure_invariants(s: list[float], alpha: float) -> None:
    lam = ms.schmidt_values(s)
    assert np.all(np.diff(lam) <= 0) and np.sum(lam**2) == pytest.approx(1.0)
    rank = ms.schmidt_rank(s)
    support = int(np.count_nonzero(lam))
    h = ms.entropy(s)
    assert -1e-12 <= h <= math.log(support) + 1e-9
    assert rank <= support and ms.schmidt_rank(s, rtol=0.0) == support
    # Rényi entropies decrease with alpha and meet the von Neumann one at alpha = 1.
    assert ms.renyi_entropy(s, math.inf) <= ms.renyi_entropy(s, alpha) + 1e-9 <= math.log(support) + 2e-9
    assert ms.renyi_entropy(s, 1) == pytest.approx(h)
    assert ms.renyi_entropy(s, 1 + 1e-7) == pytest.approx(h, abs=1e-5)
    assert ms.geometric_measure(s) ** 2 == pytest.approx(1 - lam[0] ** 2, abs=1e-12)
    # Scale and zero padding change nothing.
    assert ms.entropy([3.5 * v for v in s] + [0.0, 0.0]) == pytest.approx(h, abs=1e-12)
    assert ms.schmidt_measures(s)["schmidt_rank"] == rank


def test_extreme_scales_do_not_overflow() -> None:
    assert ms.entropy([1e300, 1e300]) == pytest.approx(math.log(2))
    assert ms.entropy([1e-300, 1e-300]) == pytest.approx(math.log(2))


def test_bad_input() -> None:
    with pytest.raises(ConvacError, match="alpha"):
        ms.renyi_entropy([1.0], -0.5)
    with pytest.raises(ConvacError, match="alpha"):
        ms.renyi_entropy([1.0], float("nan"))
    with pytest.raises(TypeError, match="alpha"):
        ms.renyi_entropy([1.0], "2")
    with pytest.raises(TypeError, match="alpha"):
        ms.renyi_entropy([1.0], True)
    with pytest.raises(ConvacError, match="zero"):
        ms.entropy([0.0, 0.0])
    with pytest.raises(ConvacError, match="non-negative"):
        ms.entropy([1.0, -1.0])
    with pytest.raises(ConvacError, match="at least one"):
        ms.entropy([])
    with pytest.raises(ConvacError, match="rtol"):
        ms.schmidt_rank([1.0], rtol=2.0)
