"""A sampled batch's ``log psi`` terms, single-flip amplitudes and per-sample Jacobian from one pass.

A stochastic-reconfiguration step needs three things of its samples: ``log psi`` (and, for a
symmetrised ansatz, its ``G`` group terms), ``psi`` of every single-spin flip (the transverse
field's local energy) and ``O = d log psi / d theta`` per sample. All three come from *one*
log-scale forward pass of the tree over the group images and *one* backward pass to its inputs and
to every convolution's output:

- the flips from the input gradient (the tree is linear in each leaf's one-hot input, see
  :mod:`convac.wavefunction._flips`);
- the Jacobian from the outputs' gradients: a convolution ``y_p = x_p W_p`` at node ``p`` has
  ``d log|h| / d W_p = x_p (x) dlog|h|/dy_p`` for each image, and the symmetrised
  ``O = sum_g (h_g / psi) d log|h_g| / d theta`` contracts the images' outer products with the
  coefficients ``h_g / psi`` in one product over ``g`` per node, never storing a per-image Jacobian.

The per-copy route it replaces (:meth:`ConvACWaveFunction.per_sample_jacobian`, a private copy of
every weight per sample and image) stays for ansätze with a phase network, whose ``O`` is complex.
Timings: ``benchmarks/bench_path_updates.py``.

Examples
--------
>>> import torch, convac
>>> from convac.wavefunction import ConvACWaveFunction
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2])
>>> psi = ConvACWaveFunction(arch, weights="signed", symmetry="translation", seed=0)
>>> sigma = torch.randint(0, 2, (5, 8), generator=torch.Generator().manual_seed(0))
>>> one = BatchPass(psi, sigma)
>>> bool(torch.allclose(one.jacobian(), psi.per_sample_jacobian(sigma), atol=1e-10))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from convac.errors import InternalError
from convac.wavefunction._ansatz import ConvACWaveFunction, _log_scores, combine_terms, layer_weights
from convac.wavefunction._symmetry import group_images

__all__ = ["MAX_IMAGES", "BatchPass", "PassResults", "batch_pass", "flips_from_input_gradient", "symmetrised_flips"]

MAX_IMAGES = 1 << 12
"""Group images one :class:`BatchPass` of :func:`batch_pass` holds at most (larger batches go in chunks).

