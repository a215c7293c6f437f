"""Stateless ops: exact power-of-two renormalisation, pooling, recombination."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convac.models import functional as F

finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)
shapes = st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4))


@given(arrays(np.float64, shapes, elements=finite))
def test_normalize_is_exact(x):
    # Exactness holds while no mantissa becomes subnormal; keep each position's spread modest.
    x = np.where(np.abs(x) < np.abs(x).max(axis=-1, keepdims=True) * 1e-250, 0.0, x)
    t = torch.tensor(x)
    m, e = F.normalize(t, torch.zeros(t.shape[0], dtype=torch.int64))
    peak = m.abs().amax(dim=-1)
    assert torch.all((peak == 0) | ((peak >= 0.5) & (peak < 1)))
    # Re-scaling by powers of two is exact, so the product of mantissa factors is bitwise x.
    _, k = torch.frexp(t.abs().amax(dim=-1))
    assert torch.equal(torch.ldexp(m, k.unsqueeze(-1).to(m.dtype)), t)
    assert torch.equal(e, k.sum(dim=-1).to(torch.int64))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_normalize_tiny_and_huge_values_stay_finite(dtype):
    info = torch.finfo(dtype)
    x = torch.tensor([[[info.tiny / 64, 0.0], [info.max, -info.max / 2]]], dtype=dtype)  # subnormal and near max
    m, _e = F.normalize(x, torch.zeros(1, dtype=torch.int64))
    assert torch.isfinite(m).all()
    peak = m.abs().amax(dim=-1)
    assert torch.all((peak >= 0.5) & (peak < 1))
    out = F.recombine(torch.tensor([[1e-30, 2e-30]], dtype=dtype), torch.tensor([150]))
    assert torch.isfinite(out).all() and out[0, 1] / out[0, 0] == pytest.approx(2.0)


def test_product_pool_1d_and_2d_match_loops():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 16, 3, generator=g, dtype=torch.float64)
    pooled = F.product_pool(x, (16,), 4)
    for k in range(4):
        assert torch.allclose(pooled[:, k], x[:, 4 * k : 4 * k + 4].prod(dim=1))
    pooled2 = F.product_pool(x, (4, 4), 2)
    img = x.view(2, 4, 4, 3)
    for i in range(2):
        for j in range(2):
            ref = (
                img[:, 2 * i, 2 * j]
                * img[:, 2 * i, 2 * j + 1]
                * img[:, 2 * i + 1, 2 * j]
                * img[:, 2 * i + 1, 2 * j + 1]
            )
            assert torch.allclose(pooled2[:, 2 * i + j], ref)


@settings(deadline=None)
@given(n=st.integers(1, 70), seed=st.integers(0, 1000))
def test_global_product_pool_equals_product(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(3, n, 2, generator=g, dtype=torch.float64) + 0.5
    m, e = F.global_product_pool(x, torch.zeros(3, dtype=torch.int64))
    assert m.shape == (3, 1, 2)
    log_expected = torch.log(x).sum(dim=1)
    log_got = torch.log(m[:, 0]) + e.unsqueeze(-1).double() * np.log(2)
    assert torch.allclose(log_got, log_expected, rtol=1e-12, atol=1e-9)


def test_recombine_exact_in_range_and_finite_beyond():
    m = torch.tensor([[0.75, -0.5], [0.6, 0.1]], dtype=torch.float32)
    e = torch.tensor([3, 500])
    out = F.recombine(m, e)
    assert torch.equal(out[0], torch.tensor([6.0, -4.0]))
    assert torch.isfinite(out).all()
    # the second sample is scaled by one power of two: ratios are exact
    assert out[1, 0] / out[1, 1] == pytest.approx(6.0)
    assert F.safe_exponent_range(torch.float64) > F.safe_exponent_range(torch.float32)


def test_pointwise_conv_shared_and_unshared():
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    w = torch.randn(4, 5, dtype=torch.float64)
    assert torch.allclose(F.pointwise_conv(x, w), torch.einsum("bpi,io->bpo", x, w))
    wu = torch.randn(3, 4, 5, dtype=torch.float64)
    assert torch.allclose(F.pointwise_conv(x, wu), torch.einsum("bpi,pio->bpo", x, wu))


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite),
    st.lists(st.integers(-900, 900), min_size=4, max_size=4),
)
def test_unit_scores_exactly_invariant_to_power_of_two_rows(m, ks):
    """A per-row power of two (the exponent the circuit carries) leaves the unit vector unchanged bit for bit."""
    x = torch.from_numpy(m)
    k = torch.tensor(ks[: len(m)], dtype=torch.float64).unsqueeze(-1)
    scaled = torch.ldexp(x, k)
    # rows the rescale would overflow, flush or round (subnormals lose bits) stay as they are
    keep = torch.isfinite(scaled).all(dim=1) & (torch.ldexp(scaled, -k) == x).all(dim=1)
    scaled = torch.where(keep.unsqueeze(-1), scaled, x)
    assert torch.equal(F.unit_scores(scaled), F.unit_scores(x))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite))
def test_unit_scores_against_numpy(m):
    ref = np.zeros_like(m)
    for i, row in enumerate(m):
        peak = np.abs(row).max()
        if peak > 0:
            row = row / peak  # numpy's own rescale so the squares stay in range
            ref[i] = row / np.sqrt((row**2).sum())
    out = F.unit_scores(torch.from_numpy(m)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-300)
    nonzero = np.abs(m).max(axis=1) > 0
    np.testing.assert_allclose(np.linalg.norm(out[nonzero], axis=1), 1.0, rtol=1e-12)


def test_unit_scores_zero_and_subnormal_rows():
    x = torch.tensor([[0.0, 0.0], [1e-42, -1e-42], [1.5e38, -2e38]])  # float32: zero, subnormal, near overflow
    out = F.unit_scores(x)
    assert torch.equal(out[0], torch.zeros(2))
    assert torch.allclose(out[1], torch.tensor([0.5**0.5, -(0.5**0.5)]))
    assert torch.allclose(out[2], torch.tensor([0.6, -0.8]))
    x = torch.zeros(1, 3, requires_grad=True)
    F.unit_scores(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def _layer_with_two_normalizations(x, exponent, weight, grid, window):
    """The layer as it was computed before conv_pool: renormalise after the conv and after the pool."""
    x, exponent = F.normalize(F.pointwise_conv(x, weight), exponent)
    return F.normalize(F.product_pool(x, grid, window), exponent)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    geometry=st.sampled_from([((16,), 2), ((27,), 3), ((4, 4), 2), ((8, 8), 2)]),
    signed=st.booleans(),
    shared=st.booleans(),
    log_scale=st.integers(-20, 20),
)
def test_conv_pool_equals_two_normalizations_bit_for_bit(seed, geometry, signed, shared, log_scale):
    """In range, power-of-two renormalisation commutes exactly with the conv and the pool."""
    grid, window = geometry
    g = torch.Generator().manual_seed(seed)
    positions = int(np.prod(grid))
    x, e0 = F.normalize(torch.randn(3, positions, 4, generator=g), torch.zeros(3, dtype=torch.int64))
    shape = (4, 5) if shared else (positions, 4, 5)
    w = torch.randn(shape, generator=g) if signed else torch.rand(shape, generator=g) + 0.05
    w = w * 2.0**log_scale
    x.requires_grad_(True)
    w.requires_grad_(True)
    m, e = F.conv_pool(x, e0, w, grid, window)
    grads = torch.autograd.grad((m * torch.linspace(-1, 1, 5)).sum(), (x, w))
    m_ref, e_ref = _layer_with_two_normalizations(x, e0, w, grid, window)
    grads_ref = torch.autograd.grad((m_ref * torch.linspace(-1, 1, 5)).sum(), (x, w))
    assert torch.equal(m, m_ref) and torch.equal(e, e_ref)
    for got, ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(got, ref, rtol=1e-6, atol=0)


@pytest.mark.parametrize("log_scale", [-40, 30, 100])
def test_conv_pool_out_of_range_weights_fall_back_to_two_normalizations(log_scale):
    """Weights so small that partial products would be subnormal (or so large they would overflow)
    take the guarded path, which is the two-normalisation layer itself."""
    g = torch.Generator().manual_seed(0)
    x, e0 = F.normalize(torch.rand(2, 16, 3, generator=g) + 0.1, torch.zeros(2, dtype=torch.int64))
    w = torch.full((3, 3), 2.0**log_scale)
    m, e = F.conv_pool(x, e0, w, (4, 4), 2)
    m_ref, e_ref = _layer_with_two_normalizations(x, e0, w, (4, 4), 2)
    assert torch.isfinite(m).all()
    peaks = m.abs().amax(dim=-1)
    assert torch.all((peaks >= 0.5) & (peaks < 1))
    assert torch.equal(m, m_ref) and torch.equal(e, e_ref)
    # and with float64 arithmetic: the pooled vectors, each renormalised, and the powers of two taken out
    pooled = (x.double() @ w.double()).view(2, 2, 2, 2, 2, 3).prod(dim=4).prod(dim=2).reshape(2, 4, 3)
    m64, e64 = F.normalize(pooled, torch.zeros(2, dtype=torch.int64))
    torch.testing.assert_close(m.double(), m64, rtol=1e-5, atol=0)
    assert torch.equal(e - e0, e64)
