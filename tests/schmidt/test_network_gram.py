"""Tests for the network path's Gram route (solver="eigh"): agreement with float64 SVDs, accuracy, memory plan."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ConvacError, InputError, TooLargeError
from convac.schmidt._network_gram import gram_peak_bytes, gram_singular_values
from convac.tensornet._network import ConvACTensorNetwork

torch.set_num_threads(1)
EPS = float(np.finfo(np.float64).eps)


def _model(arch: convac.Architecture, seed: int = 0) -> convac.models.base.ConvACBase:
    cls = convac.ShallowConvAC if arch.kind == "shallow" else convac.DeepConvAC
    return cls(arch, seed=seed, weights="signed").double()


def _padded(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[: len(a)] = a
    return out


def _check_against(eig: np.ndarray, ref: np.ndarray, d: int, n_inputs: int = 16) -> None:
    """The Gram route's documented accuracy: relative error <= c (D + N) eps / λ_i² above the floor, zeros below."""
    n = max(len(eig), len(ref))
    eig, ref = _padded(eig, n), _padded(ref, n)
    floor = math.sqrt(d * EPS)
    above = ref > 10 * floor
    rel = np.abs(eig[above] - ref[above]) / ref[above]
    assert (rel <= 100 * (d + n_inputs) * EPS / ref[above] ** 2).all(), rel.max()
    # Below the floor the route returns zeros or values of the noise's size, never more.
    assert (np.abs(eig[~above] - ref[~above]) <= 20 * floor).all()


CASES = [
    (convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4] * 4, n_outputs=2), 0),
    (convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[2, 3, 2]), 1),
    (convac.Architecture.deep_2d(4, 4, n_features=2, channels=[3, 2], n_outputs=2), 2),
    (convac.Architecture.shallow(n_inputs=10, n_features=2, hidden=3), 3),
]


@pytest.mark.parametrize("arch,seed", CASES)
def test_eigh_matches_dense_svd_for_every_output(arch: convac.Architecture, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = _model(arch, seed)
    for _ in range(3):
        mask = rng.random(arch.n_inputs) < 0.5
        mask[0], mask[-1] = True, False
        part = convac.Partition(arch.n_inputs, side_a=np.flatnonzero(mask).tolist())
        d = convac.min_cut(arch, part).value
        dense = convac.entanglement(model, part, "all", method="dense")
        gram = convac.entanglement(model, part, "all", method="network", solver="eigh")
        for a, b in zip(gram, dense, strict=True):
            assert a.solver == "eigh" and b.solver == "svd"
            _check_against(a.schmidt_values, b.schmidt_values, d)
            assert abs(a.entropy - b.entropy) < 1e-9
            assert abs(a.log2_norm - b.log2_norm) < 1e-9


def test_eigh_function_entanglement_matches_dense() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[3, 3, 2], n_outputs=2)
    model = _model(arch, 4)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3))
    gram = np.stack([x @ x.T + 0.1 * np.eye(3) * (j + 1) for j in range(8)])
    part = convac.Partition.interleaved(arch)
    d = convac.min_cut(arch, part).value
    dense = convac.entanglement(model, part, "all", method="dense", feature_gram=gram)
    net = convac.entanglement(model, part, "all", method="network", solver="eigh", feature_gram=gram)
    for a, b in zip(net, dense, strict=True):
        assert a.function and b.function
        _check_against(a.schmidt_values, b.schmidt_values, d)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mask=st.lists(st.booleans(), min_size=16, max_size=16), seed=st.integers(0, 50))
def test_eigh_property_random_partitions(mask: list[bool], seed: int) -> None:
    if all(mask) or not any(mask):
        mask = [True] + [False] * 15
    arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 4, 2, 3])
    model = _model(arch, seed)
    part = convac.Partition(16, side_a=[i for i, m in enumerate(mask) if m])
    d = convac.min_cut(arch, part).value
    ref = convac.entanglement(model, part, method="dense").schmidt_values
    _check_against(convac.entanglement(model, part, method="network", solver="eigh").schmidt_values, ref, d)


def _graded_shallow(small: float) -> ConvACTensorNetwork:
    """A shallow net whose Schmidt values span ``1 .. small`` (output weights graded by ``small``)."""
    arch = convac.Architecture.shallow(n_inputs=6, n_features=2, hidden=3)
    tn = convac.to_tensor_network(_model(arch, 0))
    weights = [np.array(w, dtype=np.float64) for w in tn.weights]
    weights[-1][0, :, 0] = [1.0, 1e-3, small]
    return ConvACTensorNetwork(arch, weights)


