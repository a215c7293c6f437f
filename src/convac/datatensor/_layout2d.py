"""2D feature layout of ``rearrange_features``' entanglement method: embed the affinity graph, fill the grid, polish.

Quadrant bisection keeps related features in the same blocks, but on images it does not keep the
geometry a weight-sharing CNN needs: a balanced min-cut of the dense ``|correlation|`` graph is
dominated by long-range co-occurrence, so the blocks come out as blobs, and the near-constant border
pixels of MNIST form one cheap cluster that takes a whole half of the grid and squeezes the informative
centre into the other (docs/findings/feature-order-2d.md). What works instead:

1. **Embed** (Isomap, Tenenbaum et al. 2000): the graph of each feature's ``k`` strongest affinities,
   edge length ``-ln |corr|``; graph (geodesic) distances; classical MDS to two coordinates. Features
   whose strongest affinity is below ``live`` (constant or nearly so) are left out.
2. **Fill**: the embedded features take the cells nearest the grid's centre, as many as they are
   (scaled to that disk), by a minimum-cost assignment (``scipy.optimize.linear_sum_assignment``) of
   embedding to cell, trying rotations of the embedding every 7.5 degrees (classical MDS fixes it only
   up to a rotation) and keeping the one with the most affinity between grid neighbours
   (:func:`~convac.datatensor._seriate.grid_score`); the other features fill the remaining cells.
3. **Polish**: swaps of two cells that raise the summed neighbour affinity, many disjoint ones per round
   (:func:`swap_polish`).

The quadrant blocks of the result are contiguous regions of the embedding; their canonical entanglement
is what the feature-order experiment reports.

>>> import numpy as np
>>> r, c = np.divmod(np.arange(36), 6)
>>> w = np.exp(-np.hypot(r[:, None] - r, c[:, None] - c))  # affinity decays with distance on a 6x6 grid
>>> np.fill_diagonal(w, 0)
>>> shuffle = np.random.default_rng(0).permutation(36)
>>> back = shuffle[embedding_layout(w[np.ix_(shuffle, shuffle)], (6, 6))].reshape(6, 6)  # original cell per cell
>>> rr, cc = np.divmod(back, 6)
>>> float(np.mean(np.abs(np.diff(rr, axis=1)) + np.abs(np.diff(cc, axis=1)) == 1))  # row neighbours kept
1.0
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from convac.datatensor._seriate import grid_score

__all__ = ["embedding_layout", "grid_adjacency", "swap_polish"]

IntArray = npt.NDArray[np.int64]
K_NEIGHBOURS = 4  # on mnist5k (seeds 0, 1) k = 4 kept the most grid neighbours of k in 4..12
LIVE = 0.3  # a feature whose strongest |corr| is below this is placed after the embedded ones
_ANGLES = np.deg2rad(np.arange(0.0, 90.0, 7.5))


def _isomap(w: npt.NDArray[np.float64], k: int) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Return the features of the graph's largest component and their 2D classical-MDS coordinates."""
    from scipy.sparse.csgraph import connected_components, shortest_path

    n = w.shape[0]
    k = min(k, n - 1)
    nearest = np.argsort(-w, axis=1, kind="stable")[:, :k]
    rows, cols = np.repeat(np.arange(n), k), nearest.ravel()
    length = -np.log(np.clip(w[rows, cols], 1e-12, 1.0)) + 1e-9  # + 1e-9: a perfect correlation is still an edge
    graph = sparse.csr_matrix((length, (rows, cols)), shape=(n, n))
    graph = graph.maximum(graph.T)
    _, label = connected_components(graph, directed=False)
    main = np.flatnonzero(label == np.argmax(np.bincount(label)))
    dist = shortest_path(graph[main][:, main], directed=False)
    m = len(main)
    centre = np.eye(m) - 1.0 / m
    gram = -0.5 * centre @ (dist**2) @ centre
    vals, vecs = np.linalg.eigh(gram)
    return main.astype(np.int64), vecs[:, -2:] * np.sqrt(np.maximum(vals[-2:], 0.0))


