"""Canonical partitions of a pooling tree, and a dataset's entanglement per level (docs/theory.md).

The pooling tree splits the input recursively: a 1D range into two halves, a 2D rectangle into
four quadrants (a side of odd length splits as ``ceil, floor``; a side of 1 is not split). Each
node of the tree, against the rest of the input, is a *canonical partition*; nodes at the same
depth form a *level*, listed finest first (single positions) up to the halves (1D) or quadrants (2D).

>>> [lv.side for lv in canonical_levels((8,))]
[1, 2, 4]
>>> [len(lv.blocks) for lv in canonical_levels((4, 4))]
[16, 4]
>>> canonical_levels((4, 4))[1].blocks[1]
(2, 3, 6, 7)
>>> [p.side_a for p in canonical_partitions((8,), 4)]
[(0, 1, 2, 3), (4, 5, 6, 7)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from convac._figures import new_figure, save_figure
from convac._validation import positive_int, positive_real
from convac.datatensor._entanglement import check_data, check_targets, data_entanglement
from convac.errors import ConvacTypeError, InputError, PartitionError
from convac.partitions import Partition

__all__ = [
    "CanonicalProfile",
    "Level",
    "LevelEntanglement",
    "canonical_entanglement",
    "canonical_levels",
    "canonical_partitions",
    "check_grid",
    "design_profile",
]


@dataclass(frozen=True)
class Level:
    """The nodes of the pooling tree at one depth: ``side`` is the largest block side there.

    Examples
    --------
    >>> lv = canonical_levels((4, 4))[-1]  # the quadrants
    >>> lv.depth, lv.side, lv.blocks[0]
    (1, 2, (0, 1, 4, 5))
    >>> sorted(i for b in lv.blocks for i in b) == list(range(16))  # the blocks tile the grid
    True
    """

    depth: int
    side: int
    blocks: tuple[tuple[int, ...], ...]


def check_grid(grid: Any) -> tuple[int, ...]:
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        grid = (int(grid),)
    try:
        out = tuple(int(g) for g in grid)
    except TypeError:
        raise ConvacTypeError(f"grid must be N or (N,) or (H, W), got {grid!r}") from None
    if len(out) not in (1, 2) or min(out) < 1 or int(np.prod(out)) < 2:
        raise PartitionError(f"grid must be (N,) or (H, W) with at least 2 positions, got {out}")
    return out


def _halves(lo: int, hi: int) -> list[tuple[int, int]]:
    if hi - lo <= 1:
        return [(lo, hi)]
    mid = lo + (hi - lo + 1) // 2
    return [(lo, mid), (mid, hi)]


def canonical_levels(grid: Any) -> list[Level]:
    """Return the levels of the pooling tree of ``grid`` (``(N,)`` or ``(H, W)``), finest first, root excluded.

    Examples
    --------
    >>> [(lv.depth, lv.side, len(lv.blocks)) for lv in canonical_levels((8,))]
    [(3, 1, 8), (2, 2, 4), (1, 4, 2)]
    >>> [lv.blocks for lv in canonical_levels((3,))]  # odd length splits as ceil, floor
    [((0,), (1,)), ((0, 1), (2,))]
    """
    grid = check_grid(grid)
    h, w = (1, grid[0]) if len(grid) == 1 else grid
    regions = [(0, h, 0, w)]
    levels: list[Level] = []
    depth = 0
    while True:
        children = []
        for r0, r1, c0, c1 in regions:
            if (r1 - r0) * (c1 - c0) == 1:
                continue
            for a0, a1 in _halves(r0, r1):
                for b0, b1 in _halves(c0, c1):
                    children.append((a0, a1, b0, b1))
        if not children:
            break
        depth += 1
        regions = children
        # Row-major positions, one C-level range per row: 10^6 positions take a fraction of a second.
        blocks = tuple(
            tuple(chain.from_iterable(range(r * w + c0, r * w + c1) for r in range(r0, r1)))
            for r0, r1, c0, c1 in regions
        )
        side = max(max(r1 - r0, c1 - c0) for r0, r1, c0, c1 in regions)
        levels.append(Level(depth, side, blocks))
    return levels[::-1]


def canonical_partitions(grid: Any, side: int) -> list[Partition]:
    """Each block of the level whose block side is ``side``, against the rest of the input.

    Examples
    --------
    >>> parts = canonical_partitions((4, 4), 2)
    >>> len(parts), parts[3].side_a
    (4, (10, 11, 14, 15))
    >>> canonical_partitions((4, 4), 3)
    Traceback (most recent call last):
        ...
    convac.errors.PartitionError: grid (4, 4) has no pooling level with block side 3; sides: [1, 2]
    """
    grid = check_grid(grid)
    for lv in canonical_levels(grid):
        if lv.side == side:
            n = int(np.prod(grid))
            return [
                Partition(n, b, grid=grid, name=f"canonical(side={side}, block={i})")
                for i, b in enumerate(lv.blocks)
                if len(b) < n
            ]
    sides = [lv.side for lv in canonical_levels(grid)]
    raise PartitionError(f"grid {grid} has no pooling level with block side {side}; sides: {sides}")


@dataclass(frozen=True)
class LevelEntanglement:
    """Entanglement of every evaluated canonical partition of one level.

    Examples
    --------
    >>> lv = LevelEntanglement(side=2, depth=2, n_blocks=4, blocks=(0, 3), entropies=(0.5, 1.0))
    >>> lv.mean, lv.std, lv.to_dict()["n_evaluated"]
    (0.75, 0.25, 2)
    """

    side: int
    depth: int
    n_blocks: int
    blocks: tuple[int, ...]
    entropies: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean entropy (nats) over the evaluated blocks: the paper's per-level average."""
        return float(np.mean(self.entropies))

    @property
    def std(self) -> float:
        return float(np.std(self.entropies))

    @property
    def ci95(self) -> float:
        """Half-width of the 95 % confidence interval of :attr:`mean` for the mean over *all* blocks.

        0 when every block was evaluated; otherwise Student's t over the evaluated blocks (a simple
        random sample without replacement, hence the finite-population factor ``sqrt((B - k)/(B - 1))``);
        infinite from a single sampled block.
        """
        k, total = len(self.entropies), self.n_blocks
        if k >= total:
            return 0.0
        if k < 2:
            return math.inf
        sd = float(np.std(self.entropies, ddof=1))
        return float(student_t.ppf(0.975, k - 1)) * sd / math.sqrt(k) * math.sqrt((total - k) / (total - 1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "depth": self.depth,
            "n_blocks": self.n_blocks,
            "n_evaluated": len(self.blocks),
            "mean_entropy": self.mean,
            "ci95": self.ci95,
            "std_entropy": self.std,
            "blocks": list(self.blocks),
            "entropies": list(self.entropies),
        }


@dataclass(frozen=True)
class CanonicalProfile:
    """A dataset's entanglement per pooling level (finest first); ``sampled`` if blocks were subsampled.

    Examples
    --------
    >>> prof = CanonicalProfile((4,), 1.0, 10, (
    ...     LevelEntanglement(1, 2, 4, (0, 1, 2, 3), (0.25, 0.25, 0.5, 0.5)),
    ...     LevelEntanglement(2, 1, 2, (0, 1), (1.0, 1.0))))
    >>> prof.means, prof.design_profile()
    ([0.375, 1.0], {'checkerboard': 0.375, 'left_right': 1.0})
    >>> [lv["side"] for lv in prof.to_dict()["levels"]]
    [1, 2]
    """

    grid: tuple[int, ...]
    theta: float
    n_samples: int
    levels: tuple[LevelEntanglement, ...]
    sampled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    precision: float | None = None

    @property
    def means(self) -> list[float]:
        return [lv.mean for lv in self.levels]

    def to_dict(self) -> dict[str, Any]:
        return {
            "grid": list(self.grid),
            "theta": self.theta,
            "n_samples": self.n_samples,
            "sampled_blocks": self.sampled,
            "precision": self.precision,
            "levels": [lv.to_dict() for lv in self.levels],
            **self.extra,
        }

    def design_profile(self) -> dict[str, float]:
        """Return the per-level mean entropies as a profile for :func:`convac.design`."""
        return design_profile(self)

    def table(self) -> str:
        rows = [f"{'level side':>10} {'blocks':>7} {'evaluated':>9} {'mean entropy':>13} {'95% CI ±':>9} {'std':>8}"]
        for lv in self.levels:
            rows.append(
                f"{lv.side:>10} {lv.n_blocks:>7} {len(lv.blocks):>9} {lv.mean:>13.5f} {lv.ci95:>9.4f} {lv.std:>8.4f}"
            )
        return "\n".join(rows)


MIN_BLOCKS = 8
"""Blocks per level evaluated first when sampling to a ``precision`` (then doubled until it is met)."""


def canonical_entanglement(
    X: Any,
    y: Any = None,
    theta: float = 1.0,
    *,
    max_blocks: int | None = None,
    seed: int = 0,
    progress: bool = False,
    precision: float | None = None,
) -> CanonicalProfile:
    """Entanglement of ``(X, y)`` under every canonical partition, averaged per level.

    The canonical partitions are the nodes of the pooling tree against the rest of the input: at
    level ``l`` each block of the level-``l`` pooling window (1, 2x2, 4x4, ... positions) against
    everything else. Alexander et al. state their condition on exactly these (a locally connected
    network fits the data iff their entanglement is low), and :func:`convac.design` with
    ``method="feasible"`` turns it into width constraints.

    ``X`` is (n, N) or (n, H, W) as for :func:`convac.data_entanglement`. Each canonical partition
    is exact. By default every block of every level is evaluated: the profile is then independent of
    ``seed``. ``precision`` (nats) evaluates, per level, blocks in a seeded random order, 8 first, then
    doubling, until the 95 % confidence half-width of the level mean (:attr:`LevelEntanglement.ci95`,
    Student's t with the finite-population factor) is at most ``precision`` or every block is in;
    ``max_blocks`` caps the blocks per level (alone: that many blocks drawn at random, as before).
    Sampled levels say so (``sampled``) and report their ``ci95``; two seeds then agree to about
    the sum of their half-widths. Cost per block ``O(n² N + n³)`` at most
    (:func:`~convac.datatensor._gram.squared_schmidt_values` says when less): every block of
    the 5,000 28x28 MNIST digits means about a thousand blocks, most of them an eigensolve of
    5,000 x 5,000 (estimated: hours), so sample blocks (``precision``, ``max_blocks``) or samples, and use
    ``progress=True`` to see the rate.

    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((30, 8))
    >>> prof = canonical_entanglement(X)
    >>> [lv.side for lv in prof.levels], [lv.n_blocks for lv in prof.levels], prof.levels[0].ci95
    ([1, 2, 4], [8, 4, 2], 0.0)
    >>> bool(prof.levels[0].mean <= np.log(2) + 1e-12)
    True
    >>> coarse = canonical_entanglement(np.random.default_rng(0).random((30, 64)), precision=0.05)
    >>> [len(lv.blocks) for lv in coarse.levels], all(lv.ci95 <= 0.05 for lv in coarse.levels)
    ([8, 8, 16, 8, 4, 2], True)
    """
    x, grid = check_data(X)
    check_targets(y, x.shape[0])
    if max_blocks is not None:
        max_blocks = positive_int(max_blocks, "max_blocks")
    if precision is not None:
        precision = positive_real(precision, "precision")
    n = int(np.prod(grid))
    levels = [(lv, [i for i, b in enumerate(lv.blocks) if len(b) < n]) for lv in canonical_levels(grid)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=None if precision is not None else sum(len(i) for _, i in levels), desc="canonical", unit="block"
        )

    def measure(lv: Level, i: int) -> float:
        part = Partition(n, lv.blocks[i], grid=grid, name=f"canonical(side={lv.side}, block={i})")
        if bar is not None:
            bar.update(1)
        return data_entanglement(x, y, part, theta).entropy

    try:
        if precision is None:
            out = _fixed_blocks(levels, measure, max_blocks, seed)
        else:
            out = [_to_precision(lv, idx, measure, precision, max_blocks, seed) for lv, idx in levels]
    finally:
        if bar is not None:
            bar.close()
    sampled = any(len(lv.blocks) < lv.n_blocks for lv in out)
    return CanonicalProfile(grid, float(theta), x.shape[0], tuple(out), sampled, precision=precision)


def _fixed_blocks(
    levels: list[tuple[Level, list[int]]], measure: Any, max_blocks: int | None, seed: int
) -> list[LevelEntanglement]:
    """Every block, or ``max_blocks`` per level drawn from one generator (the original sampling)."""
    rng = np.random.default_rng(seed)
    plan = []
    for lv, idx in levels:
        if max_blocks is not None and len(idx) > max_blocks:
            idx = sorted(rng.choice(idx, size=max_blocks, replace=False).tolist())
        plan.append((lv, idx))
    return [
        LevelEntanglement(lv.side, lv.depth, len(lv.blocks), tuple(idx), tuple(measure(lv, i) for i in idx))
        for lv, idx in plan
    ]


def _to_precision(
    lv: Level, idx: list[int], measure: Any, precision: float, max_blocks: int | None, seed: int
) -> LevelEntanglement:
    """Blocks of one level in a seeded order, doubling from :data:`MIN_BLOCKS` until the CI half-width is met."""
    order = np.random.default_rng([seed, lv.depth]).permutation(idx).tolist()
    cap = len(order) if max_blocks is None else min(max_blocks, len(order))
    done: dict[int, float] = {}
    want = min(MIN_BLOCKS, cap)
    while True:
        for i in order[len(done) : want]:
            done[i] = measure(lv, i)
        keys = sorted(done)
        level = LevelEntanglement(lv.side, lv.depth, len(lv.blocks), tuple(keys), tuple(done[k] for k in keys))
        if level.ci95 <= precision or want >= cap:
            return level
        want = min(cap, 2 * want)


def design_profile(profile: CanonicalProfile) -> dict[str, float]:
    """Map each level's mean entropy onto the design scales of the same length.

    Side 1 is the checkerboard's scale, side ``s`` the ``blocks(s)`` scale, and in 1D the halves
    (side N/2) the left/right scale. Levels with zero entropy get no weight; data with zero
    entanglement at every level (for instance without variation) raise
    :class:`~convac.errors.InputError`, as there is nothing to design for.

    >>> prof = CanonicalProfile((8,), 1.0, 10, tuple(
    ...     LevelEntanglement(s, 0, 1, (0,), (e,)) for s, e in [(1, 0.5), (2, 1.0), (4, 2.0)]))
    >>> design_profile(prof)
    {'checkerboard': 0.5, 'blocks(2)': 1.0, 'left_right': 2.0}
    """
    side = max(profile.grid)
    out: dict[str, float] = {}
    for lv in profile.levels:
        if lv.mean <= 0:
            continue
        if lv.side == 1:
            key = "checkerboard"
        elif len(profile.grid) == 1 and 2 * lv.side == side:
            key = "left_right"
        else:
            key = f"blocks({lv.side})"
        out[key] = out.get(key, 0.0) + lv.mean
    if not out:
        raise InputError("the data have zero entanglement at every level; there is no profile to design for")
    return out


def plot_profiles(profiles: dict[str, CanonicalProfile], path: Any, title: str = "") -> None:
    r"""One line per named profile: mean entropy (± std over blocks) against the level's block side.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> prof = canonical_entanglement(np.random.default_rng(0).random((20, 8)))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     plot_profiles({"uniform": prof}, pathlib.Path(out) / "profile.png", title="8 inputs")
    ...     (pathlib.Path(out) / "profile.png").read_bytes()[:4]
    b'\x89PNG'
    """
    fig = new_figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    for name, prof in profiles.items():
        sides = [lv.side for lv in prof.levels]
        ax.errorbar(sides, prof.means, yerr=[lv.std for lv in prof.levels], marker="o", capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("block side of the pooling level")
    ax.set_ylabel("mean entanglement entropy (nats)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
