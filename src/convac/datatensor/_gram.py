"""Exact Schmidt values of a data tensor from Gram matrices over samples (docs/theory.md, "Entanglement of data").

The data tensor ``D = Σ_m y_m ⊗_j φ(x_j^m)`` with ``φ(x) = (cos(πθx/2), sin(πθx/2))`` is never
built. Across a partition (A, B) it is ``V_A diag(y) V_Bᵀ`` with ``V_X`` the tensor-product
features of side X (one column per sample), so its squared Schmidt values are the eigenvalues of

    W = V_A diag(y) G_B diag(y) V_Aᵀ,        G_B[m, k] = Π_{j∈B} cos(πθ(x_j^m − x_j^k)/2),

where ``V_A`` is the explicit ``2^|A| x n`` feature matrix when ``2^|A| <= n`` and otherwise any
square root of ``G_A`` (``V_A = Λ^{1/2} Qᵀ`` from ``eigh(G_A)``). ``W`` is symmetric positive
semi-definite, so one ``eigvalsh`` gives ``λ²`` with absolute error about ``n·eps·‖W‖``:
Schmidt values below about ``1e-7 λ_1`` are at noise level and are not resolved (they change
the entropy by less than ``1e-12``). The squared route needs no SVD of a non-symmetric matrix.

**Underflow.** ``G`` is a product of up to N cosines. Every factor lies in [−1, 1], so partial
products only shrink (nothing overflows) and ``G[m, m] = 1`` exactly: ``‖G‖ >= 1``. An entry that
underflows to zero is below ``2^-1022``, some 290 orders of magnitude under the solver's absolute
error ``n·eps·‖G‖``, so flushing it changes no Schmidt value: plain float64 products are exact to
rounding here, and no log scale is needed (tests check this against a log-scale product).

**Speed.** The product over a group of ``g`` features is itself a Gram matrix, of the
``2^g``-dimensional tensor-product features of that group: ``Π_{j∈group} cos(...) = F Fᵀ`` with
``F`` of shape ``(n, 2^g)``. So ``G`` is built with one BLAS product per group of ``g = 4``
features and one element-wise multiply, instead of ``g`` element-wise passes with cosines.

>>> import numpy as np
>>> x = np.array([[0.0, 1.0], [0.5, 0.5]])
>>> u, v = feature_map(x, 1.0)
>>> g = gram(u, v, [0, 1])
>>> bool(np.isclose(g[0, 1], np.cos(np.pi / 4) ** 2)), float(g[0, 0])
(True, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["GROUP", "feature_map", "gram", "product_features", "squared_schmidt_values"]

Array = npt.NDArray[np.float64]

GROUP = 4
"""Features per BLAS product when building a Gram matrix (measured fastest of 2..6 at n = 2000)."""


def feature_map(x: Array, theta: float) -> tuple[Array, Array]:
    """``cos(πθx/2)`` and ``sin(πθx/2)``, each of the shape of ``x``."""
    angle = (0.5 * np.pi * theta) * x
    return np.cos(angle), np.sin(angle)


def product_features(u: Array, v: Array, idx: Sequence[int]) -> Array:
    """Return the ``(n, 2^|idx|)`` tensor-product features ``⊗_{j∈idx} φ(x_j)`` (first index slowest)."""
    f = np.ones((u.shape[0], 1))
    for j in idx:
        f = np.concatenate([f * u[:, j : j + 1], f * v[:, j : j + 1]], axis=1)
    return f


def gram(u: Array, v: Array, idx: Sequence[int], group: int = GROUP) -> Array:
    """``G[m, k] = Π_{j∈idx} cos(πθ(x_j^m − x_j^k)/2)`` for all sample pairs (n x n)."""
    n = u.shape[0]
    idx = list(idx)
    g = np.ones((n, n))
    for start in range(0, len(idx), group):
        f = product_features(u, v, idx[start : start + group])
        g *= f @ f.T
    return g


def _sqrt_factor(g: Array) -> Array:
    """``V`` with ``Vᵀ V = G`` (rows: eigen-directions with positive eigenvalue)."""
    w, q = np.linalg.eigh(g)
    keep = w > 0  # round-off can leave tiny negative eigenvalues of a PSD matrix
    return np.sqrt(w[keep])[:, None] * q[:, keep].T


def squared_schmidt_values(
    u: Array, v: Array, side_a: Sequence[int], side_b: Sequence[int], weights: Sequence[Array], group: int = GROUP
) -> list[Array]:
    """Eigenvalues of ``W`` (module docstring) for each weight vector: squared, unnormalised Schmidt values.

    The factors of the two sides are built once and shared by all weight vectors (one per class).
    Samples whose weight is zero in every vector are dropped first; the side with fewer
    features plays A (explicit features when ``2^|A| <= n``).
    """
    ys = np.stack([np.asarray(w, dtype=np.float64) for w in weights])
    keep = np.any(ys != 0, axis=0)
    u, v, ys = u[keep], v[keep], ys[:, keep]
    n = ys.shape[1]
    a, b = (list(side_a), list(side_b)) if len(side_a) <= len(side_b) else (list(side_b), list(side_a))
    # explicit features are exact and cheaper while 2^|A| <= n; beyond, a square root of G_A
    va = product_features(u, v, a).T if 2 ** len(a) <= n else _sqrt_factor(gram(u, v, a, group))
    gb = gram(u, v, b, group)
    out = []
    for y in ys:
        left = va * y[None, :]
        w = left @ gb @ left.T
        lam2 = np.linalg.eigvalsh((w + w.T) * 0.5)[::-1]
        out.append(np.clip(lam2, 0.0, None))
    return out
