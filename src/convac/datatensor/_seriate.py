"""Seriation: put features with high affinity next to each other, in 1D or on a 2D grid.

Used by :func:`convac.rearrange_features`:

- :func:`bisection_tree` splits the features recursively into balanced halves (a ``Bisector``) that
  fill the halves (1D) or the alternate row/column halves (2D) of the pooling tree;
- :func:`tree_layout` lays a tree out as it is (the order of the blocks is whatever the bisector
  returned); :func:`ordered_layout` also orders and orients the blocks at every level, which the
  pooling tree's symmetries allow without changing any block's content: in 1D the optimal leaf
  ordering of the tree (Bar-Joseph et al. 2001, scipy's ``optimal_leaf_ordering``: the flips of every
  node that minimise the summed distance ``1 - affinity`` of neighbours), polished by 2-opt and Or-opt
  moves (which may move features across block boundaries) and opened at its weakest link when the order closes
  into a ring (:func:`cut_ring`: blocks then shift along the ring), then turned to start at its weaker end
  (:func:`orient`); in 2D a bottom-up choice of
  the flips, swaps and (square blocks) rotations of the two children that maximise the affinity across
  their shared boundary, then sweeps that re-orient each block in place while the total grows;
- :func:`greedy_chain` (nearest-neighbour chain, then 2-opt) and :func:`spectral_order` (Fiedler
  vector) are the plain baselines.

>>> import numpy as np
>>> w = np.diag(np.ones(5), 1) + np.diag(np.ones(5), -1)  # a path 0-1-...-5
>>> shuffle = np.array([3, 0, 5, 1, 4, 2])
>>> order = shuffle[greedy_chain(w[np.ix_(shuffle, shuffle)])]
>>> order.tolist() in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0])
True
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from convac.datatensor._bisect import Bisector, fiedler

__all__ = [
    "Tree",
    "bisection_tree",
    "cut_ring",
    "greedy_chain",
    "ordered_layout",
    "orient",
    "snake",
    "spectral_order",
    "tree_layout",
]

Tree = int | tuple["Tree", "Tree", int]
"""A feature (leaf) or ``(first, second, axis)``: ``first`` above (axis 0) or left of (axis 1) ``second``."""

IntArray = npt.NDArray[np.int64]
_DIAGONAL = 0.5  # weight of diagonal neighbours in 2D: breaks ties between flips that rows alone do not see


def bisection_tree(
    w: npt.NDArray[np.float64], feats: IntArray, shape: tuple[int, int], bisect: Bisector, seed: int, rows: bool = True
) -> Tree:
    """Split ``feats`` recursively to fill a ``shape`` region; rows and columns are split alternately."""
    h, wd = shape
    if h * wd == 1:
        return int(feats[0])
    by_rows = (rows and h > 1) or wd == 1
    if by_rows:
        first, second = ((h + 1) // 2, wd), (h // 2, wd)
    else:
        first, second = (h, (wd + 1) // 2), (h, wd // 2)
    mask = bisect(w[np.ix_(feats, feats)], first[0] * first[1], seed)
    return (
        bisection_tree(w, feats[mask], first, bisect, seed, not by_rows),
        bisection_tree(w, feats[~mask], second, bisect, seed, not by_rows),
        0 if by_rows else 1,
    )


def tree_layout(tree: Tree) -> IntArray:
    """Lay the tree's features out as a 2D array, each block where the bisection put it."""
    if isinstance(tree, int):
        return np.array([[tree]], dtype=np.int64)
    a, b, axis = tree
    return np.concatenate([tree_layout(a), tree_layout(b)], axis=axis)


def _leaves(tree: Tree) -> list[int]:
    return [tree] if isinstance(tree, int) else _leaves(tree[0]) + _leaves(tree[1])


