"""Entanglement of the function (feature_gram=...): independent dense computation, identity Gram, change of
basis absorbed into layer 0, min-cut bound, all outputs at once, feature_gram itself, tracking, bad input."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ConvacError, InputError, TooLargeError
from convac.schmidt import entanglement_tracker, gram_root

torch.set_num_threads(1)


def _model(arch: convac.Architecture, seed: int = 0, weights: str = "signed", **kw) -> convac.models.base.ConvACBase:
    cls = convac.ShallowConvAC if arch.kind == "shallow" else convac.DeepConvAC
    return cls(arch, seed=seed, weights=weights, **kw).double()


def _random_gram(rng: np.random.Generator, m: int, rank: int | None = None) -> np.ndarray:
    x = rng.standard_normal((m, m if rank is None else rank))
    return x @ x.T


def _independent(model: convac.models.base.ConvACBase, part: convac.Partition, grams: np.ndarray, y: int) -> np.ndarray:
    """Schmidt values by hand: every mode of the dense A times a Cholesky-type factor U_j (U_jᵀU_j = G_j), then SVD."""
    a = convac.coefficient_tensor(model, output=y)
    n = a.ndim
    for j in range(n):
        w, v = np.linalg.eigh(grams[j])
        # A non-symmetric root (upper-triangular from QR of a symmetric one): RᵀR = G holds for any such R.
        sym = v @ np.diag(np.sqrt(np.clip(w, 0, None))) @ v.T
        u = np.linalg.qr(sym, mode="r")
        a = np.moveaxis(np.tensordot(u, a, axes=([1], [j])), 0, j)
    mat = np.transpose(a, (*part.side_a, *part.side_b)).reshape(int(np.prod([a.shape[i] for i in part.side_a])), -1)
    s = np.linalg.svd(mat, compute_uv=False)
    return s / np.linalg.norm(s)


def _pad(a: np.ndarray, k: int) -> np.ndarray:
    return np.pad(a, (0, k - len(a)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[convac.Architecture, convac.Partition]:
    kind = draw(st.sampled_from(["1d", "2d", "shallow"]))
    m = draw(st.integers(2, 3))
    shared = draw(st.booleans())
    if kind == "1d":
        depth = draw(st.integers(1, 3))
        ch = draw(st.lists(st.integers(1, 4), min_size=depth, max_size=depth))
        arch = convac.Architecture.deep_1d(n_inputs=2**depth, n_features=m, channels=ch, n_outputs=2, shared=shared)
    elif kind == "2d":
        ch = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2))
        arch = convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=ch, n_outputs=2, shared=shared)
    else:
        n = draw(st.integers(2, 6))
        arch = convac.Architecture.shallow(n_inputs=n, n_features=m, hidden=draw(st.integers(1, 4)), n_outputs=2)
    n = arch.n_inputs
    side_a = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True))
    return arch, convac.Partition(n, side_a)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=cases(),
    seed=st.integers(0, 10**6),
    per_position=st.booleans(),
    deficient=st.booleans(),
    weights=st.sampled_from(["signed", "positive"]),
)
def test_matches_an_independent_dense_computation(
    case: tuple[convac.Architecture, convac.Partition], seed: int, per_position: bool, deficient: bool, weights: str
) -> None:
    arch, part = case
    model = _model(arch, seed=seed % 1000, weights=weights)
    rng = np.random.default_rng(seed)
    m = arch.n_features
    rank = m - 1 if deficient else None
    grams = (
        np.stack([_random_gram(rng, m, rank) for _ in range(arch.n_inputs)])
        if per_position
        else _random_gram(rng, m, rank)
    )
    every = grams if per_position else np.broadcast_to(grams, (arch.n_inputs, m, m))
    cut = convac.min_cut(arch, part).value
    for method in ("dense", "network"):
        ents = convac.entanglement(model, part, output="all", method=method, feature_gram=grams)
        assert [e.output for e in ents] == [0, 1]
        for y, ent in enumerate(ents):
            expected = _independent(model, part, every, y)
            k = max(len(expected), len(ent.schmidt_values))
            np.testing.assert_allclose(_pad(ent.schmidt_values, k), _pad(expected, k), atol=1e-9)
            assert ent.function and ent.method == method
            # The function's Schmidt rank never exceeds the min-cut (nor the coefficient tensor's rank).
            assert ent.schmidt_rank <= cut
            plain = convac.entanglement(model, part, output=y, method=method)
            assert ent.schmidt_rank <= plain.schmidt_rank


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), seed=st.integers(0, 10**6), scale=st.floats(0.01, 100.0))
def test_identity_gram_is_the_coefficient_tensor(
    case: tuple[convac.Architecture, convac.Partition], seed: int, scale: float
) -> None:
    arch, part = case
    model = _model(arch, seed=seed % 1000)
    for method in ("dense", "network"):
        plain = convac.entanglement(model, part, output=1, method=method)
        # A multiple of the identity scales the function only: same Schmidt values, norm shifted.
        ent = convac.entanglement(model, part, output=1, method=method, feature_gram=scale * np.eye(arch.n_features))
        np.testing.assert_allclose(ent.schmidt_values, plain.schmidt_values, atol=1e-12)
        assert ent.log2_norm == pytest.approx(plain.log2_norm + arch.n_inputs * np.log2(scale) / 2, abs=1e-9)
        assert not plain.function and ent.function


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), shared=st.booleans(), depth=st.integers(2, 3))
def test_change_of_basis_absorbed_into_layer_0(seed: int, shared: bool, depth: int) -> None:
    """f -> T f with W0 -> T^{-T} W0: the same function, so the same function entanglement (G -> T G Tᵀ)."""
    arch = convac.Architecture.deep_1d(
        n_inputs=2**depth, n_features=3, channels=[3] * depth, n_outputs=2, shared=shared
    )
    rng = np.random.default_rng(seed)
    model = _model(arch, seed=seed % 1000)
    n = arch.n_inputs
    # Shared weights need one T for all positions; unshared ones may change basis per position.
    ts = (
        np.broadcast_to(rng.standard_normal((3, 3)) + 2 * np.eye(3), (n, 3, 3))
        if shared
        else (rng.standard_normal((n, 3, 3)) + 2 * np.eye(3))
    )
    grams = np.stack([_random_gram(rng, 3)] * n) if shared else np.stack([_random_gram(rng, 3) for _ in range(n)])
    other = copy.deepcopy(model)
    with torch.no_grad():
        inv_t = torch.as_tensor(np.linalg.inv(ts).transpose(0, 2, 1).copy())
        w = other.conv[0]
        w.copy_(inv_t[0] @ w if shared else inv_t @ w)
    new_grams = np.einsum("pij,pjk,plk->pil", ts, grams, ts)
    # The two models compute the same function of the features f and T f.
    feats = torch.rand(5, n, 3, dtype=torch.float64)
    torch.testing.assert_close(
        model.circuit(feats),
        other.circuit(feats @ torch.as_tensor(ts[0].T.copy()))
        if shared
        else other.circuit(torch.einsum("pij,bpj->bpi", torch.as_tensor(ts.copy()), feats)),
    )
    part = convac.Partition.interleaved(arch)
    for method in ("dense", "network"):
        a = convac.entanglement(model, part, output="all", method=method, feature_gram=grams)
        b = convac.entanglement(other, part, output="all", method=method, feature_gram=new_grams)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x.schmidt_values, y.schmidt_values, atol=1e-8)
            assert x.log2_norm == pytest.approx(y.log2_norm, abs=1e-8)
    plain_a = convac.entanglement(model, part)
    plain_b = convac.entanglement(other, part)
    assert abs(plain_a.entropy - plain_b.entropy) > 1e-6  # the coefficient tensor's entanglement did change


def test_all_outputs_equal_one_by_one_on_a_large_network() -> None:
    arch = convac.Architecture.deep_2d(height=16, width=16, n_features=3, channels=[3, 3, 2, 2], n_outputs=4)
    model = _model(arch, seed=1)
    rng = np.random.default_rng(0)
    grams = np.stack([_random_gram(rng, 3) for _ in range(arch.n_inputs)])
    part = convac.Partition.left_right(arch)
    every = convac.entanglement(model, part, output="all", feature_gram=grams)
    assert every[0].method == "network" and len(every) == 4
    for y, ent in enumerate(every):
        one = convac.entanglement(model, part, output=y, feature_gram=grams)
        np.testing.assert_allclose(ent.schmidt_values, one.schmidt_values, atol=1e-12)
        assert ent.log2_norm == pytest.approx(one.log2_norm, abs=1e-9)
    dense_arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 3, 2, 2], n_outputs=3)
    small = _model(dense_arch, seed=2)
    g = _random_gram(rng, 2)
    for part in (convac.Partition.left_right(dense_arch), convac.Partition.blocks(dense_arch, 2)):
        net = convac.entanglement(small, part, output="all", method="network", feature_gram=g)
        dense = convac.entanglement(small, part, output="all", method="dense", feature_gram=g)
        for x, y in zip(net, dense, strict=True):
            k = max(len(x.schmidt_values), len(y.schmidt_values))
            np.testing.assert_allclose(_pad(x.schmidt_values, k), _pad(y.schmidt_values, k), atol=1e-9)


def test_gram_root_is_a_square_root() -> None:
    rng = np.random.default_rng(0)
    g = np.stack([_random_gram(rng, 4, rank) for rank in (4, 2, 1)])
    r = gram_root(g, n_inputs=3, n_features=4)
    np.testing.assert_allclose(np.einsum("pji,pjk->pik", r, r), g, atol=1e-10)
    np.testing.assert_allclose(r, r.transpose(0, 2, 1))
    # Rounding below zero is clipped, not refused.
    w, v = np.linalg.eigh(g[2])
    w[0] = -1e-14 * w[-1]
    assert np.isfinite(gram_root(v @ np.diag(w) @ v.T, 2, 4)).all()


def test_bad_gram() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    model = _model(arch)
    part = convac.Partition.left_right(arch)
    bad = {
        r"got \(3, 3\)": np.eye(3),
        r"got \(3, 2, 2\)": np.stack([np.eye(2)] * 3),
        "NaN": np.array([[1.0, np.nan], [np.nan, 1.0]]),
        "symmetric": np.array([[1.0, 0.5], [0.0, 1.0]]),
        "positive semi-definite": np.array([[1.0, 2.0], [2.0, 1.0]]),
        "is zero": np.zeros((2, 2)),
        "real array": "identity",
    }
    for what, g in bad.items():
        for method in ("dense", "network"):
            with pytest.raises(InputError, match=what):
                convac.entanglement(model, part, method=method, feature_gram=g)
    with pytest.raises(ConvacError, match="or 'all'"):
        convac.entanglement(model, part, output="every")


def test_network_path_refuses_large_cuts_quickly() -> None:
    arch = convac.Architecture.deep_2d(64, 64, n_features=10, channels=[8, 8, 4, 4, 2, 2], n_outputs=10)
    model = convac.DeepConvAC(arch, seed=0)
    g = np.eye(10)
    for width in (1, 2, 4, 8):
        with pytest.raises(TooLargeError, match="min-cut"):
            convac.entanglement(model, convac.Partition.blocks(arch, width), output="all", feature_gram=g)


def test_feature_gram() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=4, channels=[2, 2, 2])
    model = convac.DeepConvAC(arch, patch_dim=3, seed=0)
    x = torch.randn(37, 8, 3)
    f = model.representation(x).double().detach().numpy()
    per = convac.feature_gram(model, x, per_position=True, batch_size=5)
    np.testing.assert_allclose(per, np.einsum("bnm,bnk->nmk", f, f) / 37, rtol=1e-10)
    pooled = convac.feature_gram(model, x)
    assert pooled.dtype == np.float64 and pooled.shape == (4, 4)
    np.testing.assert_allclose(pooled, per.mean(axis=0))
    assert np.linalg.eigvalsh(pooled).min() > -1e-12
    onehot = convac.DeepConvAC(arch, representation="onehot", seed=0)
    codes = torch.tensor([[0, 1, 2, 3, 0, 0, 1, 2]])
    np.testing.assert_allclose(convac.feature_gram(onehot, codes), np.diag([3, 2, 2, 1]) / 8)
    with pytest.raises(InputError, match="at least one sample"):
        convac.feature_gram(model, x[:0])
    with pytest.raises(InputError, match="patch_dim=3"):
        convac.feature_gram(model, torch.randn(2, 8, 2))
    with pytest.raises(InputError, match="NaN"):
        convac.feature_gram(model, torch.full((2, 8, 3), float("nan")))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        convac.feature_gram(model, np.zeros((2, 8, 3)))
    with pytest.raises(TypeError, match="DeepConvAC"):
        convac.feature_gram(torch.nn.Linear(2, 2), x)
    with pytest.raises(TypeError, match="per_position"):
        convac.feature_gram(model, x, per_position="yes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="batch_size"):
        convac.feature_gram(model, x, batch_size=0)


def test_image_net_gram_and_entanglement() -> None:
    from convac.models.digit_nets import ConvACImageNet

    net = ConvACImageNet([2, 2, 2], image_size=8, n_features=3, seed=0)
    images = torch.rand(6, 1, 8, 8)
    g = convac.feature_gram(net, images, per_position=True)
    assert g.shape == (64, 3, 3)
    ents = convac.entanglement(net, convac.Partition.left_right(net.convac.arch), output="all", feature_gram=g)
    assert len(ents) == 10 and all(e.method == "network" and e.function for e in ents)


def test_fit_tracks_function_entanglement() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[3, 3, 3], n_outputs=3)
    model = convac.DeepConvAC(arch, representation="onehot", seed=0)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 3, (60, 8), generator=g)
    y = (x[:, 0] + x[:, 7]) % 3  # correlates the two ends
    parts = {"lr": convac.Partition.left_right(arch), "cb": convac.Partition.interleaved(arch)}
    result = convac.fit(
        model, (x, y), epochs=3, lr=0.05, batch_size=20, seed=0, progress=False, track=entanglement_tracker(parts, x)
    )
    assert [r["epoch"] for r in result.tracked] == [0, 1, 2, 3]
    last = result.tracked[-1]
    gram = convac.feature_gram(model, x)
    for y_ in range(3):
        ent = convac.entanglement(model, parts["lr"], output=y_, feature_gram=gram)
        assert last[f"lr/y{y_}"] == pytest.approx(ent.entropy, abs=1e-12)
    assert len(result.history) == 3 and "lr/y0" not in result.history[0]
    coeff = convac.fit(
        model, (x, y), epochs=1, seed=0, progress=False, track=entanglement_tracker([parts["lr"]], output=1)
    )
    assert set(coeff.tracked[0]) == {"epoch", "left_right/y1", "seconds"}
    with pytest.raises(TypeError, match="track must be a callable"):
        convac.fit(model, (x, y), epochs=1, progress=False, track=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dict of numbers"):
        convac.fit(model, (x, y), epochs=1, progress=False, track=lambda m: 1.0)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="repeated names"):
        entanglement_tracker([parts["lr"], parts["lr"]])
    with pytest.raises(ValueError, match="at least one"):
        entanglement_tracker([])
    with pytest.raises(TypeError, match=r"convac\.Partition"):
        entanglement_tracker(["left_right"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sequence or mapping"):
        entanglement_tracker(parts["lr"])  # type: ignore[arg-type]
