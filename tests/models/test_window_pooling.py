"""Models, coefficient tensor, tensor network and entanglement on any pooling schedule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convac
from convac import Architecture, DeepConvAC, Partition
from convac.models import functional as F

ARCHS = [
    Architecture.deep_1d(12, 2, [3, 2, 2], windows=[2, 3, 2], n_outputs=2),
    Architecture.deep_1d(12, 2, [2, 3], windows=[4, 3], shared=True),
    Architecture.deep_2d(6, 2, 2, [3, 2], windows=[(2, 1), (3, 2)]),
    Architecture.deep_2d(4, 3, 2, [2, 3], windows=[(2, 3), (2, 1)], n_outputs=2),
    Architecture.deep_2d(3, 3, 2, [3], windows=[(3, 3)]),  # one 9-wide window: the pairwise path
]


def _contract(tensor: np.ndarray, features: np.ndarray) -> np.ndarray:
    out = np.broadcast_to(tensor, (features.shape[0], *tensor.shape))
    for j in range(features.shape[1]):
        out = np.einsum("bi...,bi->b...", out, features[:, j])
    return out


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: f"{a.grid}-{a.windows}")
def test_forward_equals_coefficient_tensor_and_network(arch: Architecture) -> None:
    model = DeepConvAC(arch, seed=3, weights="signed").double()
    g = torch.Generator().manual_seed(0)
    feats = torch.rand(5, arch.n_inputs, arch.n_features, generator=g, dtype=torch.float64) * 2 - 0.5
    scores = model.circuit(feats).detach().numpy()
    tn = convac.to_tensor_network(model)
    for y in range(arch.n_outputs):
        tensor = convac.coefficient_tensor(model, output=y)
        expected = _contract(tensor, feats.numpy())
        np.testing.assert_allclose(scores[:, y], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
        np.testing.assert_allclose(tn.contract(output=y), tensor, rtol=1e-9, atol=1e-13 * np.abs(tensor).max())


def test_quimb_export_has_one_delta_per_window() -> None:
    import quimb.tensor as qtn

    arch = ARCHS[2]
    model = DeepConvAC(arch, seed=1, weights="signed").double()
    tn = convac.to_tensor_network(model)
    deltas = [t for t in tn.tensors if t.kind == "delta"]
    # a delta per window, with one leg per pooled child plus one up
    assert [len(t.inds) for t in deltas] == [3] * 6 + [7]
    q = tn.to_quimb(output=0)
    assert isinstance(q, qtn.TensorNetwork)
    dense = q.contract(output_inds=list(tn.input_inds), optimize="greedy").data
    np.testing.assert_allclose(dense, convac.coefficient_tensor(model, 0), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("arch", [a for a in ARCHS if a.n_inputs <= 12], ids=lambda a: f"{a.grid}-{a.windows}")
def test_dense_and_network_entanglement_agree(arch: Architecture) -> None:
    model = DeepConvAC(arch, seed=5, weights="signed").double()
    for part in (Partition.left_right(arch), Partition.interleaved(arch), Partition.random(arch, seed=2)):
        dense = convac.entanglement(model, part, method="dense")
        net = convac.entanglement(model, part, method="network")
        k = len(net.schmidt_values)
        np.testing.assert_allclose(net.schmidt_values, dense.schmidt_values[:k], rtol=1e-8, atol=1e-12)
        assert dense.schmidt_values[k:].max(initial=0.0) < 1e-10
        assert net.schmidt_rank <= convac.min_cut(arch, part).value


def test_large_windows_keep_float32_in_range() -> None:
    # 49 factors of 2**-4 per window: 2**-196 is far below float32, but not for the pairwise path.
    x = torch.full((2, 98, 3), 2.0**-4)
    zero = torch.zeros(2, dtype=torch.int64)
    mantissa, exponent = F.window_product_pool(x, zero, (14, 7), (7, 7))
    assert mantissa.shape == (2, 2, 3)
    assert torch.all(mantissa == 0.5) and torch.all(exponent == 2 * (-196 + 1))
    assert torch.all(F.product_pool(x, (14, 7), (7, 7)) == 0)  # the direct product underflows


def test_window_product_pool_equals_product_pool_in_range() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 24, 2, generator=g, dtype=torch.float64) + 0.5
    zero = torch.zeros(3, dtype=torch.int64)
    for grid, window in (((6, 4), (3, 2)), ((24,), (4,)), ((6, 4), (2, 4))):
        direct = F.product_pool(x, grid, window)
        mantissa, exponent = F.window_product_pool(x, zero, grid, window)
        # the exponent is the sample's: the value is the product over all positions
        assert mantissa.shape == direct.shape
        torch.testing.assert_close(mantissa.prod(dim=1) * 2.0 ** exponent[:, None].double(), direct.prod(dim=1))


def test_28x28_model_float32_matches_float64() -> None:
    arch = Architecture.deep_2d(28, 28, 2, [3, 3, 2], windows=[(2, 2), (2, 2), (7, 7)], n_outputs=2)
    model = DeepConvAC(arch, seed=0, weights="signed")
    images = torch.rand(3, 784, 1, generator=torch.Generator().manual_seed(1))
    assert model(images).shape == (3, 2)
    feats = model.representation(images)

    def log2_scores(m: DeepConvAC, f: torch.Tensor) -> np.ndarray:
        mantissa, exponent = m.circuit(f, return_exponent=True)
        return np.log2(np.abs(mantissa.detach().double().numpy())) + exponent.numpy()[:, None]

    single = log2_scores(model, feats)
    double = log2_scores(model.double(), feats.double())
    assert np.all(np.isfinite(single))
    np.testing.assert_allclose(single, double, atol=1e-3)
