"""A plain layer-at-a-time numpy reference for the network path's Schmidt values (benchmarks only).

``one_sided``: the issue's reference for a cut whose every subtree but the path to the root lies on
one side (left/right, a few blocks): the square-root Gram recursion for all nodes of a layer at once
(Khatri-Rao pooling, batched matmul, batched QR), then the path's nodes one by one.

For the other partition families the benchmark's reference is the dense path, itself a
layer-at-a-time numpy contraction and one SVD (``convac.schmidt._dense``), where ``M**N`` fits.
"""

from __future__ import annotations

import numpy as np


def _normalise(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    peak = np.abs(t).reshape(len(t), -1).max(axis=1)
    k = np.frexp(np.where(peak > 0, peak, 1.0))[1].astype(np.int64)
    return np.ldexp(t, -k.reshape(-1, *([1] * (t.ndim - 1)))), k


def _r(m: np.ndarray) -> np.ndarray:
    """Batched R of QR when the rows exceed the columns (else unchanged)."""
    return np.linalg.qr(m, mode="r") if m.shape[-2] > m.shape[-1] else m


def one_sided(weights: list[np.ndarray], n_left: int, window: int = 2, output: int = 0) -> np.ndarray:
    """Schmidt values (normalised) across the cut between the first ``n_left`` inputs and the rest.

    ``n_left`` must be a multiple of every layer's pooling so only the root straddles the cut.
    """
    facs: list[np.ndarray] = []
    f = weights[0]
    for wl in weights[1:-1]:
        f = _r(f)
        f, _ = _normalise(f)
        k, rows, c = len(f) // window, *f.shape[1:]
        kids = f.reshape(k, window, rows, c)
        acc = kids[:, 0]
        for j in range(1, window):
            acc = (acc[:, :, None, :] * kids[:, j][:, None, :, :]).reshape(k, -1, c)
        f = np.matmul(_r(acc), wl)
        facs.append(f)
    f, _ = _normalise(_r(f))
    # The root: its two halves are the two sides' factors; the output weights join them.
    half = len(f) // 2
    left = f[:half]
    right = f[half:]
    top = weights[-1][0][:, output]

    def side(parts: np.ndarray) -> np.ndarray:
        acc = parts[0]
        for p in parts[1:]:
            acc = _r((acc[:, None, :] * p[None, :, :]).reshape(-1, acc.shape[-1]))
        return acc

    ra, rb = side(left), side(right)
    s = np.linalg.svd((ra * top) @ rb.T, compute_uv=False)
    return s / np.linalg.norm(s)
