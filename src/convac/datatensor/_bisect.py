"""Balanced bisection of a feature graph: the first step of ``rearrange_features``' entanglement methods.

Bisection methods live in :data:`BISECTORS`, ``f(weights (k, k), size of the first part, seed) -> mask``:

- ``"metis"``: METIS through ``pymetis`` (optional dependency, extra ``data``);
- ``"kernighan_lin"``: networkx's Kernighan-Lin bisection (no extra dependency).

>>> import numpy as np
>>> w = np.kron(np.eye(2), np.ones((3, 3)))  # two cliques of three
>>> mask = BISECTORS["kernighan_lin"](w, 3, 0)
>>> sorted(np.flatnonzero(mask).tolist()) in ([0, 1, 2], [3, 4, 5])
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from convac.errors import MissingDependencyError

__all__ = ["BISECTORS", "EXACT_MAX", "Bisector", "exact_below", "fiedler"]

Bisector = Callable[[npt.NDArray[np.float64], int, int], npt.NDArray[np.bool_]]
"""``f(weights (k, k), size of the first part, seed) -> mask of the first part``."""

_SCALE = 10_000  # METIS wants integer edge weights: |corr| in [0, 1] -> 0..10000


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
    order = np.argsort(fiedler(w))
    first = set(order[:size].tolist())
    a, _ = nx.algorithms.community.kernighan_lin_bisection(
        g, partition=(first, set(range(k)) - first), weight="weight", seed=seed
    )
    mask = np.zeros(k, dtype=bool)
    mask[list(a)] = True
    return _rebalance(w, mask, size)


def fiedler(w: npt.NDArray[np.float64], which: int = 1) -> npt.NDArray[np.float64]:
    """Eigenvector ``which`` (1: the Fiedler vector) of the graph Laplacian of the affinity ``w``.

    >>> w = np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)  # a path 0-1-2-3
    >>> np.argsort(fiedler(w)).tolist() in ([0, 1, 2, 3], [3, 2, 1, 0])
    True
    """
    if w.shape[0] <= which:
        return np.zeros(w.shape[0])
    lap = np.diag(w.sum(axis=1)) - w
    _, vecs = np.linalg.eigh(lap)
    vec = vecs[:, which]
    # eigenvectors have no sign: fix it (largest |entry| positive) so that results do not depend on LAPACK
    return vec * (1.0 if vec[np.argmax(np.abs(vec))] >= 0 else -1.0)


EXACT_MAX = 14
"""Graphs up to this many features are bisected exactly (every balanced split: at most C(14, 7) = 3,432)."""


def exact_below(bisect: Bisector, limit: int = EXACT_MAX) -> Bisector:
    """Return ``bisect`` with graphs of at most ``limit`` nodes bisected exactly (least cut weight).

    METIS and Kernighan-Lin are heuristics that stumble on the few-node graphs at the bottom of the
    tree; there every split can be tried.

    >>> w = np.diag(np.ones(5), 1) + np.diag(np.ones(5), -1)  # a path 0-1-...-5
    >>> np.flatnonzero(exact_below(BISECTORS["metis"])(w, 3, 0)).tolist() in ([0, 1, 2], [3, 4, 5])
    True
    """

    def bisector(w: npt.NDArray[np.float64], size: int, seed: int) -> npt.NDArray[np.bool_]:
        k = w.shape[0]
        if k > limit:
            return bisect(w, size, seed)
        from itertools import combinations

        masks = np.zeros((0, k), dtype=bool)
        if size:
            # feature 0 stays on the first side when both sides have the same size (a split and its mirror)
            pool = range(1, k) if 2 * size == k else range(k)
            picks = [((0, *c) if 2 * size == k else c) for c in combinations(pool, size - (2 * size == k))]
            masks = np.zeros((len(picks), k), dtype=bool)
            for row, c in enumerate(picks):
                masks[row, list(c)] = True
        if len(masks) == 0:
            return np.arange(k) < size
        m = masks.astype(np.float64)
        cut = np.einsum("si,ij,sj->s", m, w, 1.0 - m)
        return masks[int(np.argmin(cut))]

    return bisector


BISECTORS: dict[str, Bisector] = {"metis": _metis, "kernighan_lin": _kernighan_lin}
"""Registry of balanced bisection methods: name -> ``f(weights, size of first part, seed) -> mask``."""
