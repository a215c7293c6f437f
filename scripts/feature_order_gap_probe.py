"""Natural vs random feature order on the UCR sets: the feature-order suite's 1D net against a global-pooling CNN.

The suite's 1D net (the MNIST-1D paper's: three strided convolutions and a dense layer over every
position) learns the UCR sets better from a random order than from the natural one. This probe trains,
on the same splits, orders and seeds as the suite, a small fully convolutional net with global average
pooling (FCN-like: 32 channels, kernels 7/5/3, batch norm; the shape of Wang et al. 2017's FCN, narrower)
and reports test accuracy and the paired gap permuted - natural for both nets. The global-pooling net
trains ``--gap-epochs`` epochs (default 500: at the suite's 100 it does not fit ArrowHead's training
set). One CPU thread, resumable (one line per cell in ``--out/gap_probe.jsonl``); writes ``--out/gap_probe.md``.

    PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/feature_order_gap_probe.py --out docs/results/feature_order
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from convac._threads import thread_limit
from convac.experiments.data_entanglement.cell import fit_and_score
from convac.experiments.feature_order.cell import _model, _order, gap_net, split
from convac.experiments.feature_order.config import FeatureOrderConfig
from convac.experiments.feature_order.report import mean_ci

NETS = ("suite", "gap")


def cell(dataset: str, order: str, seed: int, net: str, cfg: FeatureOrderConfig, gap_epochs: int) -> dict[str, object]:
    """Train one net on one suite split in one order (the suite's learning rate and batches)."""
    xtr, ytr, xte, yte = split(dataset, seed)
    perm, _ = _order(xtr, order, seed, cfg)
    data = (xtr[:, perm], ytr, xte[:, perm], yte)
    torch.manual_seed(seed)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    model = _model((xtr.shape[1],), n_classes) if net == "suite" else gap_net(n_classes)
    epochs = cfg.epochs_of(dataset) if net == "suite" else gap_epochs
    acc = fit_and_score(model, data, epochs=epochs, lr=cfg.lr, batch_size=cfg.batch_size, seed=seed)
    return {"dataset": dataset, "order": order, "seed": seed, "net": net, "epochs": epochs, **acc}


def _num(x: float) -> str:
    return "–" if np.isnan(x) else f"{x:.1f}"  # one seed: no sd, no interval


def table(recs: list[dict]) -> str:
    """Markdown table: per dataset and net, natural and permuted accuracy and their paired gap."""
    lines = [
        "| dataset | net | natural % (mean ± sd) | permuted % (mean ± sd) "
        "| permuted − natural (paired, 95 % CI) | seeds |",
        "|---|---|---|---|---|---|",
    ]
    for d in dict.fromkeys(r["dataset"] for r in recs):
        for net in NETS:
            acc = {
                o: {
                    r["seed"]: 100 * r["test_accuracy"]
                    for r in recs
                    if (r["dataset"], r["net"], r["order"]) == (d, net, o)
                }
                for o in ("natural", "permuted")
            }
            seeds = sorted(set(acc["natural"]) & set(acc["permuted"]))
            if not seeds:
                continue
            nat, per = (mean_ci([acc[o][s] for s in seeds]) for o in ("natural", "permuted"))
            gap = mean_ci([acc["permuted"][s] - acc["natural"][s] for s in seeds])
            lines.append(
                f"| {d} | {net} | {nat[0]:.1f} ± {_num(nat[1])} | {per[0]:.1f} ± {_num(per[1])} "
                f"| {gap[0]:+.1f} ± {_num(gap[2])} | {seeds[0]}–{seeds[-1]} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the missing cells, then write the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--datasets", default="gunpoint,arrowhead,italypowerdemand,osuleaf")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--gap-epochs", type=int, default=500)
    args = p.parse_args()
    out = Path(args.out)
    path = out / "gap_probe.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["dataset"], r["order"], r["seed"], r["net"]) for r in recs}
    cfg = FeatureOrderConfig()
    with thread_limit(1):
        for d in args.datasets.split(","):
            for seed in range(args.seeds):
                for order in ("natural", "permuted"):
                    for net in NETS:
                        if (d, order, seed, net) in done:
                            continue
                        rec = cell(d, order, seed, net, cfg, args.gap_epochs)
                        recs.append(rec)
                        with path.open("a") as f:
                            f.write(json.dumps(rec) + "\n")
                        print(rec, flush=True)
    (out / "gap_probe.md").write_text(table(recs))
    print(table(recs))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
