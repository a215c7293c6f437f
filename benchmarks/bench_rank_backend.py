"""generic_ranks of this tree (numpy kernels) against another tree (e.g. b0e5811, torch int64 kernels).

    PYTHONPATH=src python benchmarks/bench_rank_backend.py --base /tmp/base/src [--repeats 5]

Both trees are imported into one process (one after the other; each call first puts its
tree's modules back into ``sys.modules``, so lazy imports resolve to that tree) and called
alternately on the same architectures and partitions; the ranks must agree exactly. One
thread for BLAS and torch. Warm repeats: min and median.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits


def _load(src: str) -> dict[str, ModuleType]:
    for name in [k for k in sys.modules if k == "convac" or k.startswith("convac.")]:
        del sys.modules[name]
    sys.path.insert(0, src)
    try:
        import convac
        import convac.mincut
        import convac.ranks
    finally:
        sys.path.pop(0)
    assert convac.__file__ is not None and convac.__file__.startswith(src), convac.__file__
    return {k: v for k, v in sys.modules.items() if k == "convac" or k.startswith("convac.")}


def _case(mods: dict[str, ModuleType], channels: list[int], n: int, k: int, sketched: bool) -> Callable[[], Any]:
    sys.modules.update(mods)  # lazy imports inside the library resolve to this tree
    c = mods["convac"]
    arch = c.Architecture.deep_1d(n, 2, channels)
    every = [(0, *rest) for rest in itertools.combinations(range(1, n), n // 2 - 1)]
    chosen = np.random.default_rng(0).choice(len(every), size=min(k, len(every)), replace=False)
    parts = [c.Partition(n, every[i]) for i in chosen]
    caps = None
    if sketched:  # what `convac verify` does: min(rank, min-cut + 1)
        caps = [int(x) + 1 for x in mods["convac.mincut"].min_cut_values(arch, np.array([p.mask for p in parts]))]
    generic_ranks = mods["convac.ranks"].generic_ranks

    def call() -> Any:
        sys.modules.update(mods)
        return generic_ranks(arch, parts, seed=0, cap=caps)

    return call


CASES = [
    ("N=16 channels 2,3,5,7, 200 partitions, sketched", [2, 3, 5, 7], 16, 200, True),
    ("N=16 channels 2,3,5,7, 100 partitions, full", [2, 3, 5, 7], 16, 100, False),
    ("N=16 channels 13,11,7,5, 100 partitions, sketched", [13, 11, 7, 5], 16, 100, True),
    ("N=8 channels 2,2,2, 35 partitions, full", [2, 2, 2], 8, 35, False),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="src folder of the tree to compare with")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per case and tree (default 5)")
    args = parser.parse_args()
    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    trees = {"base": _load(args.base), "this": _load(str(Path(__file__).resolve().parents[1] / "src"))}
    print(
        "| case | base min | base median | this min | this median | this/base (min) |\n|---|---:|---:|---:|---:|---:|"
    )
    for label, channels, n, k, sketched in CASES:
        calls = {name: _case(mods, channels, n, k, sketched) for name, mods in trees.items()}
        results = {name: call() for name, call in calls.items()}
        assert results["base"] == results["this"], label
        times: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.repeats):
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
        b, t = times["base"], times["this"]
        print(
            f"| {label} | {min(b) * 1e3:.0f} ms | {statistics.median(b) * 1e3:.0f} ms | {min(t) * 1e3:.0f} ms | "
            f"{statistics.median(t) * 1e3:.0f} ms | {min(t) / min(b):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
