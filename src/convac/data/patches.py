"""Turning images into the patch sequences a ConvAC reads."""

from __future__ import annotations

import torch

from convac._validation import positive_int
from convac.errors import ConvacTypeError, InputError

__all__ = ["image_patches"]


def image_patches(images: torch.Tensor, size: int = 1) -> torch.Tensor:
    """Every pixel's ``size x size`` neighbourhood (zero-padded, stride 1) as one patch.

    ``images`` has shape (batch, height, width) or (batch, channels, height, width); the
    result has shape (batch, height * width, channels * size * size), positions row-major.

    Examples
    --------
    >>> import torch
    >>> image_patches(torch.arange(4.0).view(1, 2, 2), size=1).squeeze(-1)
    tensor([[0., 1., 2., 3.]])
    >>> image_patches(torch.ones(2, 4, 4), size=3).shape
    torch.Size([2, 16, 9])
    """
    if not isinstance(images, torch.Tensor):
        raise ConvacTypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dim() != 4:
        raise InputError(f"images must have shape (batch, [channels,] height, width), got {tuple(images.shape)}")
    if positive_int(size, "patch size") % 2 == 0:
        raise InputError(f"patch size must be a positive odd integer, got {size}")
    if not images.is_floating_point():
        images = images.float()
    cols = torch.nn.functional.unfold(images, kernel_size=size, padding=size // 2)  # (B, C*s*s, H*W)
    return cols.transpose(1, 2).contiguous()
