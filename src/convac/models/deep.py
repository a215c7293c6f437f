"""The deep ConvAC: L layers of 1x1 conv + product pooling (hierarchical Tucker)."""

from __future__ import annotations

import torch

from convac.models import functional as F
from convac.models.base import ConvACBase

__all__ = ["DeepConvAC"]


class DeepConvAC(ConvACBase):
    """A deep convolutional arithmetic circuit, 1D or 2D, shared or locally connected.

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[4, 4, 2], n_outputs=2)
    >>> model = convac.DeepConvAC(arch, representation="onehot", seed=0)
    >>> model(torch.randint(0, 3, (5, 8))).shape
    torch.Size([5, 2])
    """

    kind = "deep"

    def _scaled_scores(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        arch = self.arch
        x, exponent = F.normalize(features, torch.zeros(features.shape[0], dtype=torch.int64))
        for layer in range(arch.depth):
            x, exponent = F.normalize(F.pointwise_conv(x, self.conv_weight(layer)), exponent)
            x, exponent = F.normalize(F.product_pool(x, arch.layer_grid(layer), arch.window), exponent)
        return x[:, 0, :] @ self.output, exponent
