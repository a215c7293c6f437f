"""The paper's ReLU ConvNet (Levine et al. 2018, §6 of the notes) for any channel schedule.

Layout for a ``2**L x 2**L`` single-channel image and channels ``r_0..r_{L-1}``:

* representation: 3x3 conv, 10 channels, stride 1, same padding, then ReLU;
* ``L`` hidden layers of [1x1 conv -> ReLU -> 2x2 max-pool, stride 2], shrinking the grid to 1x1;
* a linear output layer to 10 classes.

Biases: every conv and the output layer have them (standard practice; the paper does not
say). The paper's weight count ``31 r^2 + 50 r`` for wide-base / wide-tip covers the
*weight matrices* of the hidden and output layers only; :meth:`ReLUConvNet.hidden_output_weights`
returns exactly that number, and ``sum(p.numel() for p in model.parameters())`` the total.

Examples
--------
>>> import torch
>>> from convac.spec._paper import wide_tip
>>> net = ReLUConvNet(wide_tip(2), image_size=64, seed=0)
>>> net(torch.zeros(3, 1, 64, 64)).shape
torch.Size([3, 10])
>>> net.hidden_output_weights() == 31 * 2**2 + 50 * 2
True
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from convac._validation import model_size, positive_int
from convac.errors import ArchitectureError, InputError

__all__ = ["ReLUConvNet"]


class ReLUConvNet(nn.Module):
    """Representation conv + ``len(channels)`` x [1x1 conv, ReLU, 2x2 max-pool] + linear output.

    ``image_size`` must be ``2 ** len(channels)`` so the last pool leaves one position,
    as in the paper (64 = 2**6). ``seed`` fixes the initial weights without touching the
    global RNG.

    Examples
    --------
    >>> import torch
    >>> net = ReLUConvNet([4, 4, 2, 2, 1, 1], seed=0)
    >>> net(torch.zeros(2, 1, 64, 64)).shape, net.hidden_output_weights() == 31 + 50
    (torch.Size([2, 10]), True)
    """

    def __init__(
        self,
        channels: Sequence[int],
        image_size: int = 64,
        n_outputs: int = 10,
        rep_channels: int = 10,
        kernel: int = 3,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        channels = [positive_int(c, f"channels[{i}]", error=ArchitectureError) for i, c in enumerate(channels)]
        if not channels:
            raise ArchitectureError("channels must list at least one width, got none")
        n_outputs = positive_int(n_outputs, "n_outputs", error=ArchitectureError)
        rep_channels = positive_int(rep_channels, "rep_channels", error=ArchitectureError)
        kernel = positive_int(kernel, "kernel", error=ArchitectureError)
        if image_size != 2 ** len(channels):
            raise ArchitectureError(
                f"{len(channels)} pooling layers need a {2 ** len(channels)}x{2 ** len(channels)} image, "
                f"got image_size={image_size}"
            )
        widths = [rep_channels, *channels]
        n_params = (kernel * kernel + 1) * rep_channels + sum((a + 1) * b for a, b in itertools.pairwise(widths))
        model_size(f"ReLUConvNet with channels {channels}", n_params + (channels[-1] + 1) * n_outputs)
        self.channels, self.image_size, self.n_outputs = channels, image_size, n_outputs
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.representation = nn.Conv2d(1, rep_channels, kernel, padding=kernel // 2)
            widths = [rep_channels, *channels]
            self.hidden = nn.ModuleList(nn.Conv2d(a, b, 1) for a, b in itertools.pairwise(widths))
            self.output = nn.Linear(channels[-1], n_outputs)
            # He init: torch's default (gain for leaky slope sqrt(5)) shrinks the signal about
            # 1.7x per layer, and the canvases are ~99 % black, so after seven layers the logits
            # barely depend on the image and training stalls at chance.
            for conv in [self.representation, *self.hidden]:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (batch, 1, H, W) or (batch, H, W) -> logits (batch, n_outputs)."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, self.image_size, self.image_size):
            raise InputError(
                f"images must have shape (batch, [1,] {self.image_size}, {self.image_size}), got {tuple(x.shape)}"
            )
        h = torch.relu(self.representation(x))
        for conv in self.hidden:
            h = nn.functional.max_pool2d(torch.relu(conv(h)), 2)
        return self.output(h.flatten(1))

    @torch.no_grad()
    def initialize_from(self, images: torch.Tensor) -> None:
        """Data-dependent init (after Krähenbühl et al. 2016), layer by layer on a probe batch.

        The canvases are ~99 % black and every input to a hidden 1x1 conv is non-negative, so a
        channel whose weights happen to sum negative is dead on *every* image; with a narrow
        layer (r = 2 or 4) a whole layer can die and the net's output no longer depends on the
        image (measured: half of the wide-base r <= 4 nets of the first quick run). Here each
        channel is scaled to unit standard deviation and shifted so that its pre-activation is
        positive on half of the *ink* positions (those that differ from an empty canvas), so
        every channel starts alive and selective.
        """
        if images.dim() == 3:
            images = images.unsqueeze(1)
        x, empty = images.float(), torch.zeros_like(images[:1]).float()
        layers = [self.representation, *self.hidden]
        for i, conv in enumerate(layers):
            z = conv(x) - conv.bias.view(1, -1, 1, 1)
            ink = (x - empty).abs().sum(dim=1) > 0  # (B, H, W) positions that differ from background
            if i == 0:  # the 3x3 representation sees ink within one pixel
                ink = nn.functional.max_pool2d(ink.float().unsqueeze(1), 3, 1, 1).squeeze(1) > 0
            if int(ink.sum()) > 1:  # with no ink left there is nothing to calibrate on; keep He init
                values = z.permute(1, 0, 2, 3)[:, ink]  # (C, n_ink)
                scale = values.std(dim=1).clamp_min(1e-6)
                conv.weight.div_(scale.view(-1, *([1] * (conv.weight.dim() - 1))))
                conv.bias.copy_(-values.median(dim=1).values / scale)
            x, empty = torch.relu(conv(x)), torch.relu(conv(empty))
            if i > 0:
                x, empty = nn.functional.max_pool2d(x, 2), nn.functional.max_pool2d(empty, 2)

    def hidden_output_weights(self) -> int:
        """Return the number of weights (no biases) in the hidden 1x1 convs and the output layer."""
        convs = [c for c in self.hidden if isinstance(c, nn.Conv2d)]
        return sum(c.weight.numel() for c in convs) + self.output.weight.numel()