def embedding_layout(
    w: npt.NDArray[np.float64], shape: tuple[int, int], k: int = K_NEIGHBOURS, live: float = LIVE
) -> IntArray:
    """Lay the features of affinity ``w`` on an ``(H, W)`` grid by embedding, assignment and swaps (module doc).

    Returns the row-major feature at each cell (a permutation of ``range(H * W)``). Cost: dense ``N x N``
    arrays (MDS, one assignment per rotation, the polish's gains), about 2 s for MNIST's 28x28 and 20 s for a
    32x32 grid on one busy core; grids much larger than that are slow.
    """
    from scipy.optimize import linear_sum_assignment

    h, wd = shape
    n = h * wd
    alive = np.flatnonzero(w.max(axis=1) >= live)
    if len(alive) < 3:
        alive = np.arange(n)
    sub, coords = _isomap(w[np.ix_(alive, alive)], k)
    feats = alive[sub]
    rest = np.setdiff1d(np.arange(n), feats)
    r, c = np.divmod(np.arange(n), wd)
    cells = np.stack([r - (h - 1) / 2, c - (wd - 1) / 2], axis=1).astype(np.float64)
    disk = cells[np.argsort(np.hypot(cells[:, 0], cells[:, 1]), kind="stable")[: len(feats)]]
    coords = coords - coords.mean(axis=0)
    spread = float((coords**2).sum())
    coords = coords * (np.sqrt((disk**2).sum() / spread) if spread > 0 else 1.0)
    best, best_score = np.arange(n, dtype=np.int64), -np.inf
    for angle in _ANGLES:
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        cost = ((coords @ rot)[:, None, :] - cells[None, :, :]) ** 2
        fi, ci = linear_sum_assignment(cost.sum(axis=2))
        grid = np.full(n, -1, dtype=np.int64)
        grid[ci] = feats[fi]
        grid[grid < 0] = rest
        score = grid_score(w, grid.reshape(shape))
        if score > best_score + 1e-12:
            best, best_score = grid, score
    return swap_polish(w, best.reshape(shape)).ravel()


def grid_adjacency(shape: tuple[int, int], diagonal: float = 0.5) -> sparse.csr_matrix:
    """Weights of grid neighbours between row-major cells: 1 for the 4 neighbours, ``diagonal`` for diagonals.

    The same weights as :func:`~convac.datatensor._seriate.grid_score`, whose total is half the sum of
    ``adjacency * affinity-between-the-cells'-features``.

    >>> grid_adjacency((2, 2)).toarray()
    array([[0. , 1. , 1. , 0.5],
           [1. , 0. , 0.5, 1. ],
           [1. , 0.5, 0. , 1. ],
           [0.5, 1. , 1. , 0. ]])
    """
    h, wd = shape
    idx = np.arange(h * wd).reshape(h, wd)
    pairs = [
        (idx[:, :-1], idx[:, 1:], 1.0),
        (idx[:-1], idx[1:], 1.0),
        (idx[:-1, :-1], idx[1:, 1:], diagonal),
        (idx[:-1, 1:], idx[1:, :-1], diagonal),
    ]
    rows = np.concatenate([np.concatenate([a.ravel(), b.ravel()]) for a, b, _ in pairs])
    cols = np.concatenate([np.concatenate([b.ravel(), a.ravel()]) for a, b, _ in pairs])
    vals = np.concatenate([np.full(2 * a.size, v) for a, _, v in pairs])
    return sparse.csr_matrix((vals, (rows, cols)), shape=(h * wd, h * wd))


def swap_polish(w: npt.NDArray[np.float64], grid: IntArray, max_rounds: int = 500) -> IntArray:
    """Swap pairs of cells while that raises :func:`~convac.datatensor._seriate.grid_score` (a local search).

    Each round computes the gain of every swap at once and makes the best disjoint ones: swaps whose
    cells are outside each other's neighbourhoods, so that each gain stays exact.

    >>> w = np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)  # a path 0-1-2-3
    >>> swap_polish(w, np.array([[0, 2, 1, 3]])).tolist() in ([[0, 1, 2, 3]], [[3, 2, 1, 0]])  # the path, either way
    True
    """
    shape = grid.shape
    feats = grid.ravel().copy()
    adj = grid_adjacency((shape[0], shape[1]))
    dense = adj.toarray()
    near = dense > 0
    aff = w[np.ix_(feats, feats)]  # affinity between the features of two cells
    for _ in range(max_rounds):
        am = np.asarray(adj @ aff)
        own = np.einsum("ij,ij->i", dense, aff)
        # gain of swapping the features of cells p and q (their own link does not change)
        gain = am + am.T - own[:, None] - own[None, :] + 2.0 * dense * aff
        best_q = np.argmax(gain, axis=1)
        best = gain[np.arange(len(feats)), best_q]
        blocked = np.zeros(len(feats), dtype=bool)
        made = 0
        for p in np.argsort(-best, kind="stable"):
            if best[p] <= 1e-9:
                break
            q = int(best_q[p])
            if blocked[p] or blocked[q]:
                continue
            blocked |= near[p] | near[q]
            blocked[[p, q]] = True
            feats[[p, q]] = feats[[q, p]]
            aff[[p, q]] = aff[[q, p]]
            aff[:, [p, q]] = aff[:, [q, p]]
            made += 1
        if not made:
            break
    return feats.reshape(shape)
