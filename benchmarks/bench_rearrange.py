"""Seconds per call of each ``rearrange_features`` method on the feature-order suite's sizes.

For each suite dataset (the training split of seed 0, features permuted as in the suite) every
method of :data:`convac.datatensor._rearrange.METHODS` is timed in the same process, one CPU thread,
methods interleaved round by round after one warm-up round. Prints and writes (``--out``) a markdown
table with min and median seconds over the repeats and each method's ratio to the fastest (median).

    PYTHONPATH=src python benchmarks/bench_rearrange.py [--datasets mnist1d,digits] [--repeats 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

import convac
from convac.datatensor._rearrange import METHODS
from convac.experiments.feature_order.cell import split
from convac.experiments.feature_order.config import DATASETS


def measure(dataset: str, repeats: int) -> dict[str, list[float]]:
    xtr = split(dataset, 0)[0]
    n = int(np.prod(xtr.shape[1:]))
    perm = np.random.default_rng([0, 11]).permutation(n)
    x = xtr.reshape(len(xtr), -1)[:, perm].reshape(xtr.shape)
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for round_ in range(repeats + 1):
        for method in METHODS:
            t0 = time.perf_counter()
            convac.rearrange_features(x, method=method)  # type: ignore[arg-type]
            if round_:  # round 0 warms up (imports, caches)
                times[method].append(time.perf_counter() - t0)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    lines = ["| dataset | features | method | min s | median s | median / fastest |", "|---|---|---|---|---|---|"]
    for dataset in args.datasets.split(","):
        times = measure(dataset, args.repeats)
        fastest = min(statistics.median(t) for t in times.values())
        n = int(np.prod(split(dataset, 0)[0].shape[1:]))
        for method, t in times.items():
            med = statistics.median(t)
            lines.append(f"| {dataset} | {n} | {method} | {min(t):.3f} | {med:.3f} | {med / fastest:.1f} |")
        print("\n".join(lines[-len(times) :]), flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