def test_small_schmidt_values_lose_accuracy_on_the_gram_route_only() -> None:
    tn = _graded_shallow(1e-10)
    part = convac.Partition.left_right(tn.arch)
    ref = convac.entanglement(tn, part, method="dense").schmidt_values
    svd = convac.entanglement(tn, part, method="network", solver="svd").schmidt_values
    eig = _padded(convac.entanglement(tn, part, method="network", solver="eigh").schmidt_values, 3)
    assert 1e-12 < ref[2] < 1e-8  # a real third value, far below sqrt(D eps) ~ 4e-8
    assert abs(svd[2] - ref[2]) < 1e-4 * ref[2]  # square roots keep it
    assert eig[2] == 0.0  # the Gram's noise floor returns it as zero
    assert convac.entanglement(tn, part, method="network", solver="svd").schmidt_rank == 3
    assert convac.entanglement(tn, part, method="network", solver="eigh").schmidt_rank == 2
    np.testing.assert_allclose(eig[:2], ref[:2], rtol=1e-9)


def test_auto_solver_switches_at_the_documented_cut() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=256, n_features=2, channels=[2] * 8)
    model = _model(arch, 1)

    def blocks(k: int) -> convac.Partition:
        return convac.Partition(256, side_a=[p for i in range(k) for p in range(16 * i, 16 * i + 8)])

    small, large = blocks(8), blocks(9)
    assert convac.min_cut(arch, small).value <= convac.schmidt.AUTO_SVD_MAX_CUT < convac.min_cut(arch, large).value
    assert convac.entanglement(model, small, method="network").solver == "svd"
    auto = convac.entanglement(model, large, method="network")
    svd = convac.entanglement(model, large, method="network", solver="svd")
    assert auto.solver == "eigh"
    _check_against(auto.schmidt_values, svd.schmidt_values, 512, 256)


def test_planned_peak_bounds_the_real_allocations() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=64, n_features=2, channels=[4] * 6)
    tn = convac.to_tensor_network(_model(arch, 2))
    part = convac.Partition(64, side_a=[p for i in range(3) for p in range(8 * i, 8 * i + 4)] + [40, 41])
    assert convac.min_cut(arch, part).value < 512  # numpy's eigvalsh, which tracemalloc sees
    planned = gram_peak_bytes(tn, part)
    tracemalloc.start()
    try:
        gram_singular_values(tn, part, [0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0 < peak <= planned


def test_too_large_is_refused_before_allocating() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=64, n_features=2, channels=[4] * 6)
    model = _model(arch, 0)
    part = convac.Partition(64, side_a=[p for i in range(3) for p in range(8 * i, 8 * i + 4)] + [40, 41])
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match=r"would need .* over the limit of 1 MiB; raise max_bytes"):
            convac.entanglement(model, part, method="network", solver="eigh", max_bytes=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    with pytest.raises(TooLargeError, match=r"SVD route.*use solver=\"eigh\""):
        convac.entanglement(model, part, method="network", solver="svd", max_bytes=1 << 20)


def test_bad_solver_and_limit() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    model = _model(arch)
    part = convac.Partition.left_right(arch)
    with pytest.raises(InputError, match="solver"):
        convac.entanglement(model, part, solver="qr")
    for bad in (0, -5, 1.5):
        with pytest.raises(ConvacError, match="max_bytes"):
            convac.entanglement(model, part, max_bytes=bad)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4),
    st.sampled_from([2, 3]),
    st.lists(st.integers(1, 5), min_size=4, max_size=4),
    st.integers(0, 2**16),
)
def test_auto_method_skips_the_min_cut_only_where_the_answer_is_dense(depth, m, widths, seed) -> None:
    # The shortcut must give the cost model's answer: dense when dense is cheaper than the
    # network's fixed cost, otherwise the full comparison with the min-cut's D**3 term.
    from convac.mincut import min_cut
    from convac.schmidt._core import AUTO_DENSE_MAX_ENTRIES, _auto_method

    arch = convac.Architecture.deep_1d(n_inputs=2**depth, n_features=m, channels=widths[:depth])
    rng = np.random.default_rng(seed)
    n = arch.n_inputs
    part = convac.Partition(n, sorted(rng.permutation(n)[: rng.integers(1, n)].tolist()))
    tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    rows, cols = m ** len(part.side_a), m ** len(part.side_b)
    dense = m**n * 2e-7 + 4 * rows * cols * min(rows, cols) / 5e9
    nodes = sum(arch.positions(layer) for layer in range(arch.depth + 1))
    d = min_cut(arch, part).value
    expected = "dense" if dense <= 2e-3 + nodes * 2e-5 + 12 * d**3 / 5e9 else "network"
    if m**n > AUTO_DENSE_MAX_ENTRIES:
        expected = "network"
    assert _auto_method(tn, part, max_cut=4096) == expected


