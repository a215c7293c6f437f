"""Feature Gram matrices: the measure of the patches that turns a coefficient tensor into a function.

``G = E_μ[f(x) f(x)ᵀ]`` over patches ``x ~ μ`` of the model's M representation functions
``f``. :func:`convac.entanglement` with ``feature_gram=G`` measures the entanglement of the
score function in ``L²(μ)^{⊗N}`` (docs/theory.md §8), which does not depend on the
basis the features are written in.

>>> import torch, convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=3, channels=[2, 2])
>>> model = convac.DeepConvAC(arch, representation="onehot", seed=0)
>>> feature_gram(model, torch.tensor([[0, 1, 2, 2], [0, 0, 1, 2]]))  # frequencies of the symbols
array([[0.375, 0.   , 0.   ],
       [0.   , 0.25 , 0.   ],
       [0.   , 0.   , 0.375]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convac._validation import positive_int
from convac.errors import ConvacTypeError, InputError

__all__ = ["feature_gram", "gram_root"]


def gram_root(feature_gram: Any, n_inputs: int, n_features: int) -> np.ndarray:
    """Symmetric square roots ``R_j`` (``R_jᵀR_j = G_j``) of a feature Gram, shape (n_inputs, M, M), float64.

    ``feature_gram`` is (M, M) (the same measure at every position) or (n_inputs, M, M).
    Eigenvalues below zero by no more than rounding (``1e-10`` of the largest) are clipped
    to zero; anything else that is not a finite symmetric positive semi-definite matrix is
    refused with an :class:`~convac.errors.InputError`.

    >>> g = np.array([[4.0, 0.0], [0.0, 9.0]])
    >>> gram_root(g, n_inputs=3, n_features=2)[2]
    array([[2., 0.],
           [0., 3.]])
    """
    if hasattr(feature_gram, "detach"):
        feature_gram = feature_gram.detach().cpu().numpy()
    try:
        g = np.asarray(feature_gram, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"feature_gram must be a real array of shape (M, M) or (N, M, M), got {type(feature_gram).__name__}"
        ) from None
    m, n = n_features, n_inputs
    if g.shape not in ((m, m), (n, m, m)):
        raise InputError(f"feature_gram must have shape (M, M) = {(m, m)} or (N, M, M) = {(n, m, m)}, got {g.shape}")
    if not np.isfinite(g).all():
        raise InputError("feature_gram contains NaN or infinite values; it must be a finite PSD matrix")
    stack = g.reshape(-1, m, m)
    scale = np.abs(stack).reshape(len(stack), -1).max(axis=1)
    asym = np.abs(stack - np.swapaxes(stack, 1, 2)).reshape(len(stack), -1).max(axis=1)
    if (asym > 1e-8 * scale).any():
        j = int(np.argmax(asym - 1e-8 * scale))
        raise InputError(
            f"feature_gram must be symmetric; at position {j} |G - Gᵀ| reaches {asym[j]:.3g} "
            f"(largest entry {scale[j]:.3g})"
        )
    w, v = np.linalg.eigh(0.5 * (stack + np.swapaxes(stack, 1, 2)))
    top = np.maximum(w[:, -1], 0.0)
    if (top == 0).any():
        j = int(np.argmax(top == 0))
        raise InputError(
            f"feature_gram is zero at position {j}: every function vanishes in L²(μ) there, "
            "so the function has no Schmidt decomposition; a Gram needs a positive eigenvalue"
        )
    if (w[:, 0] < -1e-10 * top).any():
        j = int(np.argmin(w[:, 0] / top))
        raise InputError(
            f"feature_gram must be positive semi-definite; at position {j} it has eigenvalue {w[j, 0]:.3g} "
            f"(largest {top[j]:.3g})"
        )
    root = np.einsum("pik,pk,pjk->pij", v, np.sqrt(np.clip(w, 0.0, None)), v)
    return np.broadcast_to(root, (n, m, m)) if len(root) == 1 else root


def feature_gram(model: Any, patches: Any, per_position: bool = False, batch_size: int = 256) -> np.ndarray:
    """Return the empirical Gram ``E[f(x) f(x)ᵀ]`` of ``model``'s representation on a batch of inputs, float64.

    Parameters
    ----------
    model:
        A DeepConvAC / ShallowConvAC, or an image net wrapping one as ``.convac`` with a
        ``features(images)`` method (the inductive-bias experiment's ``ConvACImageNet``).
    patches:
        What ``model(x)`` takes: patches (batch, N, patch_dim), a 2D grid of them, one-hot
        codes, or images for an image net. They stand for the measure μ.
    per_position:
        False: one (M, M) Gram averaged over samples and positions (the patch marginal, the
        same at every position). True: one per position, (N, M, M).
    batch_size:
        Samples featurised at a time (memory only; the result does not depend on it).

    Returns
    -------
    numpy.ndarray
        (M, M), or (N, M, M) with ``per_position``; symmetric positive semi-definite.

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=4, channels=[2, 2, 2])
    >>> model = convac.DeepConvAC(arch, patch_dim=3, seed=0)
    >>> G = feature_gram(model, torch.randn(50, 8, 3), per_position=True)
    >>> G.shape, bool(np.allclose(G, G.transpose(0, 2, 1)))
    ((8, 4, 4), True)
    """
    import torch

    from convac.models.base import ConvACBase

    if not isinstance(per_position, (bool, np.bool_)):
        raise ConvacTypeError(f"per_position must be True or False, got {per_position!r}")
    batch_size = positive_int(batch_size, "batch_size")
    if isinstance(model, ConvACBase):
        featurize = model.representation
    elif isinstance(getattr(model, "convac", None), ConvACBase) and callable(getattr(model, "features", None)):
        featurize = model.features
    else:
        raise ConvacTypeError(
            f"model must be a DeepConvAC, ShallowConvAC or an image net with .convac and .features, "
            f"got {type(model).__name__}"
        )
    if not isinstance(patches, torch.Tensor):
        raise ConvacTypeError(f"patches must be a torch.Tensor, got {type(patches).__name__}")
    if patches.dim() == 0 or len(patches) == 0:
        raise InputError(f"patches must hold at least one sample, got shape {tuple(patches.shape)}")
    total: Any = 0.0
    with torch.no_grad():
        for start in range(0, len(patches), batch_size):
            f = featurize(patches[start : start + batch_size]).detach().to("cpu", torch.float64).numpy()
            total = total + np.einsum("bnm,bnk->nmk", f, f)
    gram = total / len(patches)
    return gram if per_position else gram.mean(axis=0)
