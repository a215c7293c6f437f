"""MNIST-1D read forwards and backwards: the feature-order suite's 1D CNN, paired by seed.

A feature order found from affinities alone (``|correlation|`` is symmetric) cannot tell a sequence from
its reversal; this measures what the reversal costs the suite's CNN (same split, training and seeds as
``convac experiment feature-order``). Writes one line per (order, seed) to ``OUT/results.jsonl`` (a
rerun skips finished cells) and prints the paired gap (mean, sd, 95 % t interval) and a paired t-test.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 10 python scripts/mnist1d_reversal.py \
        --out docs/results/feature_order/mnist1d_reversal --seeds 0,1,2,3,4,5
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from convac._threads import thread_limit
from convac.experiments.feature_order.cell import _train, split
from convac.experiments.feature_order.config import FeatureOrderConfig
from convac.experiments.feature_order.report import mean_ci


def main() -> None:
    """Run the missing cells, then print the paired comparison."""
    from scipy import stats

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seeds", default="0,1,2,3,4,5")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    acc = {(r["order"], r["seed"]): r["test_accuracy"] for r in recs}
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        for order in ("natural", "reversed"):
            if (order, seed) in acc:
                continue
            t0 = time.perf_counter()
            xtr, ytr, xte, yte = split("mnist1d", seed)
            if order == "reversed":
                xtr, xte = xtr[:, ::-1].copy(), xte[:, ::-1].copy()
            with thread_limit(1):
                rec = _train("mnist1d", (xtr, ytr, xte, yte), seed, FeatureOrderConfig())
            acc[order, seed] = rec["test_accuracy"]
            with open(path, "a") as f:
                f.write(json.dumps({"order": order, "seed": seed, **rec, "seconds": time.perf_counter() - t0}) + "\n")
    nat = np.array([100 * acc["natural", s] for s in seeds])
    rev = np.array([100 * acc["reversed", s] for s in seeds])
    mean, sd, half = mean_ci(list(rev - nat))
    print(f"seeds {seeds}")
    for name, a in (("natural", nat), ("reversed", rev)):
        print(f"{name:9s}{' / '.join(f'{v:.1f}' for v in a)}")
    print(f"reversed - natural: {mean:+.2f} ± {sd:.2f} (sd), 95 % CI ± {half:.2f}; "
          f"paired t-test p = {stats.ttest_rel(rev, nat).pvalue:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
