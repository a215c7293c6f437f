"""Tests for convac.tensornet._network: the ConvAC tensor network, its contraction, quimb export, drawing."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac.errors import InputError, TooLargeError

torch.set_num_threads(1)


def _model(arch: convac.Architecture, seed: int = 0, weights: str = "signed") -> convac.models.base.ConvACBase:
    cls = convac.ShallowConvAC if arch.kind == "shallow" else convac.DeepConvAC
    return cls(arch, seed=seed, weights=weights).double()


@st.composite
def small_archs(draw: st.DrawFn) -> convac.Architecture:
    kind = draw(st.sampled_from(["1d", "2d", "shallow"]))
    m = draw(st.integers(1, 3))
    outs = draw(st.integers(1, 3))
    shared = draw(st.booleans())
    if kind == "1d":
        depth = draw(st.integers(1, 3))
        ch = draw(st.lists(st.integers(1, 4), min_size=depth, max_size=depth))
        return convac.Architecture.deep_1d(n_inputs=2**depth, n_features=m, channels=ch, n_outputs=outs, shared=shared)
    if kind == "2d":
        ch = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2))
        return convac.Architecture.deep_2d(
            height=4, width=4, n_features=min(m, 2), channels=ch, n_outputs=outs, shared=shared
        )
    n = draw(st.integers(2, 7))
    return convac.Architecture.shallow(
        n_inputs=n, n_features=m, hidden=draw(st.integers(1, 4)), n_outputs=outs, shared=shared
    )


def test_structure_of_a_1d_network() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[4, 5, 2], n_outputs=2)
    tn = convac.to_tensor_network(_model(arch))
    kinds = [t.kind for t in tn.tensors]
    # 8 + 4 + 2 matrices, 4 + 2 + 1 δ tensors, 1 output.
    assert kinds.count("weight") == 14 and kinds.count("delta") == 7 and kinds.count("output") == 1
    assert tn.tensor("delta1_1").inds == ("c1_2", "c1_3", "u1_1")
    assert tn.tensor("delta1_1").shape == (5, 5, 5)
    assert tn.bonds["x5"].dim == 3 and tn.bonds["x5"].kind == "input" and tn.bonds["x5"].tensors == ("W0_5",)
    assert tn.bonds["u2_0"].tensors == ("delta2_0", "out") and tn.bonds["y"].dim == 2
    # Every internal bond joins exactly two tensors; the open legs are the inputs and y.
    open_legs = {b.name for b in tn.bonds.values() if len(b.tensors) == 1}
    assert open_legs == {*tn.input_inds, "y"}
    delta = tn.tensor("delta0_0").to_dense()
    assert delta.sum() == 4 and delta[1, 1, 1] == 1 and delta[0, 1, 1] == 0


def test_2d_and_shallow_deltas() -> None:
    arch = convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 2])
    tn = convac.to_tensor_network(_model(arch))
    assert tn.tensor("delta0_1").inds == ("c0_2", "c0_3", "c0_6", "c0_7", "u0_1")
    arch = convac.Architecture.shallow(n_inputs=6, n_features=2, hidden=3)
    tn = convac.to_tensor_network(_model(arch))
    assert [t.name for t in tn.tensors if t.kind == "delta"] == ["delta0_0"]
    assert len(tn.tensor("delta0_0").inds) == 7
    with pytest.raises(TooLargeError):
        convac.to_tensor_network(_model(convac.Architecture.shallow(n_inputs=40, n_features=2, hidden=3))).tensor(
            "delta0_0"
        ).to_dense()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arch=small_archs(), seed=st.integers(0, 10**6), batch=st.integers(1, 4))
def test_contraction_equals_coefficient_tensor_and_forward(arch: convac.Architecture, seed: int, batch: int) -> None:
    model = _model(arch, seed)
    tn = convac.to_tensor_network(model)
    full = tn.contract(output=None)
    for y in range(arch.n_outputs):
        ref = convac.coefficient_tensor(model, y)
        np.testing.assert_allclose(tn.contract(output=y), ref, rtol=1e-10, atol=1e-13 * np.abs(ref).max())
        np.testing.assert_allclose(full[..., y], ref, rtol=1e-10, atol=1e-13 * np.abs(ref).max())
    feats = torch.rand(
        batch,
        arch.n_inputs,
        arch.n_features,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(seed),
    )
    with torch.no_grad():
        scores = model.circuit(feats).numpy()
    np.testing.assert_allclose(tn.contract(feats, output=None), scores, rtol=1e-9, atol=1e-14 * np.abs(scores).max())
    np.testing.assert_allclose(
        convac.contract(tn, feats.numpy(), output=0),
        scores[:, 0],
        rtol=1e-9,
        atol=1e-14 * np.abs(scores).max(),
    )


def _relative_to_circuit(tn: convac.ConvACTensorNetwork, model: object, feats: torch.Tensor, **kw: object) -> float:
    mant, exp = tn.contract(feats, output=None, return_exponent=True, **kw)
    with torch.no_grad():
        m2, e2 = model.circuit(feats, return_exponent=True)  # type: ignore[attr-defined]
    m2 = m2.numpy()
    shift = (exp - e2.numpy()).astype(float)[:, None]
    return float(np.max(np.abs(mant * np.exp2(shift) - m2) / np.abs(m2).max(axis=1, keepdims=True)))


@pytest.mark.slow
def test_contraction_equals_forward_at_4096_inputs_beyond_float_range() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=4096, n_features=2, channels=[2] * 12, n_outputs=2)
    model = _model(arch, seed=3)
    tn = convac.to_tensor_network(model)
    feats = torch.rand(2, 4096, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, exp = tn.contract(feats, output=None, return_exponent=True)
    # The scores are far outside float64's range: only mantissa + exponent hold them.
    assert np.all(np.abs(exp) > 1100)
    assert _relative_to_circuit(tn, model, feats) < 1e-8


def test_contraction_2d_64_inputs_and_shallow_many_inputs() -> None:
    for arch in (
        convac.Architecture.deep_2d(height=16, width=16, n_features=3, channels=[2, 3, 2, 2], n_outputs=2),
        convac.Architecture.shallow(n_inputs=300, n_features=2, hidden=4, n_outputs=2),
    ):
        model = _model(arch, seed=1)
        tn = convac.to_tensor_network(model)
        feats = torch.rand(3, arch.n_inputs, arch.n_features, dtype=torch.float64)
        assert _relative_to_circuit(tn, model, feats) < 1e-8
        assert _relative_to_circuit(tn, model, feats, optimize="greedy") < 1e-8


def test_path_optimisers_agree() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2])
    model = _model(arch, seed=5)
    tn = convac.to_tensor_network(model)
    ref = convac.coefficient_tensor(model)
    import opt_einsum as oe

    for opt in ("greedy", "tree", "optimal", oe.DynamicProgramming()):
        np.testing.assert_allclose(tn.contract(optimize=opt), ref, rtol=1e-10, atol=1e-15)


def test_quimb_export_equals_coefficient_tensor() -> None:
    import quimb.tensor as qtn

    for arch in (
        convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2], n_outputs=2),
        convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[2, 3]),
        convac.Architecture.shallow(n_inputs=9, n_features=2, hidden=5, n_outputs=2),  # δ with 10 legs: a chain
    ):
        model = _model(arch, seed=2)
        tn = convac.to_tensor_network(model)
        q = tn.to_quimb()
        assert isinstance(q, qtn.TensorNetwork)
        assert len(q.select_tensors("DELTA")) >= arch.n_inputs // arch.pool_size
        dense = q.contract(output_inds=[*tn.input_inds, "y"], optimize="greedy").data
        for y in range(arch.n_outputs):
            ref = convac.coefficient_tensor(model, y)
            np.testing.assert_allclose(dense[..., y], ref, rtol=1e-10, atol=1e-14 * np.abs(ref).max())
        one = tn.to_quimb(output=0).contract(output_inds=list(tn.input_inds), optimize="greedy").data
        np.testing.assert_allclose(one, convac.coefficient_tensor(model, 0), rtol=1e-10, atol=1e-14)


def test_draw_writes_png(tmp_path: object) -> None:
    import matplotlib.image as mpimg

    from convac.tensornet._drawing import tree_layout

    arch = convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 2])
    tn = convac.to_tensor_network(_model(arch))
    path = tmp_path / "tn.png"  # type: ignore[operator]
    tn.draw(path)
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    pos = tree_layout(tn)
    # A tree layout: every tensor is above the tensors and inputs it joins below.
    assert pos["out"][1] > pos["delta1_0"][1] > pos["W1_0"][1] > pos["delta0_0"][1] > pos["W0_0"][1] > pos["in0"][1]
    xs = sorted(pos[f"in{p}"][0] for p in range(16))
    assert xs == [float(i) for i in range(16)]
    # The four inputs of the first 2x2 window are adjacent leaves.
    assert sorted(pos[f"in{p}"][0] for p in (0, 1, 4, 5)) == [0.0, 1.0, 2.0, 3.0]


def test_bad_input() -> None:
    arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2], n_outputs=2)
    tn = convac.to_tensor_network(_model(arch))
    with pytest.raises(TypeError, match="DeepConvAC or ShallowConvAC"):
        convac.to_tensor_network("model")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ConvACTensorNetwork"):
        convac.contract("tn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="output must be"):
        tn.contract(output=2)
    with pytest.raises(InputError, match="features must have shape"):
        tn.contract(np.zeros((1, 5, 2)))
    with pytest.raises(InputError, match="NaN"):
        tn.contract(np.full((1, 4, 2), np.nan))
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        tn.contract([[0.0]])
    big = convac.to_tensor_network(_model(convac.Architecture.deep_1d(n_inputs=64, n_features=2, channels=[2] * 6)))
    with pytest.raises(TooLargeError, match="M\\^N"):
        big.contract()
    with pytest.raises(KeyError):
        tn.tensor("nope")
    assert math.prod(tn.contract().shape) == 16


def test_unknown_optimizer_is_refused_up_front() -> None:
    # B24: cotengra's KeyError used to escape; now one InputError naming the allowed presets.
    from convac.errors import InputError

    arch = convac.Architecture.deep_1d(16, 2, [4, 4, 2, 2])
    tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    allowed = r"optimize must be 'auto', 'tree', a cotengra or opt_einsum preset \(.*'greedy'.*\)"
    with pytest.raises(InputError, match=allowed + r", or an optimiser object, got 'bogus'"):
        tn.contract(optimize="bogus")
    with pytest.raises(InputError, match="got 'bogus'"):
        convac.contract(tn, optimize="bogus")
    # presets of either library still pass
    assert tn.contract(optimize="greedy").shape == (2,) * 16
    assert tn.contract(optimize="branch-1").shape == (2,) * 16
