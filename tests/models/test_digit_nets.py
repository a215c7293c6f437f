"""The experiment's ConvAC twin: its convolutional Gaussian features equal the patch-based layer."""

import pytest
import torch

from convac.data.patches import image_patches
from convac.errors import ConvacError, InputError
from convac.models.digit_nets import ConvACImageNet


def test_conv_features_equal_patch_features_and_logits():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(3, 1, 64, 64, generator=g) > 0.9).float() * torch.rand(3, 1, 64, 64, generator=g)
    net = ConvACImageNet([1, 1, 2, 2, 4, 4], seed=0)
    net.initialize_from(x)
    patches = image_patches(x, 3)
    reference = net.convac.representation_layer(patches)
    torch.testing.assert_close(net.features(x), reference, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(net(x), net.convac.logits(patches), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(net(x[:, 0]), net(x))  # (batch, H, W) is read as one channel


def test_conv_features_reject_bad_images():
    net = ConvACImageNet([1, 1, 2, 2, 4, 4], seed=0)
    with pytest.raises(ConvacError, match="images must be float"):
        net(torch.zeros(2, 3, 64, 64))
    with pytest.raises(ConvacError, match="images must be float"):
        net(torch.zeros(2, 1, 64, 64, dtype=torch.long))
    with pytest.raises(InputError, match="NaN or infinite"):
        net(torch.full((2, 1, 64, 64), float("nan")))


def test_family_model_weight_kind():
    from convac.models.digit_nets import build_family_model

    positive = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0)
    signed = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="signed")
    assert positive.convac.weights == "positive" and signed.convac.weights == "signed"
    x = (torch.rand(2, 1, 64, 64) > 0.9).float()
    signed.initialize_from(x)
    logits = signed(x)
    torch.testing.assert_close(logits.norm(dim=1), signed.convac.temperature.detach().expand(2))
    # the ReLU family ignores the ConvAC weight kind
    relu_a = build_family_model("relu", [1, 1, 2, 2, 4, 4], seed=0)
    relu_b = build_family_model("relu", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="signed")
    assert all(torch.equal(a, b) for a, b in zip(relu_a.parameters(), relu_b.parameters(), strict=True))
    with pytest.raises(InputError, match="weights must be 'positive' or 'signed'"):
        build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="mixed")