def _optimal_leaf_order(w: npt.NDArray[np.float64], tree: Tree) -> IntArray:
    """1D: scipy's optimal leaf ordering of the tree, with distance ``1 - affinity``."""
    from scipy.cluster.hierarchy import leaves_list, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    n = w.shape[0]
    rows: list[list[float]] = []

    def walk(node: Tree) -> tuple[int, int]:  # -> (linkage index, leaf count)
        if isinstance(node, int):
            return node, 1
        (ia, ca), (ib, cb) = walk(node[0]), walk(node[1])
        rows.append([ia, ib, float(ca + cb), float(ca + cb)])  # height = size: monotone up the tree
        return n + len(rows) - 1, ca + cb

    walk(tree)
    dist = 1.0 - w
    np.fill_diagonal(dist, 0.0)
    z = optimal_leaf_ordering(np.array(rows), squareform(dist, checks=False))
    return leaves_list(z).astype(np.int64)


def _orientations(block: IntArray) -> list[IntArray]:
    """Return the block under the pooling tree's symmetries: flips, and for a square block rotations too."""
    flips = [block, block[::-1], block[:, ::-1], block[::-1, ::-1]]
    if block.shape[0] != block.shape[1] or block.shape[0] == 1:
        return flips
    return flips + [f.T for f in flips]


def _cross(w: npt.NDArray[np.float64], first: IntArray, second: IntArray, axis: int) -> float:
    """Affinity across the boundary of ``first`` then ``second`` along ``axis``: neighbours and diagonals."""
    a, b = (first[-1], second[0]) if axis == 0 else (first[:, -1], second[:, 0])
    total = w[a, b].sum()
    if len(a) > 1:
        total += _DIAGONAL * (w[a[:-1], b[1:]].sum() + w[a[1:], b[:-1]].sum())
    return float(total)


def _join(w: npt.NDArray[np.float64], tree: Tree) -> IntArray:
    """Bottom-up: the orientation and order of each node's two children with most affinity across."""
    if isinstance(tree, int):
        return np.array([[tree]], dtype=np.int64)
    a, b, axis = _join(w, tree[0]), _join(w, tree[1]), tree[2]
    best, best_score = np.concatenate([a, b], axis=axis), -1.0
    for ta in _orientations(a):
        for tb in _orientations(b):
            pairs = [(ta, tb), (tb, ta)] if ta.shape == tb.shape else [(ta, tb)]
            for first, second in pairs:
                if first.shape[1 - axis] != second.shape[1 - axis]:
                    continue
                score = _cross(w, first, second, axis)
                if score > best_score + 1e-12:
                    best, best_score = np.concatenate([first, second], axis=axis), score
    return best


def grid_score(w: npt.NDArray[np.float64], grid: IntArray) -> float:
    """Return the summed affinity of neighbours on the grid (diagonal neighbours weighted by ``_DIAGONAL``)."""
    total = w[grid[:, :-1], grid[:, 1:]].sum() + w[grid[:-1], grid[1:]].sum()
    total += _DIAGONAL * (w[grid[:-1, :-1], grid[1:, 1:]].sum() + w[grid[:-1, 1:], grid[1:, :-1]].sum())
    return float(total)


def _refine(w: npt.NDArray[np.float64], tree: Tree, grid: IntArray, sweeps: int) -> IntArray:
    """Re-orient each block in place (top-down, breadth first) while the grid's total affinity grows."""
    nodes: list[Tree] = []
    queue = [tree]
    while queue:
        node = queue.pop(0)
        if not isinstance(node, int):
            nodes.append(node)
            queue += [node[0], node[1]]
    members = [np.array(_leaves(node)) for node in nodes]
    score = grid_score(w, grid)
    for _ in range(sweeps):
        before = score
        for feats in members:
            pos = np.argwhere(np.isin(grid, feats))
            (r0, c0), (r1, c1) = pos.min(axis=0), pos.max(axis=0) + 1
            for cand in _orientations(grid[r0:r1, c0:c1].copy())[1:]:
                trial = grid.copy()
                trial[r0:r1, c0:c1] = cand
                s = grid_score(w, trial)
                if s > score + 1e-12:
                    grid, score = trial, s
        if score <= before + 1e-12:
            break
    return grid


