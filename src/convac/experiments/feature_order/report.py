"""The feature-order suite's one table (markdown + CSV) and one figure, from one or more results files.

The suite's own run writes ``out/results.jsonl``; runs made apart (the 2D datasets, say) keep their
own files. :func:`summarize` reads them all, refuses a cell found twice, and writes one table of every
dataset x order with each seed's accuracy, mean ± sd, the 95 % t interval, and two paired gaps per
seed: against the natural order, and against the best baseline of that dataset (the one of
:data:`BASELINES` with the highest mean accuracy).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convac._figures import new_figure, save_figure
from convac.experiments.feature_order.config import DATASETS, ORDERS

__all__ = ["BASELINES", "mean_ci", "read_results", "summarize"]

#: orders from other people's methods, against which the entanglement orders are compared
BASELINES: tuple[str, ...] = ("greedy-chain", "spectral", "igtd")

_ADVICE = "delete that line (its cell then runs again)"


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


def read_results(sources: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Every cell record of the given results files (or folders holding ``results.jsonl``), each cell once.

    A source that is missing, or a cell (dataset, order, seed) found in two sources, is an InputError.

    >>> read_results(["no/such/folder"])
    Traceback (most recent call last):
    ...
    convac.errors.InputError: no/such/folder is not a feature-order results file nor a folder holding results.jsonl
    """
    from convac.errors import InputError
    from convac.experiments._runner.store import read_records

    seen: dict[tuple[Any, Any, Any], Path] = {}
    recs = []
    for source in sources:
        path = Path(source)
        path = path / "results.jsonl" if path.is_dir() else path
        if not path.is_file():
            raise InputError(f"{source} is not a feature-order results file nor a folder holding results.jsonl")
        for number, rec in read_records(path, _ADVICE):
            key = (rec.get("dataset"), rec.get("order"), rec.get("seed"))
            if key in seen:
                raise InputError(
                    f"{path} line {number} repeats the cell {key[0]} / {key[1]} / seed {key[2]} of {seen[key]}; "
                    "give each cell in one results file only"
                )
            seen[key] = path
            recs.append(rec)
    return recs


def _gap(accs: dict[int, float], reference: dict[int, float] | None) -> dict[str, Any] | None:
    """Paired gap per common seed: mean, sd, 95 % half-width, and the number of pairs."""
    seeds = sorted(set(accs) & set(reference or {}))
    if reference is None or not seeds:
        return None
    mean, sd, half = mean_ci([accs[s] - reference[s] for s in seeds])
    return {"mean": mean, "sd": sd, "ci95": half, "pairs": len(seeds)}


def _row(dataset: str, order: str, rs: list[dict[str, Any]], refs: dict[str, Any]) -> dict[str, Any]:
    rs = sorted(rs, key=lambda r: r["seed"])
    accs = {r["seed"]: 100 * r["test_accuracy"] for r in rs}
    mean, sd, half = mean_ci(list(accs.values()))
    kept = [r["neighbours_kept"] for r in rs if r.get("neighbours_kept") is not None]
    secs = [r["method_seconds"] for r in rs if r.get("method_seconds") is not None]
    return {
        "dataset": dataset,
        "order": order,
        "seeds": list(accs),
        "test_accuracy": list(accs.values()),
        "mean": mean,
        "sd": sd,
        "ci95": half,
        "gap_vs_natural": None if order == "natural" else _gap(accs, refs["natural"]),
        "best_baseline": refs["best_name"],
        "gap_vs_best_baseline": None if order == refs["best_name"] else _gap(accs, refs["best"]),
        "level_sides": [lv["side"] for lv in rs[0]["levels"]],
        "mean_entropy_per_level": np.mean([[lv["mean_entropy"] for lv in r["levels"]] for r in rs], axis=0).tolist(),
        "neighbours_kept": float(np.mean(kept)) if kept else None,
        "method_seconds": float(np.mean(secs)) if secs else None,
    }


def _dataset_order(d: str) -> tuple[int, int]:
    names = list(DATASETS)
    return (0 if DATASETS[d][0] == "1d" else 1, names.index(d)) if d in DATASETS else (2, 0)


