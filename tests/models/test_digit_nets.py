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
