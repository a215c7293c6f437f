"""The two model families of the inductive-bias experiment, built from a family name.

* ``relu``: :class:`~convac.models.relu_convnet.ReLUConvNet`, the paper's network.
* ``convac``: the same geometry as a ConvAC: 3x3 pixel patches -> 10 Gaussian features
  (the ConvAC analogue of a 3x3 conv with 10 channels), six layers of [shared 1x1 conv ->
  2x2 product pool], 10 outputs; trained through ``logits``. ``weights="positive"`` (default,
  log-scores as logits) or ``"signed"`` (unit score vector times a learned temperature).

>>> import torch
>>> net = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0)
>>> net(torch.zeros(2, 1, 64, 64)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from convac.architecture import Architecture
from convac.data.patches import image_patches
from convac.errors import ConvacError, InputError
from convac.models.deep import DeepConvAC
from convac.models.relu_convnet import ReLUConvNet
from convac.models.representation import GaussianRepresentation, all_finite

__all__ = ["FAMILIES", "ConvACImageNet", "build_family_model"]

FAMILIES = ("relu", "convac")


class ConvACImageNet(nn.Module):
    """A 2D deep ConvAC reading single-channel images through 3x3 patches; ``forward`` gives logits."""

    def __init__(
        self,
        channels: Sequence[int],
        image_size: int = 64,
        n_features: int = 10,
        seed: int | None = None,
        weights: str = "positive",
    ) -> None:
        super().__init__()
        arch = Architecture.deep_2d(
            image_size, image_size, n_features=n_features, channels=list(channels), n_outputs=10, shared=True
        )
        self.convac = DeepConvAC(arch, representation="gaussian", patch_dim=9, seed=seed, weights=weights)

    @torch.no_grad()
    def initialize_from(self, images: torch.Tensor, seed: int = 0) -> None:
        """Data-dependent init of the Gaussian means/scales from training images (batch, 1, H, W)."""
        rep = self.convac.representation_layer
        assert isinstance(rep, GaussianRepresentation)
        rep.initialize_from(image_patches(images, 3), seed=seed)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The Gaussian features of every pixel's 3x3 patch, (batch, H*W, M).

        Equal to ``representation_layer(image_patches(x, 3))``, computed as two 3x3 convolutions
        (of x^2 and of x) instead of unfolding patches (benchmarks/README.md: step ratio 1.59 -> 1.54).
        """
        if x.dim() == 3:
            x = x.unsqueeze(1)
        rep = self.convac.representation_layer
        assert isinstance(rep, GaussianRepresentation)
        if x.dim() != 4 or x.shape[1] != 1 or not x.is_floating_point():
            raise ConvacError(f"images must be float (batch, 1, H, W) or (batch, H, W), got {tuple(x.shape)} {x.dtype}")
        if not all_finite(x):
            raise InputError("images contain NaN or infinite values; clean or impute them first")
        a, b, c = rep.quadratic_form()  # (M, 9), (M, 9), (M,)
        m = rep.n_features
        quad = (
            nn.functional.conv2d(x * x, a.view(m, 1, 3, 3), padding=1)
            - 2.0 * nn.functional.conv2d(x, b.view(m, 1, 3, 3), padding=1)
            + c.view(1, m, 1, 1)
        )
        return rep.features_from_quadratic(quad, dim=1).flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convac.feature_logits(self.features(x))


def build_family_model(
    family: str, channels: Sequence[int], seed: int, image_size: int = 64, convac_weights: str = "positive"
) -> nn.Module:
    """A fresh model of ``family`` (``relu`` or ``convac``) with the given channel schedule.

    ``convac_weights`` (``positive`` or ``signed``) is the ConvAC family's weight kind; the ReLU
    family ignores it.
    """
    if family == "relu":
        return ReLUConvNet(channels, image_size=image_size, seed=seed)
    if family == "convac":
        return ConvACImageNet(channels, image_size=image_size, seed=seed, weights=convac_weights)
    raise ConvacError(f"unknown model family {family!r}; allowed: {', '.join(FAMILIES)}")