def test_sygst_reduction_matches_the_pivoted_route_at_a_large_cut() -> None:
    # Every other input of the first 18 on side A: min-cut 512, so the eigensolver's LAPACK path runs.
    arch = convac.Architecture.deep_1d(n_inputs=32, n_features=2, channels=[2] * 5, n_outputs=2)
    part = convac.Partition(32, side_a=list(range(0, 18, 2)))
    tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=11, weights="signed"))
    assert convac.min_cut(arch, part).value == 512
    new = gram_singular_values(tn, part, [0, 1])
    old = gram_singular_values(tn, part, [0, 1], reduction="pivoted")
    for (s, e), (r, f) in zip(new, old, strict=True):
        s, r = s * 2.0**e, r * 2.0**f
        k = int((r > 1e-4 * r[0]).sum())
        assert k > 1
        np.testing.assert_allclose(s[:k], r[:k], rtol=1e-9)
        assert np.all(s[k:] <= 2e-4 * r[0])


@pytest.mark.parametrize("n", [40, 600])
def test_reduced_eigenvalues_are_those_of_the_gram_product(n: int) -> None:
    from convac.schmidt._network_gram import _cholesky, _pivoted_eigvalsh, _reduced_eigvalsh

    rng = np.random.default_rng(n)
    a, b = rng.standard_normal((n, n + 5)), rng.standard_normal((n, n + 5))
    g_f, g_m = a @ a.T, b @ b.T
    # Independent: eig(G_f G_m) = singular values² of a^T b.
    ref = np.sort(np.linalg.svd(a.T @ b, compute_uv=False) ** 2)[-n:]
    chol = _cholesky(g_f)
    assert chol is not None
    np.testing.assert_allclose(_reduced_eigvalsh(g_m.copy(), chol), ref, rtol=1e-7, atol=1e-10 * ref[-1])
    # A singular fixed side has no Cholesky factor; the pivoted route still gives the spectrum.
    low = a[:, : n // 2]
    assert _cholesky(low @ low.T) is None
    ref_low = np.sort(np.linalg.svd(low.T @ b, compute_uv=False) ** 2)
    from convac.schmidt._network_gram import _gram_root

    ev = _pivoted_eigvalsh(g_m.copy(), _gram_root(low @ low.T))
    np.testing.assert_allclose(np.sort(ev)[-len(ref_low) :], ref_low, rtol=1e-6, atol=1e-9 * ref_low[-1])


def test_a_singular_fixed_side_takes_the_pivoted_route(monkeypatch: pytest.MonkeyPatch) -> None:
    from convac.schmidt import _network_gram

    # Left/right of 16 inputs: the output sits on side A, so side B's Gram on the cut leg is Cholesky-
    # factored; a zero column in side B's top conv makes that Gram exactly singular.
    arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[3] * 4, shared=False)
    model = convac.DeepConvAC(arch, seed=1, weights="signed").double()
    with torch.no_grad():
        model.conv[2][2][:, 0] = 0.0
    failed: list[bool] = []
    real = _network_gram._cholesky

    def spy(g: np.ndarray) -> np.ndarray | None:
        out = real(g)
        failed.append(out is None)
        return out

    monkeypatch.setattr(_network_gram, "_cholesky", spy)
    part = convac.Partition.left_right(arch)
    eigh = convac.entanglement(model, part, method="network", solver="eigh")
    assert failed == [True]
    dense = convac.entanglement(model, part, method="dense")
    k = int((dense.schmidt_values > 1e-6).sum())
    assert k == 2  # the zero column leaves two of the cut's three values
    np.testing.assert_allclose(eigh.schmidt_values[:k], dense.schmidt_values[:k], rtol=1e-9)
    assert eigh.log2_norm == pytest.approx(dense.log2_norm, abs=1e-9)
