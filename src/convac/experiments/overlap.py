"""Experiments on overlapping ConvACs: rank against min-cut (tightness) and the volume law.

Used by ``benchmarks/overlap_tightness.py`` and ``benchmarks/overlap_volume_law.py`` (the README
numbers and docs/overlap/volume_law.png) and by the tests on small sizes.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=3)])
>>> rows = rank_vs_min_cut(spec)
>>> len(rows), all(r.rank <= r.cut for r in rows)
(7, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from convac.mincut import min_cut
from convac.partitions import Partition
from convac.ranks._finite_field import DEFAULT_PRIME, rank_mod
from convac.schmidt._measures import entropy
from convac.spec import ConvStep, GeneralArchitecture
from convac.tensornet._general import general_coefficient_tensor as coefficient_tensor
from convac.tensornet._general import general_coefficient_tensor_mod as coefficient_tensor_mod
from convac.tensornet._recursion import matricize

__all__ = [
    "RankCut",
    "all_partitions",
    "block_partition",
    "overlap_stack",
    "rank_vs_min_cut",
    "tightness_cases",
    "tree_stack",
    "volume_law_rows",
]


@dataclass(frozen=True)
class RankCut:
    """Generic rank and min-cut of one partition.

    >>> RankCut(side_a=(0, 1), rank=4, cut=4).rank
    4
    """

    side_a: tuple[int, ...]
    rank: int
    cut: int


def all_partitions(n: int) -> list[Partition]:
    """Return every bipartition of ``n`` inputs up to swapping the sides (input 0 on side A).

    >>> [p.side_a for p in all_partitions(3)]
    [(0,), (0, 1), (0, 2)]
    """
    return [
        Partition(n, side_a=(0, *rest)) for size in range(n - 1) for rest in itertools.combinations(range(1, n), size)
    ]


def rank_vs_min_cut(
    spec: GeneralArchitecture,
    partitions: Sequence[Partition] | None = None,
    seeds: Iterable[int] = (0, 1),
    prime: int = DEFAULT_PRIME,
) -> list[RankCut]:
    """Return the exact generic rank (the maximum over ``seeds``, mod ``prime``) and min-cut of each partition.

    Later seeds are drawn only for partitions whose rank is still below the min-cut.

    >>> spec = overlap_stack((4,), 2, [2], kernel=3, top=2)
    >>> [(r.side_a, r.rank, r.cut) for r in rank_vs_min_cut(spec)][:2]
    [((0,), 2, 2), ((0, 1), 4, 4)]
    """
    parts = all_partitions(spec.n_inputs) if partitions is None else list(partitions)
    cuts = [min_cut(spec, p).value for p in parts]
    ranks = [0] * len(parts)
    for seed in seeds:
        todo = [i for i in range(len(parts)) if ranks[i] < cuts[i]]
        if not todo:
            break
        tensor = coefficient_tensor_mod(spec, seed, prime)
        by_shape: dict[int, list[int]] = {}
        for i in todo:
            by_shape.setdefault(len(parts[i].side_a), []).append(i)
        for group in by_shape.values():
            stack = np.stack([matricize(tensor, parts[i]) for i in group])
            for i, r in zip(group, rank_mod(stack, prime, batched=True), strict=True):  # type: ignore[arg-type]
                ranks[i] = max(ranks[i], int(r))
    return [RankCut(p.side_a, r, c) for p, r, c in zip(parts, ranks, cuts, strict=True)]


def overlap_stack(
    grid: tuple[int, ...], n_features: int, channels: Sequence[int], kernel: int = 3, top: int | None = None
) -> GeneralArchitecture:
    """Return ``len(channels)`` stride-1 convolutions of ``kernel`` (padding keeps the grid), then a global step.

    The global step has ``top`` channels (default: the last of ``channels``).

    >>> spec = overlap_stack((6,), 2, [3, 3], kernel=3)
    >>> spec.depth, spec.layer_grid(2), spec.is_tree
    (3, (6,), False)
    """
    pad = (kernel - 1) // 2
    steps = [ConvStep(c, kernel=kernel, padding=pad) for c in channels]
    steps.append(ConvStep(channels[-1] if top is None else top, kernel=grid))
    return GeneralArchitecture(grid=grid, n_features=n_features, steps=tuple(steps))


def tree_stack(
    grid: tuple[int, ...], n_features: int, channels: Sequence[int], windows: Sequence[int]
) -> GeneralArchitecture:
    """Return non-overlapping pooling windows (kernel = stride) of the given sizes: the paper's tree.

    >>> tree_stack((8,), 2, [3, 3, 2], [2, 2, 2]).is_tree
    True
    """
    steps = [ConvStep(c, kernel=w, stride=w) for c, w in zip(channels, windows, strict=True)]
    return GeneralArchitecture(grid=grid, n_features=n_features, steps=tuple(steps))


def tightness_cases() -> list[tuple[str, GeneralArchitecture]]:
    """Return the small overlapping specs of the tightness table (1D N = 6..12, M = 2, stride 1; one 2D).

    >>> cases = tightness_cases()
    >>> len(cases), cases[0][0]
    (45, 'N=6 k=2,2,4 C=2,2,2')
    """
    out = []
    for n in (6, 8, 10, 12):
        for k in (2, 3):
            for c1, c2, c3 in ((2, 2, 2), (3, 3, 3), (2, 3, 2), (3, 2, 3)):
                rest = n - 2 * (k - 1)
                spec = GeneralArchitecture(
                    grid=(n,),
                    n_features=2,
                    steps=(ConvStep(c1, kernel=k), ConvStep(c2, kernel=k), ConvStep(c3, kernel=rest)),
                )
                out.append((f"N={n} k={k},{k},{rest} C={c1},{c2},{c3}", spec))
    for c in ((2, 2), (3, 3), (2, 3)):
        spec = overlap_stack((8,), 2, c, kernel=3, top=2)
        out.append((f"N=8 k=3 pad 1 x2, global C={c[0]},{c[1]},2", spec))
    for c2d in ((2, 2), (3, 3), (3, 2)):
        spec = GeneralArchitecture(
            grid=(3, 3), n_features=2, steps=(ConvStep(c2d[0], kernel=2), ConvStep(c2d[1], kernel=2))
        )
        out.append((f"2D 3x3 k=2x2 x2 C={c2d[0]},{c2d[1]}", spec))
    # Dimensions that are not powers of one integer (where trees can fall below the min-cut).
    # Features wider than the channels, so that inner bonds bind (M^|A| is no longer the cheapest cut).
    for n, m, k, chans in (
        (8, 3, 2, (5, 7, 2)),
        (8, 3, 2, (2, 5, 3)),
        (8, 2, 2, (5, 3, 7)),
        (8, 3, 3, (2, 3, 2)),
        (7, 3, 2, (2, 2, 2)),
        (6, 4, 2, (3, 2, 3)),
        (6, 4, 2, (2, 3, 2)),
    ):
        rest = n - 2 * (k - 1)
        spec = GeneralArchitecture(
            grid=(n,),
            n_features=m,
            steps=(ConvStep(chans[0], kernel=k), ConvStep(chans[1], kernel=k), ConvStep(chans[2], kernel=rest)),
        )
        out.append((f"N={n} M={m} k={k},{k},{rest} C={','.join(map(str, chans))}", spec))
    return out


def block_partition(grid: tuple[int, ...], size: int) -> Partition:
    """Return a centred contiguous block of ``size`` inputs (``size x size`` in 2D) against the rest.

    >>> block_partition((8,), 2).side_a, block_partition((4, 4), 2).side_a
    ((3, 4), (5, 6, 9, 10))
    """
    mask = np.zeros(grid, dtype=bool)
    mask[tuple(slice((g - size) // 2, (g - size) // 2 + size) for g in grid)] = True
    return Partition.from_mask(mask.ravel(), grid=grid)


def volume_law_rows(
    spec: GeneralArchitecture, sizes: Iterable[int], *, entropy_seeds: int = 0
) -> list[dict[str, float | int]]:
    """Return log2 min-cut of a centred block of each size, and its mean entropy in bits.

    With ``entropy_seeds > 0`` it also measures, on the dense coefficient tensor, the entropy for
    random float64 weights (mean over ``entropy_seeds`` seeds) and log2 of the exact generic rank
    (GF(2^31 - 1), the maximum over seeds 0 and 1).

    >>> [row["log2_min_cut"] for row in volume_law_rows(overlap_stack((8,), 2, [2], kernel=3), [1, 2])]
    [1.0, 2.0]
    """
    tensors = [coefficient_tensor(spec, seed=s) for s in range(entropy_seeds)]
    mods = [coefficient_tensor_mod(spec, seed=s) for s in range(2)] if entropy_seeds else []
    rows: list[dict[str, float | int]] = []
    for size in sizes:
        part = block_partition(spec.grid, size)
        cut = min_cut(spec, part)
        row: dict[str, float | int] = {"size": size, "volume": len(part.side_a), "log2_min_cut": cut.log2}
        if tensors:
            # entropy() is in nats; bits compare with log2 min-cut.
            ents = [entropy(np.linalg.svd(matricize(t, part), compute_uv=False)) / math.log(2) for t in tensors]
            row["entropy_bits"] = float(np.mean(ents))
            rank = max(int(rank_mod(matricize(t, part), DEFAULT_PRIME)) for t in mods)
            row["log2_generic_rank"] = math.log2(rank)
        rows.append(row)
    return rows
