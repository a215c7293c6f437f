"""The two model families of the inductive-bias experiment, built from a family name.

* ``relu``: :class:`~convac.models.relu_convnet.ReLUConvNet`, the paper's network.
* ``convac``: the same geometry as a ConvAC: 3x3 pixel patches -> 10 Gaussian features
  (the ConvAC analogue of a 3x3 conv with 10 channels), six layers of [shared 1x1 conv ->
  2x2 product pool], 10 outputs; trained through ``logits``. ``weights="positive"`` (default,
  log-scores as logits) or ``"signed"`` (unit score vector times a learned temperature).

Examples
--------
>>> import torch
>>> net = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0)
>>> net(torch.zeros(2, 1, 64, 64)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from convac._validation import choice
from convac.data.patches import image_patches
from convac.errors import InputError, InternalError
from convac.models._blank_skip import active_scores, skippable
from convac.models.deep import DeepConvAC
from convac.models.relu_convnet import ReLUConvNet
from convac.models.representation import GaussianRepresentation, all_finite
from convac.spec import Architecture

__all__ = ["FAMILIES", "ConvACImageNet", "build_family_model"]

FAMILIES = ("relu", "convac")
"""Model families of the experiment: the paper's ReLU ConvNet and its ConvAC twin."""

IMAGE_WEIGHTS = ("positive", "signed", "neutral")
"""Weight kinds of :class:`ConvACImageNet`."""


class _NeutralDeepConvAC(DeepConvAC):
    """Positive ConvAC whose every weight column sums to 1 (softmax over the input channels).

    Then the all-ones vector is a fixed point of every layer: ``1 @ W = 1`` and a product of
    ones is one. With features that map a blank patch to ones, a blank region contributes a
    factor of exactly 1 to every channel, at initialisation and throughout training. This is a
    gauge choice, not a restriction beyond one constant per class: any positive ConvAC can be
    brought to this form by rescaling channels layer by layer (positive diagonal matrices
    absorbed into the next layer's rows), leaving a per-class factor at the output, which
    :class:`ConvACImageNet` learns as a class bias.
    """

    def conv_weight(self, layer: int) -> torch.Tensor:
        return torch.softmax(self.conv[layer], dim=-2)

    @property
    def output(self) -> torch.Tensor:
        return torch.softmax(self.output_raw, dim=-2)


# Blank skipping pays per active position (gathers, sorting, small matmuls): it measured 1.4x slower
# than the full circuit with 24 % of the positions active (3 % of the pixels inked at random) and
# 1.4-1.6x faster with 2.4 % (an 8x8 digit on the 64x64 canvas), benchmarks/bench_training_step.py.
_SKIP_MAX_ACTIVE = 1 / 16


def _inked_mask(x: torch.Tensor) -> torch.Tensor:
    """Return (batch, H*W): whether each position's 3x3 patch (zero beyond the edge) holds a nonzero pixel."""
    batch, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    ink = nn.functional.pad(x.detach().reshape(batch, height, width).ne(0), (1, 1, 1, 1))
    # A 3x3 dilation as two passes of three shifted ORs: elementwise on booleans, cheaper than a max-pool.
    rows = ink[:, :, :-2] | ink[:, :, 1:-1] | ink[:, :, 2:]
    return (rows[:, :-2] | rows[:, 1:-1] | rows[:, 2:]).reshape(batch, height * width)


