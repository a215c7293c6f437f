r"""The 2D part of the feature-order suite, a chosen subset of its cells: digits (8x8) and mnist5k (28x28).

Runs the cells of ``convac experiment feature-order`` (same cell function, configuration and store, so
``convac experiment feature-order --out OUT --datasets digits,mnist5k`` would resume from these lines and
compute the same records) but only the ``--orders`` asked for, and methods the suite does not run (e.g.
``entanglement-blocks``) too; one thread; writes ``OUT/results.jsonl``, then the table, CSV and figure.
A rerun resumes.

    PYTHONPATH=src nice -n 10 python scripts/feature_order_2d.py --out docs/results/feature_order/2d \
        --datasets mnist5k,digits \
        --orders natural,permuted,entanglement,entanglement-blocks,entanglement-unordered,greedy-chain,spectral,igtd
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from convac._threads import thread_limit
from convac.datatensor._rearrange import METHODS
from convac.experiments._runner import ResultStore, run_tasks
from convac.experiments._runner.local import LocalExecutor
from convac.experiments.feature_order import METHOD_ORDERS, FeatureOrderConfig, orders_of, run_cell, summarize

CONFIG = FeatureOrderConfig(datasets=("digits", "mnist5k"), seeds=(0, 1, 2))


def main() -> None:
    """Parse the flags, run the missing cells, summarise."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--datasets", default="digits,mnist5k")
    p.add_argument("--orders", default="natural,permuted,entanglement,greedy-chain")
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args()
    orders = args.orders.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = [o for o in orders if o in METHODS and o not in METHOD_ORDERS]  # methods the suite does not run
    store = ResultStore(
        f"{args.out}/results.jsonl",
        asdict(CONFIG),
        key=lambda r: (r["dataset"], r["order"], r["seed"]),
        check=lambda r: None if "test_accuracy" in r else "is not a feature-order cell",
        what="feature-order",
    )
    store.open()
    cells = [
        (d, o, s)
        for d in args.datasets.split(",")
        for s in seeds
        for o in orders_of(d)
        if o in orders and s in CONFIG.seeds
    ] + [(d, o, s) for d in args.datasets.split(",") for s in seeds for o in orders if o in extra]
    todo = [c for c in cells if c not in set(store.finished)]

    def one(cell: tuple[str, str, int], _: Any) -> dict[str, Any]:
        with thread_limit(1):
            return run_cell(*cell, CONFIG)

    def save(index: int, record: dict[str, Any]) -> None:
        store.append(record)
        print(f"{record['dataset']} {record['order']} seed {record['seed']}: test {record['test_accuracy']:.4f} "
              f"({record['seconds']:.0f} s)", flush=True)  # fmt: skip

    run_tasks(
        LocalExecutor(workers=1), one, todo, save, saved=lambda: len(store.finished), total=len(todo), where=args.out
    )
    summarize(args.out)


if __name__ == "__main__":
    main()
