"""The deep ConvAC: L layers of 1x1 conv + product pooling (hierarchical Tucker)."""

from __future__ import annotations

import torch

from convac.models import functional as F
from convac.models.base import ConvACBase

__all__ = ["DeepConvAC"]

# Up to this many normalised factors are multiplied at once; larger windows (e.g. 7x7) are
# reduced pairwise with renormalisation so no partial product leaves float32's range.
_DIRECT_POOL = 8


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

    def _scaled_scores(
        self, features: torch.Tensor, peak_at_most_one: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # peak_at_most_one: the caller guarantees |features| <= 1 (e.g. max-normalised Gaussian
        # features), which is all conv_pool needs, so the first renormalisation pass is skipped.
        arch = self.arch
        exponent = torch.zeros(features.shape[0], dtype=torch.int64, device=features.device)
        x = features
        if not peak_at_most_one:
            x, exponent = F.normalize(features, exponent)
        for layer in range(arch.depth):
            grid, window = arch.layer_grid(layer), arch.windows[layer]
            if arch.pool_sizes[layer] <= _DIRECT_POOL:
                x, exponent = F.conv_pool(x, exponent, self.conv_weight(layer), grid, window)
            else:
                x, exponent = F.normalize(F.pointwise_conv(x, self.conv_weight(layer)), exponent)
                x, exponent = F.window_product_pool(x, exponent, grid, window)
        return x[:, 0, :] @ self.output, exponent