def _patches_at(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Return the 3x3 patches (n, 9) at flat positions ``index``, pixels row-major, zero beyond the edge."""
    batch, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    padded = nn.functional.pad(x.reshape(batch, height, width), (1, 1, 1, 1)).reshape(-1)
    step = torch.arange(-1, 2, device=x.device)
    sample, within = index // (height * width), index % (height * width)
    # Top-left corner of each patch in the padded images, then the 3x3 offsets.
    corner = sample * ((height + 2) * (width + 2)) + (within // width) * (width + 2) + within % width
    offsets = (step.unsqueeze(1) + 1) * (width + 2) + (step + 1)
    return padded[corner.unsqueeze(1) + offsets.reshape(1, 9)]


class ConvACImageNet(nn.Module):
    """A 2D deep ConvAC reading single-channel images through 3x3 patches; ``forward`` gives logits.

    Examples
    --------
    >>> import torch
    >>> net = ConvACImageNet([2, 2, 2, 2, 1, 1], seed=0)
    >>> net(torch.zeros(3, 1, 64, 64)).shape
    torch.Size([3, 10])

    ``weights="neutral"``: positive weights with every column summing to one and features
    divided by those of the blank (all-zero) patch, so a blank patch maps to all ones and a
    blank region multiplies every channel by exactly 1; the scores then depend only on the
    digit's patches, plus a learned per-class bias in the logits. With the other kinds about
    98.6 % of a canvas' patches are blank and their fixed feature vector, raised to the power
    of thousands of positions, dominates every score (README: "The ConvAC family").

    >>> neutral = ConvACImageNet([2, 2, 2, 2, 1, 1], seed=0, weights="neutral")
    >>> bool((neutral.features(torch.zeros(1, 1, 64, 64)) == 1).all())
    True
    """

    def __init__(
        self,
        channels: Sequence[int],
        image_size: int = 64,
        n_features: int = 10,
        seed: int | None = None,
        weights: str = "positive",
    ) -> None:
        super().__init__()
        choice(weights, "weights", IMAGE_WEIGHTS)
        arch = Architecture.deep_2d(
            image_size, image_size, n_features=n_features, channels=list(channels), n_outputs=10, shared=True
        )
        self.neutral = weights == "neutral"
        cls = _NeutralDeepConvAC if self.neutral else DeepConvAC
        self.convac = cls(
            arch,
            representation="gaussian",
            patch_dim=9,
            seed=seed,
            weights="signed" if weights == "signed" else "positive",
        )
        if self.neutral:
            # The blank canvas scores 1 for every class in the neutral gauge; the class prior lives here.
            self.class_bias = nn.Parameter(torch.zeros(10))

    def _gaussian(self) -> GaussianRepresentation:
        rep = self.convac.representation_layer
        if not isinstance(rep, GaussianRepresentation):
            raise InternalError(f"an image net's representation must be Gaussian, found {type(rep).__name__}")
        return rep

    @torch.no_grad()
    def initialize_from(self, images: torch.Tensor, seed: int = 0) -> None:
        """Data-dependent init of the Gaussian means/scales from training images (batch, 1, H, W)."""
        rep = self._gaussian()
        rep.initialize_from(image_patches(images, 3), seed=seed)

    @staticmethod
    def _checked_images(x: torch.Tensor) -> torch.Tensor:
        """``x`` as (batch, 1, H, W), after checking it is a finite float image batch."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4 or x.shape[1] != 1 or not x.is_floating_point():
            raise InputError(f"images must be float (batch, 1, H, W) or (batch, H, W), got {tuple(x.shape)} {x.dtype}")
        if not all_finite(x):
            raise InputError("images contain NaN or infinite values; clean or impute them first")
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the Gaussian features of every pixel's 3x3 patch, (batch, H*W, M).

        Equal to ``representation_layer(image_patches(x, 3))`` up to float rounding, computed as one
        3x3 convolution of the two channels ``x*x`` and ``x`` instead of unfolding patches
        (benchmarks/README.md). The convolution runs channels-last, so its output already has
        the (batch, positions, M) layout of the circuit and needs no transposing copy (forward or
        backward): measured with torch.profiler, those copies and a second convolution were a third
        of the 64x64 training step.
        """
        x = self._checked_images(x)
        rep = self._gaussian()
        a, b, c = rep.quadratic_form()  # (M, 9), (M, 9), (M,)
        m = rep.n_features
        # -quad/2 = (x*x).(-a/2) + x.b - c/2 in one convolution; the neutral kind leaves out c (the
        # blank patch's quadratic form), which divides every feature by its value at the blank
        # patch, so a blank patch gives exactly exp(0) = 1 after the max-normalisation too (a
        # per-patch scalar, which scales all scores alike).
        weight = torch.stack([-0.5 * a, b], dim=1).view(m, 2, 3, 3).contiguous(memory_format=torch.channels_last)
        bias = None if self.neutral else -0.5 * c
        pixels = torch.cat([x * x, x], dim=1).contiguous(memory_format=torch.channels_last)
        log_f = nn.functional.conv2d(pixels, weight, bias, padding=1)
        if rep.normalize:  # as in GaussianRepresentation.features_from_quadratic
            log_f = log_f - log_f.detach().amax(dim=1, keepdim=True)
        features = torch.exp(log_f)
        # (batch, M, H, W) stored channels-last is (batch, H, W, M) in memory: this reshape is a view.
        return features.permute(0, 2, 3, 1).reshape(x.shape[0], -1, m)

    def _active_features(self, x: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features (n, M) at the flat positions ``index`` whose patch is not blank, and the blank features (M,).

        The same numbers as :meth:`features`, up to rounding, from a matrix product of the gathered
        patches instead of a convolution over every pixel; every other position has the blank
        patch's features (exactly 1 in the neutral kind).
        """
        a, b, c = self._gaussian().quadratic_form()
        patches = _patches_at(x, index)
        log_f = (patches * patches) @ (-0.5 * a).T + patches @ b.T
        log_blank = torch.zeros_like(c) if self.neutral else -0.5 * c
        if not self.neutral:
            log_f = log_f + log_blank
        # Max-normalised as features() does (the caller checked rep.normalize).
        log_f = log_f - log_f.detach().amax(dim=1, keepdim=True)
        return torch.exp(log_f), torch.exp(log_blank - log_blank.detach().amax())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the class logits of images ``x`` of shape (batch, 1, H, W)."""
        convac = self.convac
        rep = self._gaussian()
        if rep.normalize and skippable(convac.arch) and x.shape[-1] == x.shape[-2] == convac.arch.grid[0]:
            self._checked_images(x)
            active = _inked_mask(x)
            if int(active.sum()) <= _SKIP_MAX_ACTIVE * active.numel():
                index = active.reshape(-1).nonzero().squeeze(1)
                # Blank regions have one input-independent value per layer (exactly 1 in the neutral
                # kind), so only the positions that see ink are computed (convac.models._blank_skip).
                # Max-normalised features keep every product in float range, as in the full circuit.
                weights = [convac.conv_weight(layer) for layer in range(convac.arch.depth)]
                values, blank = self._active_features(x, index)
                mantissa = active_scores(values, index, blank, x.shape[0], weights, convac.output, convac.arch)
                logits = convac._mantissa_logits(mantissa)
                return logits + self.class_bias if self.neutral else logits
        features = self.features(x)
        if rep.normalize:
            # Max-normalised features peak at exactly exp(0) = 1, all the circuit needs to skip its
            # first renormalisation, and are finite because the images were checked.
            logits = convac._mantissa_logits(convac._scaled_scores(features, peak_at_most_one=True)[0])
        else:
            logits = convac.feature_logits(features)
        return logits + self.class_bias if self.neutral else logits


def build_family_model(
    family: str, channels: Sequence[int], seed: int, image_size: int = 64, convac_weights: str = "positive"
) -> nn.Module:
    """Return a fresh model of ``family`` (``relu`` or ``convac``) with the given channel schedule.

    ``convac_weights`` (``positive``, ``signed`` or ``neutral``, see :class:`ConvACImageNet`) is the
    ConvAC family's weight kind; the ReLU family ignores it.

    Examples
    --------
    >>> type(build_family_model("relu", [2, 2, 4, 4, 8, 8], seed=0)).__name__
    'ReLUConvNet'
    >>> type(build_family_model("convac", [2, 2, 4, 4, 8, 8], seed=0)).__name__
    'ConvACImageNet'
    """
    choice(family, "family", FAMILIES)
    if family == "relu":
        return ReLUConvNet(channels, image_size=image_size, seed=seed)
    if family == "convac":
        return ConvACImageNet(channels, image_size=image_size, seed=seed, weights=convac_weights)
    raise InternalError(f"model family {family!r} is in FAMILIES but has no builder")
