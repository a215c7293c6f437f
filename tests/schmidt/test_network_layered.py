"""The layer-at-a-time network and dense paths against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac.schmidt._dense import layered_tensor
from convac.schmidt._network import clean_roots, network_singular_values
from convac.schmidt._network_gram import _clean_grams


@st.composite
def nets(draw: st.DrawFn) -> convac.Architecture:
    kind = draw(st.sampled_from(["1d", "1d-odd", "2d", "shallow"]))
    m = draw(st.integers(2, 3))
    shared = draw(st.booleans())
    if kind == "1d":
        depth = draw(st.integers(1, 4 if m == 2 else 3))
        ch = draw(st.lists(st.integers(1, 5), min_size=depth, max_size=depth))
        return convac.Architecture.deep_1d(n_inputs=2**depth, n_features=m, channels=ch, n_outputs=2, shared=shared)
    if kind == "1d-odd":
        ch = draw(st.lists(st.integers(1, 4), min_size=3, max_size=3))
        return convac.Architecture.deep_1d(n_inputs=12, n_features=2, channels=ch, windows=[2, 3, 2], n_outputs=2)
    if kind == "2d":
        ch = draw(st.lists(st.integers(1, 4), min_size=2, max_size=2))
        return convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=ch, n_outputs=2, shared=shared)
    n = draw(st.integers(2, 9 if m == 2 else 6))
    return convac.Architecture.shallow(n_inputs=n, n_features=m, hidden=draw(st.integers(1, 4)), n_outputs=2)


def _model(arch: convac.Architecture, seed: int) -> convac.models.base.ConvACBase:
    cls = convac.ShallowConvAC if arch.kind == "shallow" else convac.DeepConvAC
    return cls(arch, seed=seed, weights="signed").double()


def _partition(draw: st.DrawFn, arch: convac.Architecture) -> convac.Partition:
    n = arch.n_inputs
    family = draw(st.sampled_from(["random", "left_right", "interleaved", "blocks"]))
    if family == "left_right":
        return convac.Partition.left_right(arch)
    if family == "interleaved" and arch.ndim == 1:
        return convac.Partition.interleaved(arch)
    if family == "blocks" and arch.ndim == 1 and n % 4 == 0:
        return convac.Partition.blocks(arch, n // 4)
    side_a = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True))
    return convac.Partition(n, side_a)


def _reference(tn: convac.ConvACTensorNetwork, part: convac.Partition, output: int) -> np.ndarray:
    """Singular values from the general contraction (cotengra path, one einsum per tensor), in float64."""
    a = tn.contract(output=output)
    rows = tn.arch.n_features ** len(part.side_a)
    return np.linalg.svd(np.transpose(a, (*part.side_a, *part.side_b)).reshape(rows, -1), compute_uv=False)


def _check(s: np.ndarray, exp: int, ref: np.ndarray) -> None:
    s = s * 2.0**exp
    big = ref > 1e-6 * ref[0]
    assert len(s) >= int(big.sum())
    # Both SVDs are backward stable: each value to about eps * s_1 absolute, so the well-conditioned
    # ones (within 1e-2 of s_1) to 1e-10 relative and every one to 1e-12 * s_1.
    np.testing.assert_allclose(s[: int(big.sum())], ref[big], rtol=1e-10, atol=1e-12 * ref[0])
    assert np.all(s[int(big.sum()) :] <= 1e-5 * ref[0])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), arch=nets(), seed=st.integers(0, 10**6))
def test_network_svd_route_matches_the_general_contraction(data: st.DataObject, arch: convac.Architecture, seed: int):
    part = _partition(data.draw, arch)
    tn = convac.to_tensor_network(_model(arch, seed))
    for y in (0, 1):
        s, exp = network_singular_values(tn, part, y)
        _check(s, exp, _reference(tn, part, y))
    # All outputs at once share one reduction of the side without the output layer.
    for y, (s, exp) in enumerate(network_singular_values(tn, part, [0, 1])):
        _check(s, exp, _reference(tn, part, y))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arch=nets(), seed=st.integers(0, 10**6))
def test_layered_dense_tensor_matches_the_general_contraction(arch: convac.Architecture, seed: int) -> None:
    tn = convac.to_tensor_network(_model(arch, seed))
    mantissa, exp = layered_tensor(tn)
    ref = tn.contract(output=None)
    np.testing.assert_allclose(mantissa * 2.0**exp, ref, rtol=1e-10, atol=1e-13 * np.abs(ref).max())


@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_clean_roots_are_square_roots_of_the_gram_recursion(kind: str) -> None:
    if kind == "1d":
        arch = convac.Architecture.deep_1d(n_inputs=64, n_features=3, channels=[2, 5, 3, 4, 2, 3])
    else:
        arch = convac.Architecture.deep_2d(height=8, width=8, n_features=2, channels=[3, 4, 2])
    tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=3, weights="signed"))
    for (r, r_exp), (g, g_exp) in zip(clean_roots(tn), _clean_grams(tn), strict=True):
        gram = np.einsum("pic,pid->pcd", r, r) * np.exp2(2 * r_exp - g_exp)[:, None, None]
        np.testing.assert_allclose(gram, g, rtol=1e-10, atol=1e-13)


def test_large_cut_families_agree_with_the_gram_route() -> None:
    # At N = 1024 nearly all the work is in the batched clean subtrees; the Gram route is separate code.
    arch = convac.Architecture.deep_1d(n_inputs=1024, n_features=2, channels=[3] * 10)
    model = convac.DeepConvAC(arch, seed=5, weights="signed").double()
    for part in (convac.Partition.left_right(arch), *(convac.Partition.blocks(arch, w) for w in (256, 128))):
        svd = convac.entanglement(model, part, method="network", solver="svd")
        eigh = convac.entanglement(model, part, method="network", solver="eigh")
        k = int((eigh.schmidt_values > 1e-3 * eigh.schmidt_values[0]).sum())
        np.testing.assert_allclose(svd.schmidt_values[:k], eigh.schmidt_values[:k], rtol=1e-8)
        assert svd.log2_norm == pytest.approx(eigh.log2_norm, abs=1e-9)
