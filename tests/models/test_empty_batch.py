"""An empty batch is a valid input: the result is an empty (0, n_outputs) tensor (B13)."""

from __future__ import annotations

import pytest
import torch

import convac

DEEP_1D = convac.Architecture.deep_1d(16, 2, [4, 4, 2, 2])
DEEP_2D = convac.Architecture.deep_2d(8, 8, n_features=3, channels=[2, 2, 2], n_outputs=3)
SHALLOW = convac.Architecture.shallow(16, 2, 4, n_outputs=2)


@pytest.mark.parametrize(
    ("model", "patches"),
    [
        (convac.DeepConvAC(DEEP_1D, seed=0), torch.randn(0, 16, 1)),
        (convac.DeepConvAC(DEEP_2D, seed=0, weights="signed"), torch.randn(0, 8, 8, 1)),
        (convac.ShallowConvAC(SHALLOW, seed=0), torch.randn(0, 16, 1)),
        (convac.DeepConvAC(DEEP_1D, representation="onehot", seed=0), torch.zeros(0, 16, dtype=torch.int64)),
    ],
)
def test_empty_batch_gives_empty_scores(model, patches):
    n_outputs = model.arch.n_outputs
    features = model.representation(patches)
    assert features.shape == (0, model.arch.n_inputs, model.arch.n_features)
    assert model(patches).shape == (0, n_outputs)
    assert model.circuit(features).shape == (0, n_outputs)
    assert model.logits(patches).shape == (0, n_outputs)
    mantissa, exponent = model.circuit(features, return_exponent=True)
    assert mantissa.shape == (0, n_outputs) and exponent.shape[0] == 0


def test_empty_batch_among_others_changes_nothing():
    model = convac.DeepConvAC(DEEP_1D, seed=0)
    x = torch.randn(3, 16, 1)
    assert torch.equal(model(torch.cat([x, x[:0]])), model(x))