def _rows(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for d in sorted({r["dataset"] for r in recs}, key=_dataset_order):
        by_order: dict[str, dict[int, float]] = {}
        for r in recs:
            if r["dataset"] == d:
                by_order.setdefault(r["order"], {})[r["seed"]] = 100 * r["test_accuracy"]
        baselines = [o for o in BASELINES if o in by_order]
        best = max(baselines, key=lambda o: np.mean(list(by_order[o].values())), default=None)
        refs = {"natural": by_order.get("natural"), "best_name": best, "best": by_order.get(best or "")}
        for o in sorted(by_order, key=lambda o: ORDERS.index(o) if o in ORDERS else len(ORDERS)):
            rows.append(_row(d, o, [r for r in recs if r["dataset"] == d and r["order"] == o], refs))
    return rows


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "–" if x is None or np.isnan(x) else format(x, spec)


def _gap_text(gap: dict[str, Any] | None) -> str:
    return "–" if gap is None else f"{gap['mean']:+.1f} ± {_fmt(gap['ci95'])}"


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | order | test accuracy % per seed | mean ± sd | 95 % CI | Δ vs natural (paired, 95 % CI) "
        "| Δ vs best baseline (paired, 95 % CI) | S per level, nats (short → long) | neighbours kept | method s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = "" if r["best_baseline"] is None or r["gap_vs_best_baseline"] is None else f" ({r['best_baseline']})"
        order = f"**{r['order']}**" if r["order"] == r["best_baseline"] else r["order"]
        lines.append(
            f"| {r['dataset']} | {order} | {' / '.join(f'{a:.1f}' for a in r['test_accuracy'])} "
            f"| {r['mean']:.1f} ± {_fmt(r['sd'])} | ± {_fmt(r['ci95'])} | {_gap_text(r['gap_vs_natural'])} "
            f"| {_gap_text(r['gap_vs_best_baseline'])}{best} "
            f"| {' / '.join(f'{e:.2f}' for e in r['mean_entropy_per_level'])} "
            f"| {_fmt(r['neighbours_kept'], '.2f')} | {_fmt(r['method_seconds'], '.2f')} |"
        )
    return "\n".join(lines) + "\n"


def _csv(recs: list[dict[str, Any]]) -> str:
    lines = ["dataset,order,seed,test_accuracy,train_accuracy,neighbours_kept,method_seconds,level_entropies"]
    for r in sorted(recs, key=lambda r: (_dataset_order(r["dataset"]), r["order"], r["seed"])):
        lev = " ".join(f"{lv['side']}:{lv['mean_entropy']:.4f}" for lv in r["levels"])
        kept, secs = r.get("neighbours_kept"), r.get("method_seconds")
        lines.append(
            f"{r['dataset']},{r['order']},{r['seed']},{r['test_accuracy']:.4f},{r['train_accuracy']:.4f},"
            f"{'' if kept is None else f'{kept:.4f}'},{'' if secs is None else f'{secs:.3f}'},{lev}"
        )
    return "\n".join(lines) + "\n"


def summarize(out_dir: str | Path, include: Sequence[str | Path] = ()) -> list[dict[str, Any]]:
    r"""Write ``summary.json``, ``results.csv``, ``table.md`` and ``accuracy.png`` into ``out_dir``.

    The cells are those of ``out_dir/results.jsonl`` and of every results file (or folder) in
    ``include``; each cell must come from one file only.

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
    out = Path(out_dir)
    recs = read_results([out / "results.jsonl", *include])
    rows = _rows(recs)
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    (out / "results.csv").write_text(_csv(recs))
    (out / "table.md").write_text(_table(rows))
    if rows:
        _figure(out / "accuracy.png", rows)
    return rows


def _figure(path: Path, rows: list[dict[str, Any]]) -> None:
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    ncols = min(4, len(datasets))
    nrows = -(-len(datasets) // ncols)
    fig = new_figure(figsize=(3.4 * ncols, 3.6 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, d in zip(axes, datasets, strict=False):
        rd = [r for r in rows if r["dataset"] == d]
        pos = np.arange(len(rd))
        err = [0.0 if np.isnan(r["ci95"]) else r["ci95"] for r in rd]
        colors = ["tab:orange" if r["order"].startswith("entanglement") else "tab:blue" for r in rd]
        ax.bar(pos, [r["mean"] for r in rd], yerr=err, capsize=3, color=colors, alpha=0.8)
        for i, r in enumerate(rd):
            ax.plot([i] * len(r["test_accuracy"]), r["test_accuracy"], "k.", ms=3)
            if r["order"] == "natural":
                ax.axhline(r["mean"], color="gray", ls="--", lw=0.8)
        ax.set_xticks(pos, [r["order"] for r in rd], rotation=60, ha="right", fontsize=8)
        lo = min(min(r["test_accuracy"]) for r in rd)
        ax.set_ylim(max(0.0, lo - 5), 100)
        ax.set_title(d)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(datasets) :]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel("test accuracy % (mean, 95 % CI)")
    fig.suptitle("feature order: test accuracy per seed (dots); dashed: natural order; orange: entanglement")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
