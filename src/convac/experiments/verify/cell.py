"""One verify cell: min-cut, power-of-p lower bound and generic rank of every partition of one architecture."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from convac.experiments.verify.suites import Cell, suite_cells  # noqa: F401  (doctests)
from convac.partitions import Partition
from convac.ranks._generic_rank import generic_ranks, schwartz_zippel_bound
from convac.spec import Architecture

__all__ = ["is_power_family", "lower_bound_values", "run_cell"]


def _minimal_base(v: int) -> int:
    """Return the smallest b with v = b**k (v itself if v is no perfect power)."""
    for b in range(2, math.isqrt(v) + 1):
        q = v
        while q % b == 0:
            q //= b
        if q == 1:
            return b
    return v


def is_power_family(arch: Architecture) -> bool:
    """Whether ``M`` and every channel number are powers of one integer (1 counts as any power).

    Examples
    --------
    >>> is_power_family(Architecture.deep_1d(8, 2, [4, 8, 2]))
    True
    >>> is_power_family(Architecture.deep_1d(8, 2, [4, 3, 2]))
    False
    """
    bases = {_minimal_base(v) for v in (arch.n_features, *arch.channels) if v > 1}
    return len(bases) <= 1


def lower_bound_values(arch: Architecture, masks: np.ndarray) -> list[int]:
    """:func:`convac.min_cut_lower_bound` for many partitions (boolean side-A masks) at once.

    For each p, the min-cut of the architecture whose bond dimensions are rounded down to
    powers of p, vectorised over the partitions by :func:`convac.min_cut_values`.

    Examples
    --------
    >>> arch = Architecture.deep_1d(8, 2, [3, 5, 3])
    >>> lower_bound_values(arch, np.array([[1, 1, 1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0]], dtype=bool))
    [2, 16]
    """
    from convac.mincut import min_cut_values

    best = np.ones(masks.shape[0], dtype=object)
    bonds = (arch.n_features, *arch.channels)
    seen = set()
    for p in range(2, max(bonds) + 1):
        rounded = tuple(_largest_power(p, c) for c in bonds)
        if rounded in seen:
            continue
        seen.add(rounded)
        data = arch.to_dict()
        data["n_features"], data["channels"] = rounded[0], list(rounded[1:])
        values = min_cut_values(Architecture.from_dict(data), masks)
        best = np.maximum(best, values)
    return [int(v) for v in best]


def _largest_power(p: int, c: int) -> int:
    q = 1
    while q * p <= c:
        q *= p
    return q


def run_cell(cell: Cell) -> dict[str, Any]:
    """Check one cell; returns a JSON-ready record (counts, worst gap, examples, timing).

    A pure function of ``cell``: the same cell gives the same numbers (timing aside).

    Examples
    --------
    >>> record = run_cell(suite_cells("shallow", cells=1, partitions=2)[0])
    >>> record["cases"], record["above"], record["equal"]
    (4, 0, 4)
    """
    from convac.mincut import min_cut_values

    start, cpu_start = time.perf_counter(), time.process_time()
    arch = Architecture.from_dict(cell.arch)
    n = arch.n_inputs
    parts = [Partition(n, side_a) for side_a in cell.partitions]
    masks = np.zeros((len(parts), n), dtype=bool)
    for i, side_a in enumerate(cell.partitions):
        masks[i, list(side_a)] = True
    cuts = [int(v) for v in min_cut_values(arch, masks)]
    lowers = lower_bound_values(arch, masks)
    t_cut = time.perf_counter() - start
    ranks = generic_ranks(arch, parts, seed=cell.seed, prime=cell.prime, cap=[c + 1 for c in cuts])
    redrawn = 0
    for k in range(1, cell.redraws + 1):
        again = [i for i, (r, c, lo) in enumerate(zip(ranks, cuts, lowers, strict=True)) if r < c or r < lo]
        if not again:
            break
        redrawn += len(again)
        more = generic_ranks(
            arch,
            [parts[i] for i in again],
            seed=cell.seed + k,
            prime=cell.prime,
            cap=[cuts[i] + 1 for i in again],
        )
        for i, r in zip(again, more, strict=True):
            ranks[i] = max(ranks[i], r)
    t_rank = time.perf_counter() - start - t_cut

    lower_proven = arch.kind == "deep" and arch.ndim == 1 and arch.window == 2 and not arch.shared
    powers = is_power_family(arch)
    below = [i for i, (r, c) in enumerate(zip(ranks, cuts, strict=True)) if r < c]
    above = [i for i, (r, c) in enumerate(zip(ranks, cuts, strict=True)) if r > c]
    under_lower = [i for i, (r, lo) in enumerate(zip(ranks, lowers, strict=True)) if r < lo]
    gaps = [1 - ranks[i] / cuts[i] for i in below]
    log_gaps = [math.log2(cuts[i]) - math.log2(ranks[i]) if ranks[i] else math.inf for i in below]

    def example(i: int) -> dict[str, Any]:
        return {"side_a": list(cell.partitions[i]), "rank": ranks[i], "min_cut": cuts[i], "lower": lowers[i]}

    worst = sorted(below, key=lambda i: ranks[i] / cuts[i])[:5]
    return {
        "kind": "cell",
        "suite": cell.suite,
        "index": cell.index,
        "arch": cell.arch,
        "seed": cell.seed,
        "cases": len(parts),
        "equal": len(parts) - len(below) - len(above),
        "below": len(below),
        "above": len(above),
        "under_lower": len(under_lower),
        "lower_proven": lower_proven,
        "power_family": powers,
        "power_mismatch": len(below) + len(above) if powers else 0,
        "max_gap": max(gaps, default=0.0),
        "max_log2_gap": max(log_gaps, default=0.0),
        "redrawn": redrawn,
        "max_sz_bound": max((schwartz_zippel_bound(arch, r, cell.prime) for r in ranks), default=0.0),
        "worst": [example(i) for i in worst],
        "violations": [example(i) for i in (above + under_lower)[:10]],
        "seconds_cut": round(t_cut, 4),
        "seconds_rank": round(t_rank, 4),
        "seconds": round(time.perf_counter() - start, 4),
        # CPU time of this process: the honest cost when other jobs share the cores.
        "cpu_seconds": round(time.process_time() - cpu_start, 4),
    }
