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

from convac._validation import size_limit
from convac.errors import InternalError

__all__ = [
    "CHUNK",
    "EXPLICIT_MAX",
    "GROUP",
    "MAX_GRAM_BYTES",
    "feature_map",
    "gram",
    "product_features",
    "squared_schmidt_values",
]

Array = npt.NDArray[np.float64]

GROUP = 4
"""Features per BLAS product when building a Gram matrix (measured fastest of 2..6 at n = 2000)."""

EXPLICIT_MAX = 1 << 12
"""Largest feature space ``2^|B|`` of a side kept as an explicit ``n x 2^|B|`` matrix."""

FEW_PAIRS = 1 << 12
"""Up to this many sample pairs a Gram matrix is built from all features in bulk, not by BLAS groups."""

CHUNK = 2048
"""Rows of ``G_B`` built at once when it is never held whole."""

MAX_GRAM_BYTES = 1 << 32
"""Memory the square-root route (``n x n`` matrices) may plan: 4 GiB, about 11,000 samples."""


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


def gram(
    u: Array, v: Array, idx: Sequence[int], group: int = GROUP, rows: slice = slice(None), symmetric: bool = True
) -> Array:
    """``G[m, k] = Π_{j∈idx} cos(πθ(x_j^m − x_j^k)/2)`` for the sample pairs of ``rows`` x all (n x n by default).

    ``symmetric`` (the whole matrix only): build the blocks on and above the diagonal and mirror them.
    """
    n = u.shape[0]
    idx = list(idx)
    g = np.ones((len(range(n)[rows]), n))
    if g.size <= FEW_PAIRS:
        return _few_pairs_gram(u, v, idx, rows, g)
    if symmetric and rows == slice(None):
        return _symmetric_gram(u, v, idx, group, g)
    for start in range(0, len(idx), group):
        f = product_features(u, v, idx[start : start + group])
        g *= f[rows] @ f.T
    return g


SYM_BLOCK = 256
"""Rows of a symmetric Gram built at once (all feature groups), so the partial products stay in cache."""


def _symmetric_gram(u: Array, v: Array, idx: list[int], group: int, g: Array) -> Array:
    """Build the whole Gram block row by block row, on and right of the diagonal, mirroring each block below it.

    Half the products of :func:`gram`'s row route, and each block takes every group's factor while it is
    in cache, instead of one pass over all ``n²`` entries per group.
    """
    n = len(g)
    feats = [product_features(u, v, idx[start : start + group]) for start in range(0, len(idx), group)]
    for r0 in range(0, n, SYM_BLOCK):
        r1 = min(r0 + SYM_BLOCK, n)
        block = g[r0:r1, r0:]
        for f in feats:
            block *= f[r0:r1] @ f[r0:].T
        g[r1:, r0:r1] = block[:, r1 - r0 :].T
    return g


