"""IGTD: features onto a grid so that the ranks of feature distances match those of pixel distances.

Zhu et al. 2021, "Converting tabular data into images for deep learning with convolutional neural
networks", Scientific Reports 11:11325.

Implemented here from the paper's description (no clean package: ``tintolib``, which bundles it, pins
pandas < 3 and pillow < 13). ``R``: the ranks of the pairwise feature distances (here ``1 - affinity``,
the paper's ``1 - Pearson correlation`` with the sign dropped, as :func:`~convac.datatensor.affinity`
does); ``Q``: the ranks of the pairwise Euclidean distances between pixel positions. The error is
``sum_{i<j} |R_ij - Q_ij|`` (the paper's absolute error) for the assignment of features to pixels.
Each step takes the feature considered longest ago, evaluates swapping it with every other feature and
makes the best swap if it lowers the error; the search stops after ``max_step`` steps, or when the
error has fallen by less than a fraction ``threshold`` over the last ``val_step`` steps (the paper's
convergence rule).

>>> import numpy as np
>>> w = np.diag(np.ones(5), 1) + np.diag(np.ones(5), -1) + 0.5 * (np.diag(np.ones(4), 2) + np.diag(np.ones(4), -2))
>>> perm = igtd(w, (1, 6), seed=0)
>>> sorted(perm.tolist()) == list(range(6))
True
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

__all__ = ["igtd"]


def _ranks(d: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Symmetric matrix of the ranks of the off-diagonal entries of ``d`` (ties averaged), zero diagonal."""
    n = d.shape[0]
    iu = np.triu_indices(n, 1)
    out = np.zeros((n, n))
    out[iu] = rankdata(d[iu])
    return out + out.T


def igtd(
    w: npt.NDArray[np.float64],
    shape: tuple[int, int],
    seed: int = 0,
    *,
    max_step: int = 10_000,
    val_step: int = 300,
    threshold: float = 1e-4,
) -> npt.NDArray[np.int64]:
    """Return ``perm``: pixel ``i`` (row-major on ``shape``) holds feature ``perm[i]``.

    ``w``: feature affinity (N x N, in [0, 1]); ``seed`` breaks ties among the features considered
    equally long ago (the paper starts from the features in their given order).
    """
    n = w.shape[0]
    if n < 3:
        return np.arange(n, dtype=np.int64)
    r = _ranks(1.0 - w)
    rr, cc = np.divmod(np.arange(n), shape[1])
    q = _ranks(np.hypot(rr[:, None] - rr[None, :], cc[:, None] - cc[None, :]))
    pixel = np.arange(n)  # pixel[f]: the pixel feature f sits on; the paper's start is the given order
    qf = q[np.ix_(pixel, pixel)]  # qf[f, g]: rank of the distance between the pixels of f and g
    last = np.full(n, -1.0) + 1e-3 * np.random.default_rng(seed).random(n)  # step each feature was last considered
    errors = [float(np.abs(r - qf).sum() / 2)]
    for step in range(max_step):
        a = int(np.argmin(last))
        last[a] = step
        # swapping a and b exchanges rows/columns a and b of qf; the pair (a, b) itself keeps its distance
        cur = np.abs(r[a] - qf[a])[None, :] + np.abs(r - qf)  # [b, k]: |R_ak - Q_ak| + |R_bk - Q_bk|
        new = np.abs(r[a][None, :] - qf) + np.abs(r - qf[a][None, :])  # a takes b's pixel and b takes a's
        diff = new - cur
        idx = np.arange(n)
        delta = diff.sum(axis=1) - diff[idx, a] - diff[idx, idx]  # only pairs with a third feature k change
        delta[a] = np.inf
        b = int(np.argmin(delta))
        if delta[b] < -1e-9:
            _swap(qf, a, b)
            pixel[[a, b]] = pixel[[b, a]]
            last[b] = step
        errors.append(float(np.abs(r - qf).sum() / 2))
        if step >= val_step and errors[-val_step - 1] - errors[-1] < threshold * errors[-val_step - 1]:
            break
    perm = np.empty(n, dtype=np.int64)
    perm[pixel] = np.arange(n)
    return perm


def _swap(qf: npt.NDArray[np.float64], a: int, b: int) -> None:
    qf[[a, b]] = qf[[b, a]]
    qf[:, [a, b]] = qf[:, [b, a]]