def ordered_layout(w: npt.NDArray[np.float64], tree: Tree, sweeps: int = 3) -> IntArray:
    """Lay the tree's features out as a 2D array with the blocks ordered and oriented by affinity (module docstring)."""
    if all(axis == 1 for axis in _axes(tree)):  # 1D: the exact optimum for neighbours exists
        # ... within the tree; a few 2-opt moves mend what a wrong small split broke (they may move a
        # feature across a block boundary), and a ring is opened at its weakest link
        return orient(w, cut_ring(w, _polish(1.0 - w, _optimal_leaf_order(w, tree))))[None, :]
    return _refine(w, tree, _join(w, tree), sweeps)


def _axes(tree: Tree) -> list[int]:
    return [] if isinstance(tree, int) else [tree[2], *_axes(tree[0]), *_axes(tree[1])]


def greedy_chain(w: npt.NDArray[np.float64], max_passes: int = 50) -> IntArray:
    """Nearest-neighbour chain on the affinity, improved by 2-opt moves on the open path (cost ``1 - w``).

    The chain starts at the feature whose strongest affinity is weakest (a likely end) and always
    steps to the unvisited feature of highest affinity; 2-opt then reverses segments while that
    shortens the path, and a chain that closes into a ring is opened at its weakest link (:func:`cut_ring`).
    """
    n = w.shape[0]
    if n < 3:
        return np.arange(n, dtype=np.int64)
    order = [int(np.argmin(w.max(axis=1)))]
    free = np.ones(n, dtype=bool)
    free[order[0]] = False
    for _ in range(n - 1):
        row = np.where(free, w[order[-1]], -np.inf)
        nxt = int(np.argmax(row))
        order.append(nxt)
        free[nxt] = False
    return cut_ring(w, _two_opt(1.0 - w, np.array(order, dtype=np.int64), max_passes))


def _path_cost(d: npt.NDArray[np.float64], path: IntArray) -> float:
    return float(d[path[:-1], path[1:]].sum())


def _polish(d: npt.NDArray[np.float64], path: IntArray, rounds: int = 10) -> IntArray:
    """2-opt and Or-opt moves in turn until neither shortens the open path (cost ``d``).

    2-opt only reverses segments; a block that the tree put in the wrong place (e.g. the flat ends
    of GunPoint's series, alike in affinity) needs a segment *moved*, which Or-opt does.
    """
    path = _two_opt(d, path.copy(), max_passes=50)
    for _ in range(rounds):
        before = _path_cost(d, path)
        path = _two_opt(d, _or_opt(d, path), max_passes=50)
        if _path_cost(d, path) >= before - 1e-12:
            break
    return path


def _or_opt(d: npt.NDArray[np.float64], path: IntArray, max_passes: int = 50) -> IntArray:
    """Or-opt on an open path: move a segment (any length, either way round) to where it shortens the path most."""
    n = len(path)
    if n < 4:
        return path
    dd = np.zeros((n + 1, n + 1))  # node n: a free end on both sides of the path (open path = cycle through it)
    dd[:n, :n] = d
    p = np.concatenate([[n], path, [n]])
    k = np.arange(n + 1)
    for _ in range(max_passes):
        improved = False
        for length in range(1, n):
            # segment p[i..j] leaves its place and goes between p[k] and p[k + 1], forwards or reversed
            i = np.arange(1, n - length + 2)
            j = i + length - 1
            removed = dd[p[i - 1], p[i]] + dd[p[j], p[j + 1]] - dd[p[i - 1], p[j + 1]]
            base = dd[p[k], p[k + 1]]
            fwd = dd[p[k][None, :], p[i][:, None]] + dd[p[j][:, None], p[k + 1][None, :]] - base
            rev = dd[p[k][None, :], p[j][:, None]] + dd[p[i][:, None], p[k + 1][None, :]] - base
            gain = removed[:, None] - np.minimum(fwd, rev)
            gain[(k[None, :] >= i[:, None] - 1) & (k[None, :] <= j[:, None])] = -np.inf
            a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
            if gain[a, b] <= 1e-12:
                continue
            ii, jj, kk = int(i[a]), int(j[a]), int(k[b])
            seg = p[ii : jj + 1][:: -1 if rev[a, b] < fwd[a, b] else 1]
            rest = np.concatenate([p[:ii], p[jj + 1 :]])
            at = kk + 1 if kk < ii else kk + 1 - length
            p = np.concatenate([rest[:at], seg, rest[at:]])
            improved = True
        if not improved:
            break
    return p[1:-1].copy()