def _few_pairs_gram(u: Array, v: Array, idx: list[int], rows: slice, g: Array) -> Array:
    """:func:`gram` for a few sample pairs: ``cos(a - b) = cos a cos b + sin a sin b``, features in bulk.

    The BLAS route pays Python overhead per group of features, which dominates when the
    matrices are tiny (5 samples of 10^6 features: minutes against a fraction of a second).
    """
    cols_of = np.asarray(idx, dtype=np.intp)
    ua, va = u[:, cols_of], v[:, cols_of]
    ur, vr = ua[rows], va[rows]
    step = max(1, (1 << 22) // g.size)  # about 32 MiB of factors at a time
    for start in range(0, len(idx), step):
        cols = slice(start, start + step)
        g *= np.prod(ur[:, None, cols] * ua[None, :, cols] + vr[:, None, cols] * va[None, :, cols], axis=2)
    return g


def _sqrt_factor(g: Array) -> Array:
    """``V`` with ``Vᵀ V = G`` (rows: eigen-directions with positive eigenvalue)."""
    w, q = np.linalg.eigh(g)
    keep = w > 0  # round-off can leave tiny negative eigenvalues of a PSD matrix
    return np.sqrt(w[keep])[:, None] * q[:, keep].T


def _explicit(u: Array, v: Array, a: list[int], b: list[int], ys: Array) -> list[Array]:
    """Both sides' features explicit: the singular values of ``V_A diag(y) V_Bᵀ`` (2^|A| x 2^|B|), squared."""
    fa, fb = product_features(u, v, a), product_features(u, v, b)
    return [np.linalg.svd((fa * y[:, None]).T @ fb, compute_uv=False) ** 2 for y in ys]


def _gram_in_rows(u: Array, v: Array, a: list[int], b: list[int], ys: Array, group: int) -> list[Array]:
    """Side A explicit, ``G_B`` built and used a block of rows at a time: memory ``O(CHUNK n)``, not ``n²``."""
    n = u.shape[0]
    lefts = [product_features(u, v, a).T * y[None, :] for y in ys]
    ws = [np.zeros((left.shape[0], left.shape[0])) for left in lefts]
    for start in range(0, n, CHUNK):
        rows = slice(start, min(start + CHUNK, n))
        gb = gram(u, v, b, group, rows)
        for left, w in zip(lefts, ws, strict=True):
            w += left[:, rows] @ (gb @ left.T)
    return [np.asarray(np.linalg.eigvalsh((w + w.T) * 0.5)[::-1], dtype=np.float64) for w in ws]


def _gram_square_root(
    u: Array, v: Array, a: list[int], b: list[int], ys: Array, group: int, reference: bool = False
) -> list[Array]:
    """``W``'s spectrum from both sides' Gram matrices: needs a few ``n x n`` matrices, checked against the limit.

    ``G_A = L Lᵀ`` (Cholesky) makes ``eig(W) = eig(Lᵀ Y G_B Y L)``, formed by LAPACK ``dsygst`` (one
    ``n³`` product using both symmetries) and read by the eigensolver from one triangle. A singular
    ``G_A`` (Cholesky fails; e.g. repeated samples) or ``reference=True`` takes the route before: a
    square root of ``G_A`` from ``eigh`` and two general products.
    """
    n = u.shape[0]
    size_limit(
        f"the Gram matrices of {n:,} samples ({n:,} x {n:,}, 2^{len(a)} features on the smaller side)",
        4 * 8 * n * n,
        MAX_GRAM_BYTES,
        hint="; use fewer samples, or batch_size= to average over random batches",
    )
    ga = gram(u, v, a, group, symmetric=not reference)
    chol = None if reference else _cholesky(ga)
    if chol is None:
        # A failed Cholesky leaves G_A partly overwritten: build it again (only singular cases pay this).
        va = _sqrt_factor(ga if reference else gram(u, v, a, group))
        del ga
        gb = gram(u, v, b, group, symmetric=not reference)
        out = []
        for y in ys:
            left = va * y[None, :]
            w = left @ gb @ left.T
            out.append(np.linalg.eigvalsh((w + w.T) * 0.5)[::-1])
        return out
    del ga
    gb = gram(u, v, b, group)
    out = []
    for i, y in enumerate(ys):
        # Y G_B Y in place on the last class (G_B is not needed after it).
        m = gb if i == len(ys) - 1 else gb.copy()
        m *= y[:, None]
        m *= y[None, :]
        out.append(_reduced_eigvalsh(m, chol)[::-1])
    return out


def _cholesky(g: Array) -> Array | None:
    """Lower Cholesky factor of the symmetric ``g`` (Fortran order; ``g`` is overwritten), None if not definite."""
    from scipy.linalg import lapack

    c, info = lapack.dpotrf(g.T, lower=1, clean=0, overwrite_a=1)
    return c if info == 0 else None


def _reduced_eigvalsh(m: Array, chol: Array) -> Array:
    """Eigenvalues (ascending) of ``Lᵀ m L``, ``m`` symmetric (overwritten), ``L`` lower triangular."""
    from scipy.linalg import lapack

    r, info = lapack.dsygst(m.T, chol, itype=2, lower=1, overwrite_a=1)
    if info != 0:
        raise InternalError(f"dsygst failed with info {info}")
    # The result is in r's lower triangle, the only one numpy's eigvalsh (UPLO="L") reads.
    return np.asarray(np.linalg.eigvalsh(r), dtype=np.float64)


def squared_schmidt_values(
    u: Array,
    v: Array,
    side_a: Sequence[int],
    side_b: Sequence[int],
    weights: Sequence[Array],
    group: int = GROUP,
    reference: bool = False,
) -> list[Array]:
    """Squared, unnormalised Schmidt values of the data tensor for each weight vector, descending.

    The side with fewer features plays A. Samples whose weight is zero in every vector are
    dropped first. Three routes, by the sizes ``2^|A| <= 2^|B|`` of the sides' feature spaces:

    - both at most ``min(n, EXPLICIT_MAX)``: the SVD of the explicit ``2^|A| x 2^|B|`` matrix
      ``V_A diag(y) V_Bᵀ`` (cost ``O(n 2^|A| 2^|B|)``, no ``n x n`` matrix);
    - ``2^|A| <= n``: ``W`` (module docstring) from explicit ``V_A`` and ``G_B`` built
      :data:`CHUNK` rows at a time (memory ``O(CHUNK n)``);
    - otherwise a square root of ``G_A``, which needs ``n x n`` matrices (refused above
      :data:`MAX_GRAM_BYTES` with a :class:`~convac.errors.TooLargeError`), Cholesky-reduced.

    ``reference=True``: the last route as it was before (eigh square root, Grams row by row), kept
    for benchmarks/bench_data_entanglement.py.
    """
    ys = np.stack([np.asarray(w, dtype=np.float64) for w in weights])
    keep = np.any(ys != 0, axis=0)
    u, v, ys = u[keep], v[keep], ys[:, keep]
    n = ys.shape[1]
    a, b = (list(side_a), list(side_b)) if len(side_a) <= len(side_b) else (list(side_b), list(side_a))
    if 2 ** len(b) <= min(n, EXPLICIT_MAX):
        spectra = _explicit(u, v, a, b, ys)
    elif 2 ** len(a) <= n:
        spectra = _gram_in_rows(u, v, a, b, ys, group)
    else:
        spectra = _gram_square_root(u, v, a, b, ys, group, reference)
    return [np.clip(lam2, 0.0, None) for lam2 in spectra]
