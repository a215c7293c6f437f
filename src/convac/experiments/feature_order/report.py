"""The feature-order table (markdown + CSV) and figure (convac._figures) from the finished cells."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convac._figures import new_figure, save_figure
from convac.experiments.feature_order.config import DATASETS, orders_of

__all__ = ["mean_ci", "summarize"]


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """``(mean, sample sd, half-width of the 95 % t interval of the mean)``; sd and width are nan for one value.

    >>> m, sd, half = mean_ci([1.0, 2.0, 3.0])
    >>> m, sd, round(half, 4)  # t(0.975, 2) = 4.3027
    (2.0, 1.0, 2.4841)
    """
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return float(x.mean()), float("nan"), float("nan")
    sd = float(x.std(ddof=1))
    return float(x.mean()), sd, float(stats.t.ppf(0.975, len(x) - 1) * sd / np.sqrt(len(x)))


def _row(dataset: str, order: str, rs: list[dict[str, Any]], natural: dict[int, float]) -> dict[str, Any]:
    rs = sorted(rs, key=lambda r: r["seed"])
    accs = [100 * r["test_accuracy"] for r in rs]
    mean, sd, half = mean_ci(accs)
    paired = [a - natural[r["seed"]] for a, r in zip(accs, rs, strict=True) if r["seed"] in natural]
    gap = mean_ci(paired) if paired and order != "natural" else None
    kept = [r["neighbours_kept"] for r in rs if r.get("neighbours_kept") is not None]
    secs = [r["method_seconds"] for r in rs if r.get("method_seconds") is not None]
    return {
        "dataset": dataset,
        "order": order,
        "seeds": [r["seed"] for r in rs],
        "test_accuracy": accs,
        "mean": mean,
        "sd": sd,
        "ci95": half,
        "gap_vs_natural": None if gap is None else {"mean": gap[0], "sd": gap[1], "ci95": gap[2]},
        "level_sides": [lv["side"] for lv in rs[0]["levels"]],
        "mean_entropy_per_level": np.mean([[lv["mean_entropy"] for lv in r["levels"]] for r in rs], axis=0).tolist(),
        "neighbours_kept": float(np.mean(kept)) if kept else None,
        "method_seconds": float(np.mean(secs)) if secs else None,
    }


def _rows(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for d in [d for d in DATASETS if any(r["dataset"] == d for r in recs)]:
        natural = {r["seed"]: 100 * r["test_accuracy"] for r in recs if r["dataset"] == d and r["order"] == "natural"}
        extra = sorted({r["order"] for r in recs if r["dataset"] == d} - set(orders_of(d)))  # e.g. other methods
        for o in (*orders_of(d), *extra):
            rs = [r for r in recs if r["dataset"] == d and r["order"] == o]
            if rs:
                rows.append(_row(d, o, rs, natural))
    return rows


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "–" if x is None or np.isnan(x) else format(x, spec)


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | order | test accuracy % per seed | mean ± sd | 95 % CI | Δ vs natural (paired, 95 % CI) "
        "| S per level, nats (short → long) | neighbours kept | method s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        gap = r["gap_vs_natural"]
        gap_text = "–" if gap is None else f"{gap['mean']:+.1f} ± {_fmt(gap['ci95'])}"
        lines.append(
            f"| {r['dataset']} | {r['order']} | {' / '.join(f'{a:.1f}' for a in r['test_accuracy'])} "
            f"| {r['mean']:.1f} ± {_fmt(r['sd'])} | ± {_fmt(r['ci95'])} | {gap_text} "
            f"| {' / '.join(f'{e:.2f}' for e in r['mean_entropy_per_level'])} "
            f"| {_fmt(r['neighbours_kept'], '.2f')} | {_fmt(r['method_seconds'], '.2f')} |"
        )
    return "\n".join(lines) + "\n"


def summarize(out_dir: str | Path) -> list[dict[str, Any]]:
    r"""Write ``summary.json``, ``results.csv``, ``table.md`` and ``accuracy.png`` from ``out_dir/results.jsonl``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     with open(pathlib.Path(out) / "results.jsonl", "w") as f:
    ...         for seed, (nat, perm) in enumerate([(0.9, 0.7), (0.8, 0.7)]):
    ...             for order, acc in (("natural", nat), ("permuted", perm)):
    ...                 rec = {"dataset": "gunpoint", "order": order, "seed": seed, "test_accuracy": acc,
    ...                        "train_accuracy": 1.0, "levels": [{"side": 1, "mean_entropy": 0.5}]}
    ...                 _ = f.write(json.dumps(rec) + "\n")
    ...     rows = summarize(out)
    >>> [(r["order"], round(r["mean"], 1)) for r in rows], round(rows[1]["gap_vs_natural"]["mean"], 1)
    ([('natural', 85.0), ('permuted', 70.0)], -15.0)
    """
    from convac.experiments._runner.store import read_records

    out = Path(out_dir)
    recs = [r for _, r in read_records(out / "results.jsonl", "delete that line (its cell then runs again)")]
    rows = _rows(recs)
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    with open(out / "results.csv", "w") as f:
        f.write("dataset,order,seed,test_accuracy,train_accuracy,neighbours_kept,method_seconds,level_entropies\n")
        for r in sorted(recs, key=lambda r: (list(DATASETS).index(r["dataset"]), r["order"], r["seed"])):
            lev = " ".join(f"{lv['side']}:{lv['mean_entropy']:.4f}" for lv in r["levels"])
            kept, secs = r.get("neighbours_kept"), r.get("method_seconds")
            f.write(
                f"{r['dataset']},{r['order']},{r['seed']},{r['test_accuracy']:.4f},{r['train_accuracy']:.4f},"
                f"{'' if kept is None else f'{kept:.4f}'},{'' if secs is None else f'{secs:.3f}'},{lev}\n"
            )
    (out / "table.md").write_text(_table(rows))
    if rows:
        _figure(out / "accuracy.png", rows)
    return rows


def _figure(path: Path, rows: list[dict[str, Any]]) -> None:
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    fig = new_figure(figsize=(3.2 * len(datasets), 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(datasets)))
    for ax, d in zip(axes, datasets, strict=True):
        rd = [r for r in rows if r["dataset"] == d]
        pos = np.arange(len(rd))
        err = [0.0 if np.isnan(r["ci95"]) else r["ci95"] for r in rd]
        ax.bar(pos, [r["mean"] for r in rd], yerr=err, capsize=3, color="tab:blue", alpha=0.8)
        for i, r in enumerate(rd):
            ax.plot([i] * len(r["test_accuracy"]), r["test_accuracy"], "k.", ms=4)
        ax.set_xticks(pos, [r["order"] for r in rd], rotation=60, ha="right", fontsize=8)
        lo = min(min(r["test_accuracy"]) for r in rd)
        ax.set_ylim(max(0.0, lo - 5), 100)
        ax.set_title(d)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("test accuracy % (mean, 95 % CI, seeds)")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
