"""The function-entanglement report: a table and four figures (convac._figures, never pyplot)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from convac._figures import new_figure, save_figure

__all__ = ["summarize_cells", "write_function_entanglement_report"]


def _mean_entropy(values: dict[str, float], probe: str) -> tuple[float, float]:
    """Mean and max over classes of the entropies ``probe/y*`` in one tracked record (NaN if not measured)."""
    ents = [v for k, v in values.items() if k.startswith(probe + "/y")]
    return (float(np.mean(ents)), float(np.max(ents))) if ents else (math.nan, math.nan)


def _corr(a: list[float], b: list[float]) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))  # Spearman: Pearson of the ranks
    return float(np.corrcoef(ra, rb)[0, 1])


def summarize_cells(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summarise the records: one row per (task, schedule, probe).

    Each row holds the mean over seeds of the final function entropy (mean and max over classes), the
    coefficient-tensor entropy, ``ln`` of the min-cut, the accuracy, and the Spearman correlation over epochs
    (0..E, loss of epoch 0 excluded) between the mean entropy and the training loss.

    >>> rec = {"task": "local", "schedule": "wide_base", "seed": 0, "probes": ["left_right"],
    ...        "min_cut": {"left_right": 2}, "test_accuracy": 0.5,
    ...        "history": [{"loss": 2.0}, {"loss": 1.5}, {"loss": 1.0}],
    ...        "tracked": [{"left_right/y0": 0.0}, {"left_right/y0": 0.1}, {"left_right/y0": 0.2},
    ...                    {"left_right/y0": 0.3}], "coefficient": {"left_right/y0": 0.6}}
    >>> row = summarize_cells([rec])[0]
    >>> round(row["function"], 3), round(row["capacity"], 3), row["corr_loss"]
    (0.3, 0.693, -1.0)
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rec in records:
        for probe in rec["probes"]:
            groups.setdefault((rec["task"], rec["schedule"], probe), []).append(rec)
    rows = []
    for (task, schedule, probe), recs in groups.items():
        final = [_mean_entropy(r.get("final", r["tracked"][-1]), probe) for r in recs]
        initial = [_mean_entropy(r.get("initial", r["tracked"][0]), probe)[0] for r in recs]
        coeff = [_mean_entropy(r["coefficient"], probe)[0] for r in recs]
        ink = [_mean_entropy(r["final_ink"], probe) for r in recs if "final_ink" in r]
        ink0 = [_mean_entropy(r["initial_ink"], probe)[0] for r in recs if "initial_ink" in r]
        corrs = [
            _corr([_mean_entropy(t, probe)[0] for t in r["tracked"][1:]], [h["loss"] for h in r["history"]])
            for r in recs
            if f"{probe}/y0" in r["tracked"][-1]
        ]
        finite = [c for c in corrs if math.isfinite(c)]
        rows.append(
            {
                "task": task,
                "schedule": schedule,
                "probe": probe,
                "n_seeds": len(recs),
                "capacity": math.log(recs[0]["min_cut"][probe]),
                "initial": float(np.mean(initial)),
                "function": float(np.mean([f[0] for f in final])),
                "function_max": float(np.mean([f[1] for f in final])),
                "coefficient": float(np.mean(coeff)),
                "initial_ink": float(np.mean(ink0)) if ink0 else math.nan,
                "function_ink": float(np.mean([f[0] for f in ink])) if ink else math.nan,
                "function_ink_max": float(np.mean([f[1] for f in ink])) if ink else math.nan,
                "test_accuracy": float(np.mean([r["test_accuracy"] for r in recs])),
                "corr_loss": float(np.mean(finite)) if finite else math.nan,
            }
        )
    return rows


def _markdown(rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> str:
    seeds = sorted({r["seed"] for r in records})
    lines = [
        f"Seeds {seeds}; entropies in nats, mean over the seeds run (their number in brackets); "
        "function entropies are the mean / max over the 10 classes.",
        "",
        "| task | schedule | test acc. (seeds) | probe | ln min-cut "
        "| function, data measure: init -> trained (mean / max) "
        "| function, digit-patch measure: init -> trained (mean / max) | coefficient tensor, trained "
        "| Spearman(entropy, loss) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ink = (
            f"{row['initial_ink']:.4f} -> {row['function_ink']:.4f} / {row['function_ink_max']:.4f}"
            if math.isfinite(row["function_ink"])
            else "-"
        )
        lines.append(
            f"| {row['task']} | {row['schedule']} | {row['test_accuracy']:.3f} ({row['n_seeds']}) | {row['probe']} | "
            f"{row['capacity']:.2f} | {row['initial']:.4f} -> {row['function']:.4f} / {row['function_max']:.4f} "
            f"| {ink} | {row['coefficient']:.4f} | {row['corr_loss']:+.2f} |"
        )
    return "\n".join(lines) + "\n"


def write_function_entanglement_report(records: list[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    """Write the report of the records.

    ``table.md``, ``profile.png`` (entropy per probe vs ln min-cut), ``training.png`` (entropy and loss per
    epoch) and ``accuracy.png`` (long-range entropy vs test accuracy).

    Examples
    --------
    A record as :func:`run_function_entanglement` writes it (entropies per ``probe/y<class>``):

    >>> import tempfile
    >>> names = ["block(4)", "left_right"]
    >>> def ent(scale):
    ...     return {f"{p}/y{k}": scale * (i + 1) for i, p in enumerate(names) for k in range(10)}
    >>> rec = {"key": "local|wide_base|r=1|seed=0", "task": "local", "schedule": "wide_base", "r": 1,
    ...        "seed": 0, "probes": names, "min_cut": {"block(4)": 2, "left_right": 1},
    ...        "history": [{"epoch": 1, "loss": 2.0, "train_accuracy": 0.5, "test_accuracy": 0.5}],
    ...        "tracked": [{"epoch": e, **ent(0.1 * (e + 1))} for e in range(2)],
    ...        "initial": ent(0.1), "final": ent(0.2), "initial_ink": ent(0.01), "final_ink": ent(0.02),
    ...        "coefficient": ent(0.3), "test_accuracy": 0.5, "train_accuracy": 0.5}
    >>> with tempfile.TemporaryDirectory() as out:
    ...     files = write_function_entanglement_report([rec], out)
    ...     table = files["table"].read_text()
    ...     written = all(path.exists() for path in files.values())
    >>> sorted(files), written
    (['accuracy', 'classes', 'profile', 'table', 'training'], True)
    >>> "| local | wide_base | 0.500 (1) | left_right | 0.00 | 0.2000 -> 0.4000 / 0.4000 |" in table
    True
    """
    out = Path(out_dir)
    files: dict[str, Path] = {}
    if not records:
        return files
    rows = summarize_cells(records)
    files["table"] = out / "table.md"
    files["table"].write_text(_markdown(rows, records))
    order = ["local", "global"]
    tasks = sorted({r["task"] for r in records}, key=lambda k: (order.index(k) if k in order else len(order), k))
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    colors = {s: palette[i % len(palette)] for i, s in enumerate(sorted({r["schedule"] for r in records}))}
    probes_all = records[0]["probes"]
    probe = "left_right" if "left_right" in probes_all else probes_all[-1]
    for name, draw in (("profile", _profile_figure), ("training", _training_figure)):
        files[name] = Path(save_figure(draw(rows, records, tasks, colors), out / f"{name}.png", dpi=110))
    files["accuracy"] = Path(save_figure(_accuracy_figure(records, colors, probe), out / "accuracy.png", dpi=110))
    files["classes"] = Path(save_figure(_classes_figure(records, probe), out / "classes.png", dpi=110))
    return files


def _profile_figure(
    rows: list[dict[str, Any]], records: list[dict[str, Any]], tasks: list[str], colors: dict[str, str]
) -> Any:
    """Draw the entropy per probe against ln min-cut, one panel per task."""
    # One x position per probe name across schedules (wide-tip lacks blocks(16) at r = 2, for instance).
    axis = max((r["probes"] for r in records), key=len)
    axis = list(dict.fromkeys([*axis, *(p for r in records for p in r["probes"])]))
    fig = new_figure(figsize=(6.5 * len(tasks), 4.2))
    axes = fig.subplots(1, len(tasks), squeeze=False, sharey=True)
    for ax, task in zip(axes[0], tasks, strict=True):
        for schedule, color in colors.items():
            sel = [row for row in rows if row["task"] == task and row["schedule"] == schedule]
            xs = [axis.index(r["probe"]) for r in sel]
            acc = sel[0]["test_accuracy"] if sel else math.nan
            ax.plot(xs, [r["function"] for r in sel], "o-", color=color,
                    label=f"{schedule}: function, data measure (acc {acc:.2f})")  # fmt: skip
            if any(math.isfinite(r["function_ink"]) for r in sel):
                ax.plot(xs, [r["function_ink"] for r in sel], "D-.", color=color,
                        label=f"{schedule}: function, digit-patch measure")  # fmt: skip
            ax.plot(xs, [r["coefficient"] for r in sel], "s--", color=color, alpha=0.5,
                    label=f"{schedule}: coefficients")  # fmt: skip
            ax.plot(xs, [r["capacity"] for r in sel], "_", color=color, markersize=18, mew=2,
                    label=f"{schedule}: ln min-cut")  # fmt: skip
        ax.set_xticks(range(len(axis)), axis, rotation=45, ha="right")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_title(f"{task} task")
        ax.set_ylabel("entropy (nats)")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def _training_figure(
    rows: list[dict[str, Any]], records: list[dict[str, Any]], tasks: list[str], colors: dict[str, str]
) -> Any:
    """Draw the entropy of two probes and the training loss per epoch, one panel per task."""
    measured = [k.split("/")[0] for k in records[0]["tracked"][-1] if k.endswith("/y0")]
    pick = [p for p in ("block(4)", "left_right") if p in measured] or measured[:1]
    fig = new_figure(figsize=(6.5 * len(tasks), 4.0))
    axes = fig.subplots(1, len(tasks), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        twin = ax.twinx()
        for rec in [r for r in records if r["task"] == task]:
            color = colors.get(rec["schedule"])
            epochs = [t["epoch"] for t in rec["tracked"]]
            for probe, style in zip(pick, ("-", "--"), strict=False):
                ax.plot(epochs, [_mean_entropy(t, probe)[0] for t in rec["tracked"]], style, color=color, alpha=0.8)
            history = rec["history"]
            twin.plot([h["epoch"] for h in history], [h["loss"] for h in history], ":", color=color, alpha=0.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel(
            "function entropy, mean over classes (nats): "
            + ", ".join(f"{p} {s}" for p, s in zip(pick, ("solid", "dashed"), strict=False))
        )
        ax.yaxis.label.set_size(7)
        twin.set_ylabel("training loss (dotted)")
        ax.set_title(f"{task}: " + ", ".join(f"{s} {c.split(':')[1]}" for s, c in colors.items()))
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _accuracy_figure(records: list[dict[str, Any]], colors: dict[str, str], probe: str) -> Any:
    """Draw the final long-range function entropy against test accuracy, one point per cell."""
    fig = new_figure(figsize=(5.5, 4.0))
    ax = fig.subplots()
    markers = {"local": "o", "global": "s"}
    for rec in records:
        ax.scatter(
            rec["test_accuracy"],
            _mean_entropy(rec.get("final", rec["tracked"][-1]), probe)[0],
            color=colors.get(rec["schedule"]),
            marker=markers.get(rec["task"], "x"),
            label=f"{rec['task']} {rec['schedule']}",
        )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8)
    ax.set_xlabel("test accuracy")
    ax.set_ylabel(f"function entropy across {probe}, mean over classes (nats)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _classes_figure(records: list[dict[str, Any]], probe: str) -> Any:
    """Draw, per class, the final function entropy across the long-range probe (mean over seeds)."""
    cells = sorted({(r["task"], r["schedule"]) for r in records})
    fig = new_figure(figsize=(6.5, 3.8))
    ax = fig.subplots()
    width = 0.8 / len(cells)
    for i, (task, schedule) in enumerate(cells):
        recs = [r for r in records if r["task"] == task and r["schedule"] == schedule]
        per_class = [
            float(np.mean([r.get("final", r["tracked"][-1])[f"{probe}/y{y}"] for r in recs])) for y in range(10)
        ]
        ax.bar(np.arange(10) + i * width, per_class, width, label=f"{task} {schedule}")
    ax.set_xticks(np.arange(10) + 0.4 - width / 2, [str(y) for y in range(10)])
    ax.set_xlabel("class y")
    ax.set_ylabel(f"function entropy of h_y across {probe} (nats)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
