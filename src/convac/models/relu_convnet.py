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
from typing import Literal

import torch
from torch import nn

from convac._validation import choice, model_size, positive_int
from convac.errors import ArchitectureError, InputError, InternalError

__all__ = ["INK_TESTS", "INK_TOLERANCE", "ReLUConvNet"]

INK_TESTS = ("tolerance", "exact")
"""How :meth:`ReLUConvNet.initialize_from` finds ink positions (``exact``: protocol version 1 only)."""

INK_TOLERANCE = 1e-4
"""A position is ink where it differs from the blank canvas by more than this times the layer's largest
activation. Float rounding of a 1x1 conv is ~1e-7 relative per input channel, so 1e-4 leaves a
margin of 1,000 for a few dozen channels, and a real difference below it cannot move a median."""


def _ink_mask(x: torch.Tensor, grow: bool) -> torch.Tensor:
    """Positions (B, H, W) of ``x[:-1]`` that differ from the blank canvas ``x[-1]`` beyond the tolerance.

    ``grow``: the 3x3 representation sees ink within one pixel, so the input's ink grows by one.
    """
    diff = (x[:-1] - x[-1:]).abs().amax(dim=1)
    scale = float(x.abs().amax())
    ink = diff > INK_TOLERANCE * scale
    if grow:
        ink = nn.functional.max_pool2d(ink.float().unsqueeze(1), 3, 1, 1).squeeze(1) > 0
    return ink


def _calibrate(conv: nn.Conv2d, values: torch.Tensor) -> None:
    """Scale ``conv``'s channels to unit std over ``values`` (C, n_ink) and shift each to its median."""
    scale = values.std(dim=1).clamp_min(1e-6)
    conv.weight.div_(scale.view(-1, *([1] * (conv.weight.dim() - 1))))
    if conv.bias is None:
        raise InternalError("the ReLU net's convolutions are built with biases")
    conv.bias.copy_(-values.median(dim=1).values / scale)


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
    def initialize_from(
        self, images: torch.Tensor, ink: Literal["tolerance", "exact"] = "tolerance", chunk: int | None = None
    ) -> list[float]:
        """Data-dependent init (after Krähenbühl et al. 2016), layer by layer on a probe batch.

        The canvases are ~99 % black and every input to a hidden 1x1 conv is non-negative, so a
        channel whose weights happen to sum negative is dead on *every* image; with a narrow
        layer (r = 2 or 4) a whole layer can die and the net's output no longer depends on the
        image (measured: half of the wide-base r <= 4 nets of the first quick run). Here each
        channel is scaled to unit standard deviation and shifted so that its pre-activation is
        positive on half of the *ink* positions (those that differ from an empty canvas), so
        every channel starts alive and selective.

        ``ink="tolerance"`` (default) pushes an empty canvas through the layers in the same batch as
        the probe and counts a position as ink where some channel differs from it by more than
        :data:`INK_TOLERANCE` times the layer's largest activation, so float rounding (which
        depends on the batch size and on which CPU kernels run) never makes a blank position ink.
        ``ink="exact"`` is the test of protocol version 1, kept to reproduce its results: exact float
        equality with an empty canvas computed in a batch of its own, which from the second hidden
        layer on counts nearly every position as ink on some machines and not on others.
        ``chunk`` pushes the probe through in pieces of that many images (the result is the same up
        to float rounding). Returns the fraction of positions counted as ink at each layer's input.

        Examples
        --------
        >>> import torch
        >>> images = torch.zeros(4, 1, 64, 64)
        >>> images[:, 0, 8:14, 20:25] = 1.0
        >>> fractions = ReLUConvNet([2, 2, 2, 2, 2, 2], seed=0).initialize_from(images)
        >>> [round(f, 4) for f in fractions[:3]]
        [0.0137, 0.0137, 0.0166]
        """
        choice(ink, "ink", INK_TESTS)
        if images.dim() == 3:
            images = images.unsqueeze(1)
        if ink == "exact":
            return self._initialize_exact(images)
        size = len(images) if chunk is None else positive_int(chunk, "chunk")
        blank = torch.zeros_like(images[:1]).float()
        # Each piece carries its own blank canvas as its last image: the reference goes through the same kernels.
        pieces = [torch.cat([piece.float(), blank]) for piece in images.split(size)]
        fractions = []
        for i, conv in enumerate([self.representation, *self.hidden]):
            masks = [_ink_mask(x, grow=i == 0) for x in pieces]
            n_ink = sum(int(m.sum()) for m in masks)
            fractions.append(n_ink / sum(m.numel() for m in masks))
            if n_ink > 1:  # with no ink left there is nothing to calibrate on; keep He init
                bias = conv.bias.view(1, -1, 1, 1)
                values = torch.cat(
                    [(conv(x[:-1]) - bias).permute(1, 0, 2, 3)[:, m] for x, m in zip(pieces, masks, strict=True)],
                    dim=1,
                )
                _calibrate(conv, values)
            pieces = [torch.relu(conv(x)) for x in pieces]
            if i > 0:
                pieces = [nn.functional.max_pool2d(x, 2) for x in pieces]
        return fractions

    def _initialize_exact(self, images: torch.Tensor) -> list[float]:
        """Run the init of protocol version 1 (ink by exact float equality); see :meth:`initialize_from`."""
        x, empty = images.float(), torch.zeros_like(images[:1]).float()
        fractions = []
        for i, conv in enumerate([self.representation, *self.hidden]):
            z = conv(x) - conv.bias.view(1, -1, 1, 1)
            ink = (x - empty).abs().sum(dim=1) > 0  # (B, H, W) positions that differ from background
            if i == 0:  # the 3x3 representation sees ink within one pixel
                ink = nn.functional.max_pool2d(ink.float().unsqueeze(1), 3, 1, 1).squeeze(1) > 0
            fractions.append(float(ink.float().mean()))
            if int(ink.sum()) > 1:
                _calibrate(conv, z.permute(1, 0, 2, 3)[:, ink])
            x, empty = torch.relu(conv(x)), torch.relu(conv(empty))
            if i > 0:
                x, empty = nn.functional.max_pool2d(x, 2), nn.functional.max_pool2d(empty, 2)
        return fractions

    def hidden_output_weights(self) -> int:
        """Return the number of weights (no biases) in the hidden 1x1 convs and the output layer."""
        convs = [c for c in self.hidden if isinstance(c, nn.Conv2d)]
        return sum(c.weight.numel() for c in convs) + self.output.weight.numel()
