"""Table and figure of the inductive-bias sweep, in the paper's form.

Examples
--------
>>> recs = [{"task": "local", "family": "relu", "schedule": s, "r": 2, "seed": k,
...          "test_accuracy": a, "train_accuracy": a} for k, (s, a) in
...         enumerate([("wide_base", 0.6), ("wide_tip", 0.5), ("wide_base", 0.7), ("wide_tip", 0.5)])]
>>> row = summarize(recs)[0]
>>> row["schedule"], row["n_seeds"], round(row["test_mean"], 3)
('wide_base', 2, 0.65)
"""

from __future__ import annotations

import csv
import io
import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from convac.errors import InputError

__all__ = ["against_best", "merge_results", "paired_gaps", "per_seed", "summarize", "write_report"]


def _local_first(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sort key for (task, ...) tuples: the local task first, as in the paper's figure."""
    return (key[0] != "local", *key)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (task, family, schedule, r): mean and sample std over seeds of train/test accuracy.

    Examples
    --------
    >>> records = [{"task": "local", "family": "relu", "schedule": "wide_base", "r": 2, "seed": s,
    ...             "test_accuracy": a, "train_accuracy": a} for s, a in [(0, 0.5), (1, 0.7)]]
    >>> row = summarize(records)[0]
    >>> row["n_seeds"], round(row["test_mean"], 3), round(row["test_std"], 3)
    (2, 0.6, 0.141)
    """
    groups: dict[tuple[str, str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[rec["task"], rec["family"], rec["schedule"], rec["r"]].append(rec)
    rows = []
    for (task, family, schedule, r), recs in sorted(groups.items()):
        test_mean, test_std = _mean_std([x["test_accuracy"] for x in recs])
        train_mean, train_std = _mean_std([x["train_accuracy"] for x in recs])
        rows.append(
            {
                "task": task,
                "family": family,
                "schedule": schedule,
                "r": r,
                "n_seeds": len(recs),
                "test_mean": test_mean,
                "test_std": test_std,
                "train_mean": train_mean,
                "train_std": train_std,
            }
        )
    return rows


def paired_gaps(
    records: Sequence[dict[str, Any]], first: str = "wide_base", second: str = "wide_tip"
) -> list[dict[str, Any]]:
    """Per (task, family, r): test accuracy of ``first`` minus ``second`` on the same seed (same data).

    Reports the mean and std of the gap and how many seeds ``first`` won outright.

    Examples
    --------
    >>> cell = {"task": "local", "family": "relu", "r": 2}
    >>> records = [
    ...     {**cell, "schedule": "wide_base", "seed": 0, "test_accuracy": 0.75},
    ...     {**cell, "schedule": "wide_tip", "seed": 0, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_base", "seed": 1, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_tip", "seed": 1, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_base", "seed": 2, "test_accuracy": 1.0},  # no wide_tip partner
    ... ]
    >>> [(g["n_seeds"], g["gap_mean"], g["first_wins"]) for g in paired_gaps(records)]
    [(2, 0.125, 1)]
    """
    acc = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x["test_accuracy"] for x in records}
    groups: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for task, family, schedule, r, seed in sorted(acc):
        if schedule == first and (task, family, second, r, seed) in acc:
            groups[task, family, r].append(acc[task, family, first, r, seed] - acc[task, family, second, r, seed])
    rows = []
    for (task, family, r), gaps in sorted(groups.items()):
        mean, std = _mean_std(gaps)
        rows.append(
            {
                "task": task,
                "family": family,
                "r": r,
                "n_seeds": len(gaps),
                "gap_mean": mean,
                "gap_std": std,
                "first_wins": sum(g > 0 for g in gaps),
            }
        )
    return rows


def per_seed(
    records: Sequence[dict[str, Any]], first: str = "wide_base", second: str = "wide_tip"
) -> list[dict[str, Any]]:
    """One row per (task, family, r, seed) that has both schedules: their accuracies and the paired gap.

    A paired gap compares two nets trained on exactly the same images in the same order, so its
    sign per seed (who won) is what a reader checks against the paper's single runs.

    Examples
    --------
    >>> cell = {"task": "global", "family": "relu", "r": 6, "seed": 0}
    >>> records = [{**cell, "schedule": "wide_base", "test_accuracy": 0.4, "train_accuracy": 0.5},
    ...            {**cell, "schedule": "wide_tip", "test_accuracy": 0.55, "train_accuracy": 0.6}]
    >>> row = per_seed(records)[0]
    >>> row["seed"], row["first_test"], round(row["gap"], 2)
    (0, 0.4, -0.15)
    """
    by_key = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x for x in records}
    rows = []
    for task, family, schedule, r, seed in sorted(by_key, key=_local_first):
        partner = by_key.get((task, family, second, r, seed))
        if schedule != first or partner is None:
            continue
        mine = by_key[task, family, first, r, seed]
        rows.append(
            {
                "task": task,
                "family": family,
                "r": r,
                "seed": seed,
                "first_test": mine["test_accuracy"],
                "first_train": mine["train_accuracy"],
                "second_test": partner["test_accuracy"],
                "second_train": partner["train_accuracy"],
                "gap": mine["test_accuracy"] - partner["test_accuracy"],
            }
        )
    return rows


def against_best(
    records: Sequence[dict[str, Any]], baselines: tuple[str, str] = ("wide_base", "wide_tip")
) -> list[dict[str, Any]]:
    """Every other schedule against the better of ``baselines`` on the same seed (same images).

    Per (task, family, schedule, r): the mean and std over seeds of its test accuracy minus the
    better baseline's, how many seeds it beat both, and which baseline was the better one per seed.
    A designed network is only useful if it beats the better hand-made one, which a reader
    cannot know in advance, so the comparison takes the better one after the fact (the strict test).

    Examples
    --------
    >>> cell = {"task": "local", "family": "relu", "r": 6, "seed": 0}
    >>> records = [{**cell, "schedule": s, "test_accuracy": a}
    ...            for s, a in [("wide_base", 0.5), ("wide_tip", 0.6), ("designed", 0.65)]]
    >>> row = against_best(records)[0]
    >>> row["schedule"], round(row["gap_mean"], 2), row["wins"], row["best"]
    ('designed', 0.05, 1, ['wide_tip'])
    """
    acc = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x["test_accuracy"] for x in records}
    groups: dict[tuple[str, str, str, int], list[tuple[int, float, str]]] = defaultdict(list)
    for task, family, schedule, r, seed in sorted(acc, key=_local_first):
        if schedule in baselines:
            continue
        scores = [(acc.get((task, family, b, r, seed)), b) for b in baselines]
        if any(score is None for score, _ in scores):
            continue
        best_score, best = max((score, b) for score, b in scores if score is not None)
        groups[task, family, schedule, r].append((seed, acc[task, family, schedule, r, seed] - best_score, best))
    rows = []
    for (task, family, schedule, r), items in groups.items():
        gaps = [gap for _, gap, _ in items]
        mean, std = _mean_std(gaps)
        rows.append(
            {
                "task": task,
                "family": family,
                "schedule": schedule,
                "r": r,
                "n_seeds": len(items),
                "gap_mean": mean,
                "gap_std": std,
                "wins": sum(g > 0 for g in gaps),
                "seeds": [seed for seed, _, _ in items],
                "gaps": gaps,
                "best": [b for _, _, b in items],
            }
        )
    return rows


_RECORD_FIELDS = ("key", "protocol", "task", "family", "schedule", "r", "seed", "test_accuracy")


def merge_results(sources: Sequence[str | Path]) -> list[dict[str, Any]]:
    r"""Read the result records of several sweeps into one list, refusing mixtures that cannot be compared.

    Each source is a sweep's ``--out`` directory or a ``results.jsonl`` file. All records must come
    from one training protocol (same data, images and optimiser: paired gaps compare nets trained
    on the same images), and a cell present in two sources must hold the same result there. A
    line whose accuracies are not fractions in [0, 1] (NaN, 7.5) is refused, and so are sources
    without a single finished cell.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> cell = {"protocol": "p", "task": "local", "family": "relu", "r": 6, "seed": 0}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, schedule in [("a", "wide_base"), ("b", "wide_tip")]:
    ...         path = pathlib.Path(tmp, name + ".jsonl")
    ...         rec = {**cell, "schedule": schedule, "key": schedule, "test_accuracy": 0.5}
    ...         _ = path.write_text(json.dumps(rec) + "\n")
    ...     records = merge_results([pathlib.Path(tmp, "a.jsonl"), pathlib.Path(tmp, "b.jsonl")])
    >>> sorted(r["schedule"] for r in records)
    ['wide_base', 'wide_tip']
    """
    from convac.experiments._runner.store import read_records
    from convac.experiments.inductive_bias._results import check_record

    if isinstance(sources, (str, Path)):
        raise InputError("merge_results takes a list of result directories or files, not one path")
    if not sources:
        raise InputError("no results given: pass one or more sweep directories or results.jsonl files")
    merged: dict[str, tuple[dict[str, Any], Path]] = {}  # key -> (record, the file it came from)
    protocols: dict[str, Path] = {}
    for source in sources:
        path = Path(source)
        if path.is_dir():
            path = path / "results.jsonl"
        if not path.is_file():
            raise InputError(f"{source} is neither a sweep directory holding results.jsonl nor a results file")
        for number, record in read_records(path, "fix or remove that line", check_record):
            if any(k not in record for k in _RECORD_FIELDS):
                raise InputError(f"{path} line {number} is not an inductive-bias result record")
            protocols.setdefault(record["protocol"], path)
            if len(protocols) > 1:
                (first, first_path), (other, other_path) = protocols.items()
                raise InputError(
                    f"{first_path} and {other_path} come from different training protocols ({first} and {other}); "
                    "merge only sweeps run with the same data and protocol"
                )
            kept, kept_path = merged.setdefault(record["key"], (record, path))
            if kept is not record and kept["test_accuracy"] != record["test_accuracy"]:
                raise InputError(
                    f"cell {record['key']} has different results in {kept_path} and {path}; keep one of them"
                )
    if not merged:
        raise InputError(f"no finished cells in {', '.join(map(str, sources))}; run the sweep first")
    return [record for record, _ in merged.values()]


def _markdown(
    rows: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    seeds: list[dict[str, Any]],
    others: list[dict[str, Any]],
) -> str:
    out = io.StringIO()
    out.write("| task | family | schedule | r | seeds | test acc (mean ± std) | train acc (mean ± std) |\n")
    out.write("|---|---|---|---:|---:|---:|---:|\n")
    for row in rows:
        out.write(
            f"| {row['task']} | {row['family']} | {row['schedule']} | {row['r']} | {row['n_seeds']} | "
            f"{100 * row['test_mean']:.1f} ± {100 * row['test_std']:.1f} | "
            f"{100 * row['train_mean']:.1f} ± {100 * row['train_std']:.1f} |\n"
        )
    if gaps:
        out.write("\nPaired gap, wide-base minus wide-tip test accuracy on the same seed (points):\n\n")
        out.write("| task | family | r | seeds | gap (mean ± std) | seeds wide-base wins |\n")
        out.write("|---|---|---:|---:|---:|---:|\n")
        for g in gaps:
            out.write(
                f"| {g['task']} | {g['family']} | {g['r']} | {g['n_seeds']} | "
                f"{100 * g['gap_mean']:+.1f} ± {100 * g['gap_std']:.1f} | "
                f"{g['first_wins']}/{g['n_seeds']} |\n"
            )
    if seeds:
        out.write("\nPer seed, test accuracy % (train in brackets); gap = wide-base minus wide-tip:\n\n")
        out.write("| task | family | r | seed | wide-base | wide-tip | gap | winner |\n")
        out.write("|---|---|---:|---:|---:|---:|---:|---|\n")
        for row in seeds:
            winner = "wide-base" if row["gap"] > 0 else "wide-tip" if row["gap"] < 0 else "tie"
            out.write(
                f"| {row['task']} | {row['family']} | {row['r']} | {row['seed']} | "
                f"{100 * row['first_test']:.1f} ({100 * row['first_train']:.1f}) | "
                f"{100 * row['second_test']:.1f} ({100 * row['second_train']:.1f}) | "
                f"{100 * row['gap']:+.1f} | {winner} |\n"
            )
    if others:
        out.write(
            "\nOther schedules against the better of wide-base and wide-tip on the same seed "
            "(test accuracy points; the better one named per seed):\n\n"
        )
        out.write("| task | family | schedule | r | seeds | gap to the better (mean ± std) | wins | per seed |\n")
        out.write("|---|---|---|---:|---:|---:|---:|---|\n")
        for row in others:
            each = ", ".join(
                f"{seed}: {100 * gap:+.1f} vs {best.replace('_', '-')}"
                for seed, gap, best in zip(row["seeds"], row["gaps"], row["best"], strict=True)
            )
            out.write(
                f"| {row['task']} | {row['family']} | {row['schedule']} | {row['r']} | {row['n_seeds']} | "
                f"{100 * row['gap_mean']:+.1f} ± {100 * row['gap_std']:.1f} | {row['wins']}/{row['n_seeds']} | "
                f"{each} |\n"
            )
    return out.getvalue()


def _figure(rows: list[dict[str, Any]], records: Sequence[dict[str, Any]], path: Path) -> None:
    from convac._figures import new_figure, save_figure

    tasks = sorted({r["task"] for r in rows}, key=lambda t: _local_first((t,)))
    families = sorted({r["family"] for r in rows}, key=lambda f: (f != "relu", f))
    schedules = sorted({r["schedule"] for r in rows}, key=lambda s: (s not in ("wide_base", "wide_tip"), s))
    colours = {s: f"C{i}" for i, s in enumerate(schedules)}
    # Schedules side by side around each r, with every seed as a dot: with one or two r values
    # the means alone would sit on top of each other and hide the per-seed pairing.
    r_values = sorted({r["r"] for r in rows})
    spacing = min((b - a for a, b in itertools.pairwise(r_values)), default=1)
    offset = {s: (i - (len(schedules) - 1) / 2) * 0.12 * spacing for i, s in enumerate(schedules)}
    fig = new_figure(figsize=(5 * len(tasks), 3.8 * len(families)))
    axes = fig.subplots(len(families), len(tasks), squeeze=False)
    for i, family in enumerate(families):
        for j, task in enumerate(tasks):
            ax = axes[i][j]
            for schedule in schedules:
                sel = sorted(
                    (r for r in rows if (r["task"], r["family"], r["schedule"]) == (task, family, schedule)),
                    key=lambda r: r["r"],
                )
                if not sel:
                    continue
                xs = [r["r"] + offset[schedule] for r in sel]
                label = schedule.replace("_", "-")
                dots = [x for x in records if (x["task"], x["family"], x["schedule"]) == (task, family, schedule)]
                ax.scatter(
                    [x["r"] + offset[schedule] for x in dots],
                    [100 * x["test_accuracy"] for x in dots],
                    color=colours[schedule],
                    s=12,
                    alpha=0.45,
                    zorder=3,
                )
                ax.errorbar(
                    xs,
                    [100 * r["test_mean"] for r in sel],
                    yerr=[100 * r["test_std"] for r in sel],
                    color=colours[schedule],
                    marker="o",
                    capsize=3,
                    label=f"{label} test",
                )
                ax.errorbar(
                    xs,
                    [100 * r["train_mean"] for r in sel],
                    yerr=[100 * r["train_std"] for r in sel],
                    color=colours[schedule],
                    marker="x",
                    linestyle="--",
                    capsize=3,
                    alpha=0.6,
                    label=f"{label} train",
                )
            seeds = {r["n_seeds"] for r in rows if (r["task"], r["family"]) == (task, family)}
            n = min(seeds) if seeds else 0
            ax.set_title(f"{task} task ({family}): mean ± std over {n} seeds, dots: seeds", fontsize=10)
            ax.axhline(10, color="grey", linestyle=":", linewidth=1, label="chance")
            ax.set_xticks(r_values)
            ax.set_xlim(r_values[0] - 0.5 * spacing, r_values[-1] + 0.5 * spacing)
            ax.set_xlabel("r (width parameter)")
            ax.set_ylabel("accuracy (%)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def write_report(records: Sequence[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    """Write ``table.md``, ``table.csv`` and ``figure.png`` for ``records`` into ``out_dir`` (created if needed).

    Examples
    --------
    >>> import tempfile
    >>> records = [{"task": t, "family": "relu", "schedule": s, "r": 2, "seed": 0, "test_accuracy": 0.5,
    ...             "train_accuracy": 0.5} for t in ("local", "global") for s in ("wide_base", "wide_tip")]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(write_report(records, out))
    ['figure', 'table_csv', 'table_md']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarize(records)
    gaps = paired_gaps(records)
    files = {"table_md": out / "table.md", "table_csv": out / "table.csv", "figure": out / "figure.png"}
    files["table_md"].write_text(_markdown(rows, gaps, per_seed(records), against_best(records)))
    with files["table_csv"].open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["task"])
        writer.writeheader()
        writer.writerows(rows)
    if rows:
        _figure(rows, records, files["figure"])
    return files
