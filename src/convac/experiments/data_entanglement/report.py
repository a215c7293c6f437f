"""The data-entanglement table, CSV and figures (convac._figures) from the finished cells."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convac._figures import new_figure, save_figure
from convac.errors import InputError
from convac.experiments.data_entanglement.config import ORDERS

__all__ = ["load_cells", "summarize"]


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
    recs = load_cells(out)
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
    fig = new_figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
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
    save_figure(fig, path, dpi=120)


def load_cells(out_dir: str | Path, legacy_only: bool = False) -> list[dict[str, Any]]:
    """Return the finished cells of ``out_dir``: ``results.jsonl`` and the ``cells/*.json`` of earlier versions.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     (pathlib.Path(out) / "cells").mkdir()
    ...     _ = (pathlib.Path(out) / "cells" / "a.json").write_text(json.dumps({"dataset": "d", "seed": 0}))
    ...     cells = load_cells(out)
    >>> cells
    [{'dataset': 'd', 'seed': 0}]
    """
    from convac.experiments._runner.store import read_records

    out = Path(out_dir)
    records = []
    for path in sorted((out / "cells").glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except json.JSONDecodeError:
            raise InputError(f"{path} is not a cell record; delete it (its cell then runs again)") from None
    if not legacy_only and (out / "results.jsonl").exists():
        advice = "delete that line (its cell then runs again)"
        records += [r for _, r in read_records(out / "results.jsonl", advice)]
    return records
