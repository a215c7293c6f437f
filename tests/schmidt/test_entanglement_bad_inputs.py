"""Bad inputs of convac.entanglement (B19, B20): one convac error each, raised before any work."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convac
from convac.errors import ConvacTypeError, InputError

ARCH = convac.Architecture.deep_1d(16, 2, [4, 4, 2, 2])


@pytest.mark.parametrize("max_cut", [-1, 0])
def test_max_cut_must_be_positive(max_cut):
    # B19: -1 gave "math domain error" from log2 in the error message.
    model = convac.DeepConvAC(ARCH, seed=0)
    with pytest.raises(InputError, match=f"^max_cut must be a positive integer, got {max_cut}$"):
        convac.entanglement(model, convac.Partition.left_right(ARCH), method="network", max_cut=max_cut)


def test_max_cut_must_be_an_integer():
    model = convac.DeepConvAC(ARCH, seed=0)
    with pytest.raises(ConvacTypeError, match=r"^max_cut must be a positive integer, got float 2\.5$"):
        convac.entanglement(model, convac.Partition.left_right(ARCH), max_cut=2.5)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("method", ["dense", "network", "auto"])
def test_non_finite_weights_are_named_before_any_svd(bad, method, monkeypatch):
    # B20: NaN weights ended in "SVD did not converge".
    model = convac.DeepConvAC(ARCH, seed=0).double()
    with torch.no_grad():
        model.output_raw[0, 0] = bad
    monkeypatch.setattr(np.linalg, "svd", lambda *a, **k: pytest.fail("an SVD ran on non-finite weights"))
    with pytest.raises(InputError, match=r"^the model's weights must be finite, but layer 4 has 1 NaN or infinite"):
        convac.entanglement(model, convac.Partition.left_right(ARCH), method=method)


def test_all_nan_weights():
    model = convac.DeepConvAC(ARCH, seed=0).double()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    with pytest.raises(InputError, match="weights must be finite"):
        convac.entanglement(model, convac.Partition.left_right(ARCH))
