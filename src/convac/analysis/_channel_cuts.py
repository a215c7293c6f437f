"""Min-cuts of one partition for many channel vectors at once (the design search's inner loop).

:func:`convac.min_cut` solves one architecture exactly. A design search asks the same few
partitions of one grid for hundreds of thousands of channel vectors. Two facts make that cheap:

- the DP state of a subtree (cheapest cut with its root on side A, on side B) depends only on
  the partition's pattern inside the subtree, and the probe partitions (blocks, halves) have
  a handful of distinct patterns per layer, however large the grid;
- every cut weight is a product of bond dimensions, so in log2 the DP is sums and minima that
  numpy vectorises over the channel vectors.

The recursion (delta of window ``k`` of layer ``l``: dimension ``r_l``, a hyperedge): a node on
side ``s`` either keeps its window's delta whole (every child on side ``s``) or cuts it once
(``log2 r_l``) and lets each child take its cheaper side. Leaves pay ``log2 M`` when put on the
side opposite their input. Floats are used for *ranking* candidates only; reported min-cuts are
recomputed exactly with :func:`convac.min_cut`.

Examples
--------
>>> import numpy as np
>>> from convac import Architecture, Partition, min_cut
>>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
>>> part = Partition.left_right(arch)
>>> log2_min_cuts(arch, part.mask, np.array([[3, 4, 5], [8, 1, 8]])).round(6).tolist()
[2.0, 0.0]
>>> min_cut(arch, part).value
4
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from convac.errors import ArchitectureError, PartitionError
from convac.spec import Architecture

__all__ = ["binding_layers", "log2_min_cuts", "subtree_patterns"]

FloatArray = npt.NDArray[np.float64]


def subtree_patterns(arch: Architecture, mask: npt.ArrayLike) -> list[list[tuple[int, ...]]]:
    """Per layer ``1 .. L``, the distinct subtree patterns as tuples of child pattern ids.

    Layer 0's patterns are the input sides (id 0 = side B, id 1 = side A). ``result[l][i]``
    lists, for pattern ``i`` of layer ``l + 1``, the pattern ids of its window's children.

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> arch = Architecture.deep_2d(height=16, width=16, n_features=2, channels=[2, 2, 2, 2])
    >>> [len(p) for p in subtree_patterns(arch, Partition.checkerboard(arch).mask)]
    [1, 1, 1, 1]
    """
    m = np.asarray(mask, dtype=bool).ravel()
    if m.shape != (arch.n_inputs,):
        raise PartitionError(f"mask must have {arch.n_inputs} entries, got {m.size}")
    ids = m.astype(np.int64)  # layer-0 pattern id of each position
    out: list[list[tuple[int, ...]]] = []
    for layer in range(arch.depth):
        table: dict[tuple[int, ...], int] = {}
        new_ids = []
        for window in arch.pool_windows(layer):
            key = tuple(int(ids[j]) for j in window)
            new_ids.append(table.setdefault(key, len(table)))
        out.append(list(table))
        ids = np.asarray(new_ids, dtype=np.int64)
    return out


def log2_min_cuts(arch: Architecture, mask: npt.ArrayLike, channels: npt.ArrayLike) -> FloatArray:
    """log2 of the min-cut of ``arch``'s grid across ``mask`` for each row of ``channels``.

    ``channels`` has shape ``(n_candidates, depth)`` (``arch.channels`` itself is ignored; its
    grid, ``M`` and window are used). Returns float64 of shape ``(n_candidates,)``.

    Examples
    --------
    >>> import numpy as np, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
    >>> mask = convac.Partition.left_right(arch).mask
    >>> log2_min_cuts(arch, mask, [[2, 2, 2], [4, 8, 8]]).tolist()  # left/right: min(r_1, min(r_0, M^2)^2)
    [1.0, 3.0]
    """
    if arch.kind != "deep":
        raise ArchitectureError("log2_min_cuts needs a deep ConvAC (a shallow one has a closed form)")
    ch = np.asarray(channels, dtype=np.float64)
    if ch.ndim != 2 or ch.shape[1] != arch.depth:
        raise ArchitectureError(f"channels must have shape (n, {arch.depth}), got {ch.shape}")
    if (ch < 1).any():
        raise ArchitectureError("channel numbers must be at least 1")
    return _log2_min_cuts(arch, mask, np.log2(ch), np.full(ch.shape[0], float(np.log2(arch.n_features))))


def _log2_min_cuts(arch: Architecture, mask: npt.ArrayLike, logs: FloatArray, log_m: FloatArray) -> FloatArray:
    """Return the DP on log2 bond dimensions given directly (per candidate: ``logs`` per layer, ``log_m``)."""
    n = logs.shape[0]
    zero = np.zeros(n)
    full = log_m
    # cost[i] = (cost with root on side B, cost on side A) for layer-l pattern i
    cost: list[tuple[FloatArray, FloatArray]] = [(full, zero), (zero, full)]  # id 0: input on B; id 1: on A
    for layer, patterns in enumerate(subtree_patterns(arch, mask)):
        d = logs[:, layer]
        nxt = []
        for children in patterns:
            on_b = np.sum([cost[c][0] for c in children], axis=0)
            on_a = np.sum([cost[c][1] for c in children], axis=0)
            free = d + np.sum([np.minimum(*cost[c]) for c in children], axis=0)
            nxt.append((np.minimum(on_b, free), np.minimum(on_a, free)))
        cost = nxt
    (root,) = cost
    return np.minimum(*root)


def binding_layers(arch: Architecture, mask: npt.ArrayLike) -> tuple[int, ...]:
    """Layers that some minimal cut goes through (``-1``: the input edges): the ones that *bind*.

    Layer ``l`` binds iff making its bonds a little narrower (``r_l -> r_l (1 - 1e-6)``, in the
    log domain) lowers the min-cut. When several cuts tie, all their layers are listed (a single
    cut's ``edges`` name only one of them).

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2])
    >>> binding_layers(arch, Partition.left_right(arch).mask)  # r_1 = r_2 = 2: both cuts are minimal
    (1, 2)
    """
    eps = np.log2(1 - 1e-6)
    base = np.log2(np.asarray(arch.channels, dtype=np.float64))
    logs = np.repeat(base[None], arch.depth + 2, axis=0)
    log_m = np.full(arch.depth + 2, float(np.log2(arch.n_features)))
    log_m[1] += eps
    for layer in range(arch.depth):
        logs[layer + 2, layer] += eps
    cuts = _log2_min_cuts(arch, mask, logs, log_m)
    return tuple(lay - 1 for lay in range(arch.depth + 1) if cuts[lay + 1] < cuts[0] - 1e-9)
