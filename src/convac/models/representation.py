"""Representation layers: the same M functions applied to every input patch.

Each layer maps patches ``x`` of shape (batch, n_inputs, patch_dim) (integer codes of
shape (batch, n_inputs) for :class:`OneHotRepresentation`) to features of shape
(batch, n_inputs, M).

Examples
--------
>>> import torch
>>> rep = make_representation("onehot", n_features=3)
>>> rep(torch.tensor([[0, 2]]))
tensor([[[1., 0., 0.],
         [0., 0., 1.]]])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn

from convac._validation import choice, positive_int, positive_real
from convac.errors import ConvacTypeError, InputError

__all__ = [
    "REPRESENTATIONS",
    "GaussianRepresentation",
    "NeuronRepresentation",
    "OneHotRepresentation",
    "Representation",
    "all_finite",
    "make_representation",
]


def all_finite(x: torch.Tensor) -> bool:
    """Whether every entry is finite, in one pass: min and max propagate NaN and show infinities.

    (``torch.isfinite(x).all()`` takes four passes; on a 64x64 training step it cost ~10 % of the time.)

    Examples
    --------
    >>> import torch
    >>> all_finite(torch.tensor([1.0, -2.0])), all_finite(torch.tensor([1.0, float("nan")]))
    (True, False)
    >>> all_finite(torch.tensor([float("-inf")])), all_finite(torch.empty(0))
    (False, True)
    """
    if x.numel() == 0:
        return True
    low, high = torch.aminmax(x.detach())
    return bool(torch.isfinite(low) & torch.isfinite(high))


class Representation(nn.Module):
    """Base class: validates patches once, then :meth:`encode` maps them to features (batch, n_inputs, M).

    Examples
    --------
    >>> import torch
    >>> rep = make_representation("onehot", n_features=2)
    >>> isinstance(rep, Representation), rep(torch.tensor([[1, 0, 1]])).shape
    (True, torch.Size([1, 3, 2]))
    """

    n_features: int
    patch_dim: int

    def forward(self, x: torch.Tensor, n_inputs: int | None = None) -> torch.Tensor:
        """Check the patches ``x`` (batch, n_inputs, patch_dim) and return their features (batch, n_inputs, M)."""
        return self.encode(self.check_patches(x, n_inputs))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Features of already validated patches."""
        raise NotImplementedError

    def check_patches(self, x: Any, n_inputs: int | None = None) -> torch.Tensor:
        """Return ``x`` if it is a valid batch of patches; raise an error naming the problem otherwise."""
        if not isinstance(x, torch.Tensor):
            raise ConvacTypeError(f"patches must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[-1] != self.patch_dim:
            raise InputError(
                f"patches must have shape (batch, n_inputs, patch_dim={self.patch_dim}), got {tuple(x.shape)}"
            )
        if n_inputs is not None and x.shape[1] != n_inputs:
            raise InputError(f"expected {n_inputs} patches per sample, got {x.shape[1]}")
        if not x.is_floating_point():
            raise ConvacTypeError(f"patches must be a floating-point tensor, got dtype {x.dtype}")
        if not all_finite(x):
            raise InputError("patches contain NaN or infinite values; clean or impute them first")
        return x


class GaussianRepresentation(Representation):
    """Gaussians with diagonal covariance: ``f_d(x) = exp(-1/2 sum_k ((x_k - mu_dk) / sigma_dk)^2)``.

    With ``normalize=True`` (default) each patch's features are divided by their largest
    value. That multiplies every score of a sample by the same positive factor, so no
    prediction changes, and it keeps far-away patches from underflowing to all zeros.

    Examples
    --------
    >>> import torch
    >>> rep = GaussianRepresentation(patch_dim=2, n_features=3)
    >>> f = rep(torch.zeros(5, 4, 2))
    >>> f.shape, bool((f > 0).all()), bool((f.amax(-1) == 1).all())  # normalised: the best feature is 1
    (torch.Size([5, 4, 3]), True, True)
    """

    def __init__(self, patch_dim: int, n_features: int, normalize: bool = True) -> None:
        super().__init__()
        self.patch_dim, self.n_features, self.normalize = patch_dim, n_features, normalize
        self.mean = nn.Parameter(torch.randn(n_features, patch_dim))
        self.log_scale = nn.Parameter(torch.zeros(n_features, patch_dim))

    @torch.no_grad()
    def initialize_from(
        self, patches: torch.Tensor, seed: int = 0, width: float = 4.0, max_samples: int = 20_000
    ) -> None:
        """Initialise the Gaussians from data.

        The means are k-means++ seeds (scikit-learn) of a sample of the patches; every scale is
        ``width`` times the data's per-coordinate standard deviation.

        Both choices fight the same effect: a product over many patches is dominated by its
        single best channel, so a channel that never wins never receives gradient. Spread-out
        means and wide Gaussians (measured on the bundled digits: width 1 left whole classes
        dead on some seeds, width 4 did not) keep every channel in play at the start.
        """
        width = positive_real(width, "width")
        from sklearn.cluster import kmeans_plusplus

        flat = self.check_patches(patches).detach().reshape(-1, self.patch_dim)
        g = torch.Generator().manual_seed(seed)
        if len(flat) > max_samples:
            flat = flat[torch.randperm(len(flat), generator=g)[:max_samples]]
        data = flat.double().numpy()
        centers, _ = kmeans_plusplus(data, n_clusters=min(self.n_features, len(data)), random_state=seed)
        means = torch.as_tensor(centers, dtype=self.mean.dtype)
        self.mean[: len(means)] = means
        std = flat.std(dim=0).clamp_min(1e-3)
        self.log_scale.copy_(torch.log(std * width).to(self.log_scale.dtype).expand_as(self.log_scale))

    def quadratic_form(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(a, b, c)`` with ``sum_k ((x_k - mu_dk) / s_dk)^2 = (x*x) . a_d - 2 x . b_d + c_d``.

        Expanding the square turns the layer into two products with ``x*x`` and ``x`` (matmuls
        here, 3x3 convolutions in the experiment's image twin): no (batch, N, M, D) tensor, which
        had made the Gaussian layer most of a 64x64 training step (measured with torch.profiler).
        """
        inv_var = torch.exp(-2.0 * self.log_scale)  # (M, D)
        return inv_var, self.mean * inv_var, (self.mean**2 * inv_var).sum(dim=-1)

    def features_from_quadratic(self, quad: torch.Tensor, dim: int = -1) -> torch.Tensor:
        """``exp(-quad / 2)``, divided by its largest value along the feature axis ``dim`` if ``normalize``."""
        # quad may round a hair below 0 where x == mu; the max-normalisation absorbs that.
        log_f = -0.5 * quad
        if self.normalize:
            log_f = log_f - log_f.detach().amax(dim=dim, keepdim=True)
        return torch.exp(log_f)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Return the Gaussian features ``exp(-quad / 2)`` of validated patches."""
        a, b, c = self.quadratic_form()
        return self.features_from_quadratic((x * x) @ a.T - 2.0 * (x @ b.T) + c)


class NeuronRepresentation(Representation):
    """Neurons ``sigma(w_d . x + b_d)`` with a chosen activation.

    Examples
    --------
    >>> import torch
    >>> rep = NeuronRepresentation(patch_dim=2, n_features=3, activation="relu")
    >>> rep(torch.randn(5, 4, 2)).shape
    torch.Size([5, 4, 3])
    """

    ACTIVATIONS: ClassVar[dict[str, Callable[[torch.Tensor], torch.Tensor]]] = {
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softplus": nn.functional.softplus,
        "linear": lambda t: t,
    }

    def __init__(self, patch_dim: int, n_features: int, activation: str = "sigmoid") -> None:
        super().__init__()
        choice(activation, "activation", tuple(self.ACTIVATIONS))
        self.patch_dim, self.n_features, self.activation = patch_dim, n_features, activation
        self.linear = nn.Linear(patch_dim, n_features)
        nn.init.normal_(self.linear.weight, std=1.0 / math.sqrt(patch_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Return the neuron features of validated patches."""
        return self.ACTIVATIONS[self.activation](self.linear(x))


class OneHotRepresentation(Representation):
    """One-hot codes of discrete inputs: patches are integers in ``0 .. M-1`` of shape (batch, n_inputs).

    Examples
    --------
    >>> import torch
    >>> OneHotRepresentation(n_features=3)(torch.tensor([[0, 2]]))
    tensor([[[1., 0., 0.],
             [0., 0., 1.]]])
    """

    def __init__(self, n_features: int, patch_dim: int = 1) -> None:
        super().__init__()
        self.patch_dim, self.n_features = 1, n_features
        # No weights here, so an empty buffer carries the dtype and device that .double() / .to() give the
        # model; not persistent, so state dicts stay as they were.
        self.register_buffer("_like", torch.zeros(0), persistent=False)

    def check_patches(self, x: Any, n_inputs: int | None = None) -> torch.Tensor:
        """Return ``x`` if it is a batch of integer codes (batch, n_inputs); raise an error otherwise."""
        if not isinstance(x, torch.Tensor):
            raise ConvacTypeError(f"one-hot inputs must be a torch.Tensor of integer codes, got {type(x).__name__}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise ConvacTypeError(f"one-hot inputs must have an integer dtype, got {x.dtype}")
        if x.dim() != 2:
            raise InputError(f"one-hot inputs must have shape (batch, n_inputs), got {tuple(x.shape)}")
        if n_inputs is not None and x.shape[1] != n_inputs:
            raise InputError(f"expected {n_inputs} codes per sample, got {x.shape[1]}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.n_features):
            raise InputError(
                f"one-hot codes must lie in 0..{self.n_features - 1}, got range {int(x.min())}..{int(x.max())}"
            )
        return x

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Return the one-hot features of validated integer codes, in the module's dtype (float32 unless converted)."""
        like: torch.Tensor = self._like  # type: ignore[assignment]  # a registered buffer
        return nn.functional.one_hot(x.long(), self.n_features).to(like)


REPRESENTATIONS: dict[str, type[Representation]] = {
    "gaussian": GaussianRepresentation,
    "neuron": NeuronRepresentation,
    "onehot": OneHotRepresentation,
}


def make_representation(
    name: str | Representation, n_features: int, patch_dim: int = 1, **options: Any
) -> Representation:
    """Build a representation layer by name (``gaussian``, ``neuron``, ``onehot``), or pass one through.

    Examples
    --------
    >>> type(make_representation("neuron", n_features=4, patch_dim=9, activation="tanh")).__name__
    'NeuronRepresentation'
    """
    if isinstance(name, Representation):
        if name.n_features != n_features:
            raise InputError(
                f"the representation gives {name.n_features} features but the architecture has M={n_features}"
            )
        return name
    choice(name, "representation", sorted(REPRESENTATIONS))
    patch_dim = positive_int(patch_dim, "patch_dim")
    accepted = set(inspect.signature(REPRESENTATIONS[name]).parameters) - {"patch_dim", "n_features"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ConvacTypeError(
            f"the {name} representation has no option(s) {unknown}; allowed: {sorted(accepted) or 'none'}"
        )
    return REPRESENTATIONS[name](patch_dim=patch_dim, n_features=n_features, **options)