A pass keeps every layer's activations and their gradients for all ``B * G`` images, so a whole
batch outgrows the caches (1,024 samples of the 6x6 ansatz over its 576-element group: 16 GB).
Chunks of about 4,096 images were the fastest (``benchmarks/bench_path_updates.py --chunks``).
"""


class BatchPass:
    """One forward and one backward pass of ``psi``'s tree over the group images of ``sigma`` (B, N).

    Needs an ansatz without a phase network (:meth:`applies`). ``jacobian=False`` skips what only
    :meth:`jacobian` needs (the gradients at the convolutions' outputs).
    """

    @staticmethod
    def applies(psi: ConvACWaveFunction) -> bool:
        """Whether ``psi`` is real (no phase network), the case this pass covers."""
        return psi.phase is None

    def __init__(self, psi: ConvACWaveFunction, sigma: torch.Tensor, jacobian: bool = True) -> None:
        if not self.applies(psi):
            raise InternalError("BatchPass needs an ansatz without a phase network; check BatchPass.applies first")
        self.psi = psi
        self.batch, self.group = sigma.shape[0], psi.group_perms.shape[0]
        self.images = group_images(sigma.to(torch.int64), psi.group_perms, psi.group_flips).reshape(-1, psi.n_sites)
        self.raws = [r.detach() for r in psi.split_raws(psi.variational_parameters())[0]]
        features = nn.functional.one_hot(self.images, 2).to(torch.float64).requires_grad_()
        record: list[tuple[torch.Tensor, torch.Tensor]] = []
        with torch.enable_grad():
            log_abs, mantissa = _log_scores(psi.amplitude, features, self.raws, per_sample=False, record=record)
            outputs = [y for _, y in record] if jacobian else []
            grads = torch.autograd.grad(log_abs[:, 0].sum(), [features, *outputs])
        self.log_abs, self.mantissa = log_abs.detach()[:, 0], mantissa.detach()[:, 0]
        self.input_grad = grads[0]
        self.conv_inputs = [x.detach() for x, _ in record]
        self.output_grads = list(grads[1:])
        self.terms = psi.compose_log_psi(self.log_abs, self.mantissa < 0, None).reshape(self.batch, self.group)

    def log_psi(self) -> torch.Tensor:
        """``log psi`` of the samples: (B,), the group sum of :attr:`terms`."""
        return self.terms[:, 0] if self.group == 1 else combine_terms(self.terms)

    def flip_log_psi(self) -> torch.Tensor | None:
        """``log psi`` of every single-spin flip (B, N), or ``None`` where an image has ``h = 0``."""
        flips = flips_from_input_gradient(self.psi, self.log_abs, self.mantissa, self.input_grad, self.images)
        return None if flips is None else symmetrised_flips(self.psi, flips)

    def jacobian(self) -> torch.Tensor:
        """``O[b, k] = d log psi(sigma_b) / d theta_k``: (B, n_params), real, as the per-copy Jacobian."""
        if not self.output_grads:
            raise InternalError("BatchPass(..., jacobian=False) has no Jacobian; construct it with jacobian=True")
        b, g = self.batch, self.group
        if g == 1:
            coeff = torch.ones(b, 1, dtype=torch.float64)
        else:  # h_g / psi: real, since each term is log|h_g| + i pi [h_g < 0]
            coeff = torch.exp(self.terms - self.log_psi().unsqueeze(1))
            coeff = coeff.real if coeff.is_complex() else coeff
        weights = layer_weights(self.psi.amplitude, self.raws)
        blocks = []
        for x, dy, weight in zip(self.conv_inputs, self.output_grads, weights, strict=True):
            if x.dim() == 2:  # the output layer: one position
                x, dy = x.unsqueeze(1), dy.unsqueeze(1)
            x = coeff.reshape(b, g, 1, 1) * x.reshape(b, g, *x.shape[1:])
            dy = dy.reshape(b, g, *dy.shape[1:])
            if weight.dim() == 3:  # one matrix per position
                block = torch.einsum("bgpi,bgpo->bpio", x, dy)
            else:  # shared by every position
                block = torch.einsum("bgpi,bgpo->bio", x, dy)
            if self.psi.weights == "positive":  # W = exp(raw): d/d raw = W d/dW
                block = block * weight
            blocks.append(block.reshape(b, -1))
        return torch.cat(blocks, dim=1)


@dataclass
class PassResults:
    """What a step needs of its samples, from :func:`batch_pass` (one :class:`BatchPass` per chunk).

    ``terms`` (B, G) and ``log_psi`` (B,) as :class:`BatchPass`'s; ``flips`` (B, N) its
    :meth:`~BatchPass.flip_log_psi` (``None`` where any image has ``h = 0``); ``jacobian``
    (B, n_params), or ``None`` when not asked for.
    """

    terms: torch.Tensor
    log_psi: torch.Tensor
    flips: torch.Tensor | None
    jacobian: torch.Tensor | None


def batch_pass(
    psi: ConvACWaveFunction, sigma: torch.Tensor, jacobian: bool = True, max_images: int = MAX_IMAGES
) -> PassResults:
    """:class:`BatchPass`'s results for ``sigma`` (B, N), in chunks of at most ``max_images`` group images.

    Every result is per sample, so the chunks' concatenation is the one-pass result; only the
    memory of a pass (its activations and gradients) is bounded.

    Examples
    --------
    >>> import torch, convac
    >>> from convac.wavefunction import ConvACWaveFunction
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2])
    >>> psi = ConvACWaveFunction(arch, weights="signed", symmetry="translation", seed=0)
    >>> sigma = torch.randint(0, 2, (5, 8), generator=torch.Generator().manual_seed(0))
    >>> whole, chunked = BatchPass(psi, sigma), batch_pass(psi, sigma, max_images=16)   # 2 samples a chunk
    >>> bool(torch.allclose(chunked.jacobian, whole.jacobian()))
    True
    >>> bool(torch.allclose(chunked.flips, whole.flip_log_psi()))
    True
    """
    step = max(1, max_images // psi.group_perms.shape[0])
    terms, log_psi, flips, jacobians = [], [], [], []
    every_flip = True  # a chunk with an h = 0 image leaves the batch's flips to the path updates
    for start in range(0, sigma.shape[0], step):
        one = BatchPass(psi, sigma[start : start + step], jacobian=jacobian)
        terms.append(one.terms)
        log_psi.append(one.log_psi())
        chunk_flips = one.flip_log_psi() if every_flip else None
        every_flip = chunk_flips is not None
        if chunk_flips is not None:
            flips.append(chunk_flips)
        if jacobian:
            jacobians.append(one.jacobian())
    return PassResults(
        terms=torch.cat(terms),
        log_psi=torch.cat(log_psi),
        flips=torch.cat(flips) if every_flip else None,
        jacobian=torch.cat(jacobians) if jacobian else None,
    )


def flips_from_input_gradient(
    psi: ConvACWaveFunction, log_abs: torch.Tensor, mantissa: torch.Tensor, grad: torch.Tensor, sigma: torch.Tensor
) -> torch.Tensor | None:
    """Single-flip ``log psi`` of the tree from ``d log|h| / d f`` (B, N, 2) at ``sigma``; ``None`` where ``h = 0``."""
    ratio = grad.gather(2, (1 - sigma).unsqueeze(-1))[..., 0]  # (B, N): h(sigma^j) / h(sigma)
    if bool((mantissa == 0).any()) or not bool(torch.isfinite(ratio).all()):
        return None
    negative = (mantissa < 0).unsqueeze(1) ^ (ratio < 0)
    return psi.compose_log_psi(log_abs.unsqueeze(1) + torch.log(ratio.abs()), negative, None)


def symmetrised_flips(psi: ConvACWaveFunction, image_flips: torch.Tensor) -> torch.Tensor:
    """Single-flip ``log psi`` of the group sum from the tree's on every image: (B * G, N) -> (B, N)."""
    group, n = psi.group_perms.shape[0], psi.n_sites
    terms = image_flips.reshape(-1, group, n)
    if group == 1:
        return terms[:, 0]
    # sigma^j's image under g is g sigma with image site perms[g]^-1(j) flipped
    inverse = torch.argsort(psi.group_perms, dim=1)
    gathered = terms.gather(2, inverse.unsqueeze(0).expand(terms.shape[0], -1, -1))
    return combine_terms(gathered.transpose(1, 2).reshape(-1, group)).reshape(-1, n)
