"""``convac.rearrange_features``: a feature order with low canonical-partition entanglement.

The practical algorithm of Alexander et al. (docs/theory.md, "Entanglement of data"): a graph on the features,
weighted by ``|correlation|`` (a cheap surrogate of pairwise entanglement), is split recursively
into balanced halves of minimal cut weight, and the halves fill the halves (1D) or quadrant tree
(2D: rows and columns split alternately) of the pooling tree, so that strongly related features
end up in the same blocks. Bisection methods live in :data:`BISECTORS`:

- ``"metis"``: METIS through ``pymetis`` (optional dependency, extra ``data``);
- ``"kernighan_lin"``: networkx's Kernighan-Lin bisection (no extra dependency);
- ``"auto"``: METIS when pymetis is installed, else Kernighan-Lin.

>>> import numpy as np, convac
>>> rng = np.random.default_rng(0)
>>> z = rng.random((200, 2))
>>> X = np.clip(np.repeat(z, 4, axis=1) + 0.05 * rng.random((200, 8)), 0, 1)[:, [0, 4, 1, 5, 2, 6, 3, 7]]
>>> perm = convac.rearrange_features(X)  # method="auto"
>>> sorted(perm.tolist()) == list(range(8)), sorted(perm[:4].tolist()) in ([0, 2, 4, 6], [1, 3, 5, 7])
(True, True)
>>> perm = convac.rearrange_features(X, method="kernighan_lin")
>>> sorted(perm.tolist()) == list(range(8)), sorted(perm[:4].tolist()) in ([0, 2, 4, 6], [1, 3, 5, 7])
(True, True)
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convac._validation import choice, non_negative_int
from convac.datatensor._canonical import check_grid
from convac.datatensor._entanglement import check_data
from convac.errors import InputError, MissingDependencyError

__all__ = ["BISECTORS", "Method", "affinity", "rearrange_features"]

Method = Literal["auto", "metis", "kernighan_lin"]
Bisector = Callable[[npt.NDArray[np.float64], int, int], npt.NDArray[np.bool_]]
"""``f(weights (k, k), size of the first part, seed) -> mask of the first part``."""

_SCALE = 10_000  # METIS wants integer edge weights: |corr| in [0, 1] -> 0..10000


def affinity(x: npt.NDArray[np.float64], y: Any = None) -> npt.NDArray[np.float64]:
    """``|correlation|`` between features (N x N, zero diagonal); constant features have affinity 0.

    With integer labels it is the mean over classes of the within-class ``|correlation|``; with
    float weights, the correlation of the samples weighted by ``|y|``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([0.0, 1.0, 2.0, 3.0])
    >>> x = np.stack([t, -2 * t, np.ones(4)], axis=1)  # feature 1 = -2 * feature 0; feature 2 constant
    >>> affinity(x)
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    >>> bool(np.allclose(affinity(x, np.array([0, 0, 1, 1])), affinity(x)))  # perfect within each class too
    True
    """
    groups: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]]
    if y is None:
        groups = [(x, None)]
    else:
        arr = np.asarray(y)
        if arr.shape != (x.shape[0],):
            raise InputError(f"y must have one entry per sample, shape ({x.shape[0]},), got shape {arr.shape}")
        if arr.dtype.kind in "iub":
            groups = [(x[arr == c], None) for c in np.unique(arr) if np.count_nonzero(arr == c) > 1]
        else:
            groups = [(x, np.abs(arr.astype(np.float64)))]
    total = np.zeros((x.shape[1], x.shape[1]))
    for xs, w in groups:
        w = np.ones(xs.shape[0]) if w is None else w
        w = w / w.sum()
        c = xs - w @ xs
        cov = (c * w[:, None]).T @ c
        sd = np.sqrt(np.diag(cov))
        live = sd > 1e-12
        corr = np.zeros_like(cov)
        corr[np.ix_(live, live)] = cov[np.ix_(live, live)] / np.outer(sd[live], sd[live])
        total += np.abs(corr)
    total /= len(groups)
    np.fill_diagonal(total, 0.0)
    return total


def _rebalance(w: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_], size: int) -> npt.NDArray[np.bool_]:
    """Move the nodes that cost least from the larger side until the first side has ``size`` nodes."""
    mask = mask.copy()
    while mask.sum() != size:
        src = mask if mask.sum() > size else ~mask
        # gain of moving node i from src: its weight to the other side minus its weight to its own side
        gain = w[:, ~src].sum(axis=1) - w[:, src].sum(axis=1)
        cand = np.flatnonzero(src)
        i = cand[np.argmax(gain[cand])]
        mask[i] = not mask[i]
    return mask


def _metis(w: npt.NDArray[np.float64], size: int, seed: int) -> npt.NDArray[np.bool_]:
    try:
        pymetis = importlib.import_module("pymetis")
    except ImportError:
        raise MissingDependencyError(
            "method 'metis' needs the optional package pymetis (pip install 'convac[data]'); "
            "or use method='kernighan_lin'"
        ) from None
    k = w.shape[0]
    iw = np.rint(w * _SCALE).astype(np.int64)
    xadj, adjncy, eweights = [0], [], []
    for i in range(k):
        nb = np.flatnonzero(iw[i])
        adjncy.extend(nb.tolist())
        eweights.extend(iw[i, nb].tolist())
        xadj.append(len(adjncy))
    if not adjncy:
        return np.arange(k) < size
    opts = pymetis.Options(seed=seed, ufactor=1)
    # tpwgts sets the target sizes of the two parts (halves of odd sizes differ by one)
    _, parts = pymetis.part_graph(
        2, pymetis.CSRAdjacency(xadj, adjncy), eweights=eweights, options=opts, tpwgts=[size / k, 1 - size / k]
    )
    return _rebalance(w, np.asarray(parts) == 0, size)


def _kernighan_lin(w: npt.NDArray[np.float64], size: int, seed: int) -> npt.NDArray[np.bool_]:
    import networkx as nx

    k = w.shape[0]
    g = nx.Graph()
    g.add_nodes_from(range(k))
    ii, jj = np.nonzero(np.triu(w, 1))
    g.add_weighted_edges_from(zip(ii.tolist(), jj.tolist(), w[ii, jj].tolist(), strict=True))
    # KL swaps pairs, so it keeps the sizes of the starting split: start from the spectral order's halves
    order = np.argsort(_fiedler(w))
    first = set(order[:size].tolist())
    a, _ = nx.algorithms.community.kernighan_lin_bisection(
        g, partition=(first, set(range(k)) - first), weight="weight", seed=seed
    )
    mask = np.zeros(k, dtype=bool)
    mask[list(a)] = True
    return _rebalance(w, mask, size)


def _fiedler(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lap = np.diag(w.sum(axis=1)) - w
    _, vecs = np.linalg.eigh(lap)
    return vecs[:, 1] if w.shape[0] > 1 else np.zeros(w.shape[0])


BISECTORS: dict[str, Bisector] = {"metis": _metis, "kernighan_lin": _kernighan_lin}
"""Registry of balanced bisection methods: name -> ``f(weights, size of first part, seed) -> mask``."""


def _fill(
    w: npt.NDArray[np.float64],
    feats: npt.NDArray[np.int64],
    region: tuple[int, int, int, int],
    width: int,
    split_rows: bool,
    out: npt.NDArray[np.int64],
    bisect: Bisector,
    seed: int,
) -> None:
    r0, r1, c0, c1 = region
    h, wd = r1 - r0, c1 - c0
    if h * wd == 1:
        out[r0 * width + c0] = feats[0]
        return
    rows = (split_rows and h > 1) or wd == 1
    if rows:
        mid = r0 + (h + 1) // 2
        first, second = (r0, mid, c0, c1), (mid, r1, c0, c1)
        size = (mid - r0) * wd
    else:
        mid = c0 + (wd + 1) // 2
        first, second = (r0, r1, c0, mid), (r0, r1, mid, c1)
        size = h * (mid - c0)
    mask = bisect(w[np.ix_(feats, feats)], size, seed)
    _fill(w, feats[mask], first, width, not rows, out, bisect, seed)
    _fill(w, feats[~mask], second, width, not rows, out, bisect, seed)


def rearrange_features(
    X: Any,
    y: Any = None,
    grid: Any = None,
    method: Method = "auto",
    *,
    seed: int = 0,
) -> npt.NDArray[np.int64]:
    """Return a permutation ``perm`` of ``range(N)``: ``X[:, perm]`` puts related features in the same pooling blocks.

    ``X`` is (n, N) or (n, H, W) with values in [0, 1]; ``grid`` is the target layout (default:
    ``X``'s own, ``(N,)`` or ``(H, W)``). Position ``i`` of the rearranged input holds feature
    ``perm[i]`` (in 2D, positions and features are row-major). ``y``: see :func:`affinity`.
    ``method``: ``"auto"``, ``"metis"`` or ``"kernighan_lin"`` (module docstring).

    >>> import numpy as np, convac
    >>> X = np.random.default_rng(0).random((40, 4, 4))
    >>> perm = convac.rearrange_features(X, method="kernighan_lin")
    >>> perm.shape, sorted(perm.tolist()) == list(range(16))
    ((16,), True)
    """
    x, own = check_data(X)
    grid = own if grid is None else check_grid(grid)
    n_features = x.shape[1]
    if int(np.prod(grid)) != n_features:
        raise InputError(f"grid {grid} has {int(np.prod(grid))} positions but X has {n_features} features")
    choice(method, "method", ("auto", *BISECTORS))
    seed = non_negative_int(seed, "seed")
    if method == "auto":
        method = "metis" if importlib.util.find_spec("pymetis") is not None else "kernighan_lin"
    w = affinity(x, y)
    h, wd = (1, grid[0]) if len(grid) == 1 else grid
    out = np.full(n_features, -1, dtype=np.int64)
    _fill(w, np.arange(n_features), (0, h, 0, wd), wd, True, out, BISECTORS[method], seed)
    return out