def _two_opt(d: npt.NDArray[np.float64], path: IntArray, max_passes: int) -> IntArray:
    n = len(path)
    for _ in range(max_passes):
        improved = False
        for i in range(n - 1):
            # reverse path[i..j]: edges (i-1, i) and (j, j+1) become (i-1, j) and (i, j+1); ends have no edge
            j = np.arange(i + 1, n)
            left = d[path[i - 1], path[i]] if i > 0 else 0.0
            new_left = d[path[i - 1], path[j]] if i > 0 else np.zeros(len(j))
            nxt = np.minimum(j + 1, n - 1)
            right = np.where(j < n - 1, d[path[j], path[nxt]], 0.0)
            new_right = np.where(j < n - 1, d[path[i], path[nxt]], 0.0)
            gain = left + right - new_left - new_right
            k = int(np.argmax(gain))
            if gain[k] > 1e-12:
                path[i : j[k] + 1] = path[i : j[k] + 1][::-1].copy()
                improved = True
        if not improved:
            break
    return path


def spectral_order(w: npt.NDArray[np.float64], shape: tuple[int, int]) -> IntArray:
    """Spectral seriation: rows by the Fiedler vector, and in 2D each row by the next eigenvector."""
    h, wd = shape
    first = np.argsort(fiedler(w), kind="stable")
    if h == 1:
        return first.astype(np.int64)
    second = fiedler(w, which=2)
    rows = first.reshape(h, wd)
    return np.concatenate([row[np.argsort(second[row], kind="stable")] for row in rows]).astype(np.int64)


def cut_ring(w: npt.NDArray[np.float64], order: IntArray) -> IntArray:
    """Rotate a 1D order that closes into a ring so that it is cut at its weakest link.

    A chain found from affinities alone cannot tell where a ring of related features (e.g. signals
    shifted with wrap-around) should be opened; the order is rotated when a link inside it is weaker
    than the link from its last feature back to its first.

    >>> w = np.ones((4, 4)) - np.eye(4)
    >>> w[1, 2] = w[2, 1] = 0.1  # the weakest link: between features 1 and 2
    >>> cut_ring(w, np.arange(4)).tolist()
    [2, 3, 0, 1]
    """
    if len(order) < 3:
        return order
    links = w[order[:-1], order[1:]]
    k = int(np.argmin(links))
    if links[k] >= w[order[-1], order[0]]:
        return order
    return np.concatenate([order[k + 1 :], order[: k + 1]])


def orient(w: npt.NDArray[np.float64], order: IntArray) -> IntArray:
    """Return the 1D order or its reverse: the one that starts at the end whose strongest affinity is weaker.

    Affinities (symmetric) cannot tell an order from its reverse; without a rule the direction would
    follow the bisector's seed. The rule is greedy-chain's choice of its first feature, applied to the
    two ends, so that the direction depends on the data alone.

    >>> w = np.diag([0.9, 0.5, 0.2], 1)
    >>> w = w + w.T  # a path 0-1-2-3 whose links weaken towards feature 3
    >>> orient(w, np.arange(4)).tolist()
    [3, 2, 1, 0]
    """
    if len(order) > 1 and w[order[0]].max() > w[order[-1]].max():
        return order[::-1].copy()
    return order


def snake(order: IntArray, shape: tuple[int, int]) -> IntArray:
    """Lay a 1D order on a grid row by row, every other row reversed, so that neighbours stay neighbours.

    >>> snake(np.arange(6), (2, 3)).tolist()
    [0, 1, 2, 5, 4, 3]
    """
    grid = np.asarray(order, dtype=np.int64).reshape(shape).copy()
    grid[1::2] = grid[1::2, ::-1]
    return grid.ravel()
