"""The shallow ConvAC: one 1x1 conv layer of Z channels and global product pooling (CP decomposition)."""

from __future__ import annotations

import torch

from convac.models import functional as F
from convac.models.base import ConvACBase

__all__ = ["ShallowConvAC"]


class ShallowConvAC(ConvACBase):
    """A shallow ConvAC: ``h_y = sum_z a_z prod_j <w_{j,z}, v_j>``, a CP decomposition of rank Z.

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.shallow(n_inputs=6, n_features=2, hidden=3)
    >>> convac.ShallowConvAC(arch, representation="onehot", seed=0)(torch.zeros(4, 6, dtype=torch.long)).shape
    torch.Size([4, 1])
    """

    kind = "shallow"

    def _scaled_scores(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, exponent = F.normalize(features, torch.zeros(features.shape[0], dtype=torch.int64))
        x, exponent = F.normalize(F.pointwise_conv(x, self.conv_weight(0)), exponent)
        x, exponent = F.global_product_pool(x, exponent)
        return x[:, 0, :] @ self.output, exponent
