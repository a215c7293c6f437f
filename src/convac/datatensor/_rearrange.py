"""``convac.rearrange_features``: a feature order a weight-sharing CNN can use, with low canonical entanglement.

The practical algorithm of Alexander et al. (docs/theory.md, "Entanglement of data"): a graph on the features,
weighted by ``|correlation|`` (a cheap surrogate of pairwise entanglement, :func:`affinity`), is split
recursively into balanced halves of minimal cut weight, and the halves fill the halves (1D) or quadrant
tree (2D: rows and columns split alternately) of the pooling tree, so that strongly related features end
up in the same blocks. Canonical-partition entanglement cannot see where a block sits nor how it is
oriented (it is invariant under the pooling tree's symmetries), but a CNN whose kernels are shared across
positions can: the default method therefore also orders and orients the blocks at every level, down to
single features, by their affinity (:mod:`~convac.datatensor._seriate`). On images the bisection itself
loses the geometry (blank border pixels take a half of their own, blocks come out as blobs), so on a 2D
grid the default lays the features out by an embedding of the affinity graph instead
(:mod:`~convac.datatensor._layout2d`); the canonical entanglement of either is measured the same way.
Methods (:data:`METHODS`):

- ``"entanglement"`` (default): in 1D, ``"entanglement-blocks"``; on a 2D grid, the features laid out
  by a 2D embedding of the affinity graph, assigned to cells and polished by swaps
  (:mod:`~convac.datatensor._layout2d`): on permuted MNIST it keeps the image's geometry, which
  quadrant bisection does not;
- ``"entanglement-blocks"``: bisection (exact on graphs of at most 14 features, where the
  heuristics stumble), then blocks ordered and oriented by affinity (the default's 2D method before);
- ``"entanglement-unordered"``: bisection only, blocks where the bisector put them (the behaviour
  before blocks were ordered; the names ``"auto"``, ``"metis"`` and ``"kernighan_lin"`` still mean it,
  with that bisector);
- ``"greedy-chain"``: nearest-neighbour chain on the affinity with 2-opt (2D: laid row by row, snaking);
- ``"spectral"``: spectral seriation by the Fiedler vector (2D: rows by it, each row by the next one);
- ``"igtd"``: IGTD (Zhu et al. 2021), features to pixels by matching distance ranks (:mod:`~convac.datatensor._igtd`).

The bisector of the entanglement methods (:data:`BISECTORS`): ``"metis"`` (pymetis, extra ``data``),
``"kernighan_lin"`` (networkx), or ``"auto"``: METIS when pymetis is installed, else Kernighan-Lin.

>>> import numpy as np, convac
>>> rng = np.random.default_rng(0)
>>> z = rng.random((200, 2))
>>> X = np.clip(np.repeat(z, 4, axis=1) + 0.05 * rng.random((200, 8)), 0, 1)[:, [0, 4, 1, 5, 2, 6, 3, 7]]
>>> perm = convac.rearrange_features(X)  # method="entanglement"
>>> sorted(perm.tolist()) == list(range(8)), sorted(perm[:4].tolist()) in ([0, 2, 4, 6], [1, 3, 5, 7])
(True, True)
>>> perm = convac.rearrange_features(X, method="greedy-chain")
>>> sorted(perm.tolist()) == list(range(8)), sorted(perm[:4].tolist()) in ([0, 2, 4, 6], [1, 3, 5, 7])
(True, True)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convac._validation import choice, non_negative_int
from convac.datatensor._bisect import BISECTORS, Bisector, exact_below
from convac.datatensor._canonical import check_grid
from convac.datatensor._entanglement import check_data
from convac.datatensor._igtd import igtd
from convac.datatensor._layout2d import embedding_layout
from convac.datatensor._seriate import (
    bisection_tree,
    greedy_chain,
    ordered_layout,
    snake,
    spectral_order,
    tree_layout,
)
from convac.errors import InputError

__all__ = ["BISECTORS", "LEGACY_METHODS", "METHODS", "Method", "affinity", "rearrange_features"]

Method = Literal[
    "entanglement",
    "entanglement-blocks",
    "entanglement-unordered",
    "greedy-chain",
    "spectral",
    "igtd",
    "auto",
    "metis",
    "kernighan_lin",
]
BisectorName = Literal["auto", "metis", "kernighan_lin"]
OrderMethod = Callable[[npt.NDArray[np.float64], tuple[int, int], int, Bisector], npt.NDArray[np.int64]]
"""``f(affinity (N, N), grid (H, W), seed, bisector) -> perm``: position ``i`` (row-major) holds feature ``perm[i]``."""


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


def _entanglement(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    if min(shape) > 1:
        return embedding_layout(w, shape)
    return _blocks(w, shape, seed, bisect)


def _blocks(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    tree = bisection_tree(w, np.arange(w.shape[0]), shape, exact_below(bisect), seed)
    return ordered_layout(w, tree).ravel()


def _unordered(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    return tree_layout(bisection_tree(w, np.arange(w.shape[0]), shape, bisect, seed)).ravel()


def _greedy_chain(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    return snake(greedy_chain(w), shape)


def _spectral(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    return spectral_order(w, shape)


def _igtd(w: npt.NDArray[np.float64], shape: tuple[int, int], seed: int, bisect: Bisector) -> Any:
    return igtd(w, shape, seed)


METHODS: dict[str, OrderMethod] = {
    "entanglement": _entanglement,
    "entanglement-blocks": _blocks,
    "entanglement-unordered": _unordered,
    "greedy-chain": _greedy_chain,
    "spectral": _spectral,
    "igtd": _igtd,
}
"""Registry of feature-order methods: name -> ``f(affinity, grid (H, W), seed, bisector) -> perm``."""

LEGACY_METHODS: tuple[str, ...] = ("auto", "metis", "kernighan_lin")
"""Method names of earlier versions: ``"entanglement-unordered"`` with that bisector."""


def rearrange_features(
    X: Any,
    y: Any = None,
    grid: Any = None,
    method: Method = "entanglement",
    *,
    seed: int = 0,
    bisector: BisectorName = "auto",
) -> npt.NDArray[np.int64]:
    """Return a permutation ``perm`` of ``range(N)``: ``X[:, perm]`` puts related features next to each other.

    ``X`` is (n, N) or (n, H, W) with values in [0, 1]; ``grid`` is the target layout (default:
    ``X``'s own, ``(N,)`` or ``(H, W)``). Position ``i`` of the rearranged input holds feature
    ``perm[i]`` (in 2D, positions and features are row-major). ``y``: see :func:`affinity`.
    ``method``: a name in :data:`METHODS` (module docstring) or a legacy name; ``bisector``: the
    balanced bisection of the entanglement methods (``"auto"``, ``"metis"`` or ``"kernighan_lin"``).
    The canonical-partition entanglement of the result is measured by :func:`convac.canonical_entanglement`.

    >>> import numpy as np, convac
    >>> X = np.random.default_rng(0).random((40, 4, 4))
    >>> perm = convac.rearrange_features(X, bisector="kernighan_lin")
    >>> perm.shape, sorted(perm.tolist()) == list(range(16))
    ((16,), True)
    """
    x, own = check_data(X)
    grid = own if grid is None else check_grid(grid)
    n_features = x.shape[1]
    if int(np.prod(grid)) != n_features:
        raise InputError(f"grid {grid} has {int(np.prod(grid))} positions but X has {n_features} features")
    choice(method, "method", (*METHODS, *LEGACY_METHODS))
    choice(bisector, "bisector", ("auto", *BISECTORS))
    seed = non_negative_int(seed, "seed")
    if method in LEGACY_METHODS:
        method, bisector = "entanglement-unordered", method  # type: ignore[assignment]
    if bisector == "auto":
        bisector = "metis" if importlib.util.find_spec("pymetis") is not None else "kernighan_lin"
    shape = (1, grid[0]) if len(grid) == 1 else (grid[0], grid[1])
    perm = np.asarray(METHODS[method](affinity(x, y), shape, seed, BISECTORS[bisector]), dtype=np.int64)
    return perm
