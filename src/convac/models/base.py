"""Shared machinery of the ConvAC modules: weights, input checks, representation, scores."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from convac._validation import choice, instance, integer, model_size
from convac.errors import ArchitectureError, ConvacTypeError, InputError
from convac.models import functional as F
from convac.models.representation import Representation, all_finite, make_representation
from convac.spec import Architecture

__all__ = ["ConvACBase"]


class ConvACBase(nn.Module):
    """Common base of :class:`DeepConvAC` and :class:`ShallowConvAC`.

    Parameters
    ----------
    arch:
        The architecture; the module's weights are shaped by it.
    representation:
        ``"gaussian"`` (default), ``"neuron"``, ``"onehot"``, or a :class:`Representation`.
    patch_dim:
        Length of one input patch (ignored by ``onehot``).
    seed:
        Seed for the initial weights; the global torch RNG is left untouched.
    weights:
        ``"positive"`` (default): every conv and output weight is ``exp`` of a parameter.
        With positive features the ConvAC is then a sum-product network, its scores are
        positive and :meth:`logits` returns ``log h_y``, which trains like a generative
        classifier. Positive weights form an open set, so the almost-everywhere rank
        results hold for them. ``"signed"``: plain real weights; :meth:`logits` returns the
        per-sample L2-normalised score vector times a learned :attr:`temperature` (see
        :meth:`logits` for why). Both compute the same function class on their domain.
    representation_options:
        Passed to the representation layer, e.g. ``activation="relu"`` for ``neuron``.

    Examples
    --------
    >>> import torch, convac
    >>> model = convac.DeepConvAC(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2]), seed=0)
    >>> isinstance(model, ConvACBase), model.weight_matrices(0).shape
    (True, torch.Size([4, 2, 3]))
    """

    kind: str = ""

    def __init__(
        self,
        arch: Architecture,
        representation: str | Representation = "gaussian",
        patch_dim: int = 1,
        seed: int | None = None,
        weights: str = "positive",
        **representation_options: Any,
    ) -> None:
        super().__init__()
        instance(arch, "arch", Architecture, "a convac.Architecture")
        if arch.kind != self.kind:
            other = "ShallowConvAC" if arch.kind == "shallow" else "DeepConvAC"
            raise ArchitectureError(
                f"{type(self).__name__} needs a {self.kind} architecture, got a {arch.kind} one; use {other}"
            )
        choice(weights, "weights", ("positive", "signed"))
        model_size(f"{type(self).__name__} with channels {list(arch.channels)}", arch.n_params)
        self.arch = arch
        self.weights = weights
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.representation_layer: Representation = make_representation(
                representation, arch.n_features, patch_dim, **representation_options
            )
            # Raw parameters; conv_weight() maps them to weights (exp for positive ones).
            self.conv = nn.ParameterList()
            for spec in arch.layers()[:-1]:
                shape: tuple[int, ...] = (spec.in_channels, spec.out_channels)
                if not arch.shared:
                    shape = (spec.positions, *shape)
                self.conv.append(nn.Parameter(self._initial(shape, spec.in_channels)))
            last = arch.layers()[-1]
            self.output_raw = nn.Parameter(self._initial((last.in_channels, last.out_channels), last.in_channels))
        if weights == "signed":
            # Logits start with unit root-mean-square: a unit score vector has RMS 1/sqrt(Y).
            # Only signed models own this parameter, so positive models keep their parameters,
            # state_dict and parameter counts.
            self.log_temperature = nn.Parameter(torch.tensor(0.5 * math.log(arch.n_outputs)))

    def _initial(self, shape: tuple[int, ...], fan_in: int) -> torch.Tensor:
        if self.weights == "signed":
            return torch.randn(shape) / math.sqrt(fan_in)
        # Identity plus small positive noise (the output layer too: channel c starts voting for
        # class c mod Y): each channel starts as a product of "its own" features, so scores
        # depend on the input at any depth. A dense positive init mixes channels at every layer
        # and drives the top vector to one input-independent direction (Perron-Frobenius); on
        # a synthetic task that stalled training from about 256 inputs on. A flat output layer
        # left whole digit classes dead on the bundled digits.
        c_in, c_out = shape[-2:]
        eye = (torch.arange(c_in).unsqueeze(1) % c_out == torch.arange(c_out).unsqueeze(0) % c_in).to(torch.float32)
        return torch.log(eye + 0.05 * torch.rand(shape))

    def conv_weight(self, layer: int) -> torch.Tensor:
        """Return the weights of hidden layer ``layer``: (c_in, c_out) if shared, else (positions, c_in, c_out)."""
        raw = self.conv[layer]
        return raw.exp() if self.weights == "positive" else raw

    @property
    def temperature(self) -> torch.Tensor | None:
        """The learned scale of the signed logits, ``exp(log_temperature)``; None for positive weights."""
        return self.log_temperature.exp() if self.weights == "signed" else None

    @property
    def output(self) -> torch.Tensor:
        """The output layer's weights, (r_{L-1}, n_outputs)."""
        return self.output_raw.exp() if self.weights == "positive" else self.output_raw

    # ------------------------------------------------------------------ public API
    def representation(self, x: torch.Tensor) -> torch.Tensor:
        """Patches -> features of shape (batch, n_inputs, M).

        Patches have shape (batch, n_inputs, patch_dim), or (batch, height, width, patch_dim)
        on a 2D grid; one-hot codes have shape (batch, n_inputs) or (batch, height, width).
        """
        return self.representation_layer(self._flatten_grid(x), self.arch.n_inputs)

    def circuit(self, features: torch.Tensor, return_exponent: bool = False) -> Any:
        """Features (batch, n_inputs, M) -> scores h_y(X) of shape (batch, n_outputs).

        Scores are exact whenever they fit comfortably in the dtype (within
        ``2**±100`` in float32, ``2**±1000`` in float64). Beyond that each sample's scores
        are scaled by a positive power of two so they stay finite; signs, ratios and
        the arg-max are unaffected. With ``return_exponent=True`` the method returns
        ``(mantissa, exponent)`` instead, and ``h_y = mantissa * 2**exponent`` exactly.
        An empty batch (0 samples) gives an empty (0, n_outputs) result.
        """
        mantissa, exponent = self._scaled_scores(self._check_features(features))
        if return_exponent:
            return mantissa, exponent
        return F.recombine(mantissa, exponent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``circuit(representation(x))``."""
        return self.circuit(self.representation(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-class logits for training, finite at any depth and ranked exactly as the scores.

        With positive weights: ``log h_y(X) - c(X)``, where the per-sample constant ``c``
        cancels in a softmax.

        With signed weights: ``T * h(X) / ||h(X)||_2``, the score vector scaled to unit length
        per sample, times the learned :attr:`temperature` ``T``. Signed scores have no
        logarithm, and their magnitude at depth is a power of two far outside any float
        range that carries no gradient (:mod:`convac.models.functional`), so the raw
        mantissa leaves the loss without a usable scale (measured: 7.6 % on the bundled
        digits). The unit vector is exactly invariant to the per-sample power of two, is
        computed from the mantissa alone (no overflow at any depth), and one scalar
        ``T`` gives the softmax back the confidence scale it needs.

        >>> import torch, convac
        >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[4, 4, 4], n_outputs=3)
        >>> model = convac.DeepConvAC(arch, representation="onehot", seed=0, weights="signed")
        >>> x = torch.randint(0, 3, (2, 8))
        >>> logits = model.logits(x)
        >>> torch.allclose(logits.norm(dim=1), model.temperature.expand(2))
        True
        >>> bool((logits.argmax(1) == model(x).argmax(1)).all())
        True
        """
        return self.feature_logits(self.representation(x))

    def feature_logits(self, features: torch.Tensor) -> torch.Tensor:
        """:meth:`logits` from features (batch, n_inputs, M) instead of patches."""
        return self._mantissa_logits(self._scaled_scores(self._check_features(features))[0])

    def _mantissa_logits(self, mantissa: torch.Tensor) -> torch.Tensor:
        """:meth:`logits` from the score mantissa; the per-sample power of two does not matter."""
        if self.weights == "positive":
            # log h_y minus the per-sample log-scale, which is the same for every class.
            return torch.log(mantissa.clamp_min(torch.finfo(mantissa.dtype).tiny))
        return F.unit_scores(mantissa) * self.log_temperature.exp()

    def weight_matrices(self, layer: int) -> torch.Tensor:
        """Return the conv weights of hidden layer ``layer`` as (positions, c_in, c_out).

        Shared weights are repeated over the positions; ``layer == arch.depth`` gives the output
        matrix (1, r_{L-1}, n_outputs).
        """
        integer(layer, "layer", minimum=0, maximum=self.arch.depth)
        if layer == self.arch.depth:
            return self.output.unsqueeze(0)
        w = self.conv_weight(layer)
        if w.dim() == 2:
            w = w.unsqueeze(0).expand(self.arch.positions(layer), *w.shape)
        return w

    # ------------------------------------------------------------------ internals
    def _scaled_scores(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _flatten_grid(self, x: Any) -> Any:
        if isinstance(x, torch.Tensor) and self.arch.ndim == 2:
            h, w = self.arch.grid
            onehot = x.dim() == 3 and tuple(x.shape[1:]) == (h, w)
            if onehot or (x.dim() == 4 and tuple(x.shape[1:3]) == (h, w)):
                return x.reshape(x.shape[0], h * w, *x.shape[3:])
        return x

    def _check_features(self, features: Any) -> torch.Tensor:
        if not isinstance(features, torch.Tensor):
            raise ConvacTypeError(f"features must be a torch.Tensor, got {type(features).__name__}")
        if not features.is_floating_point():
            raise ConvacTypeError(f"features must be a floating-point tensor, got dtype {features.dtype}")
        expected = (self.arch.n_inputs, self.arch.n_features)
        if features.dim() != 3 or tuple(features.shape[1:]) != expected:
            raise InputError(
                f"features must have shape (batch, n_inputs={expected[0]}, M={expected[1]}), "
                f"got {tuple(features.shape)}"
            )
        if not all_finite(features):
            raise InputError("features contain NaN or infinite values")
        if features.dtype != self.output_raw.dtype:
            raise ConvacTypeError(
                f"features have dtype {features.dtype} but the model's weights are {self.output_raw.dtype}; "
                "convert one of them (e.g. model.double())"
            )
        return features

    def extra_repr(self) -> str:
        """Describe the architecture in the module's ``repr``."""
        return f"{self.arch.kind} {self.arch.ndim}D, grid={self.arch.grid}, M={self.arch.n_features}, " + (
            f"channels={list(self.arch.channels)}, shared={self.arch.shared}, n_outputs={self.arch.n_outputs}, "
            f"weights={self.weights}"
        )
