"""The inductive-bias report rendered: the markdown tables and the figure (numbers come from :mod:`.report`)."""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from convac._figures import new_figure, save_figure

__all__ = ["figure", "markdown"]

POOLED = 0  # the r of rows pooled over r (report.POOLED; repeated to keep this module a leaf)

STATS_HEADER = "seeds | gap (mean ± sd) | 95 % CI | t-test p | wins/losses/ties | sign-test p"
STATS_RULE = "---:|---:|---:|---:|---:|---:"


def _local_first(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return (key[0] != "local", *key)


def _p(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def _r(r: int) -> str:
    return "all (pooled)" if r == POOLED else str(r)


def stats_cells(row: dict[str, Any]) -> str:
    """Return the statistics columns of a paired row in points: n, mean ± sd, CI, t-test p, signs, sign p."""
    low, high = row["ci_low"], row["ci_high"]
    ci = "–" if math.isnan(low) else f"[{100 * low:+.1f}, {100 * high:+.1f}]"
    return (
        f"{row['n_seeds']} | {100 * row['gap_mean']:+.1f} ± {100 * row['gap_std']:.1f} | {ci} | {_p(row['t_p'])} | "
        f"{row['wins']}/{row['losses']}/{row['ties']} | {_p(row['sign_p'])}"
    )


def _versions(out: io.StringIO, versions: dict[int, str]) -> None:
    for version, text in versions.items():
        out.write(f"Protocol version {version}: {text}\n")
    out.write(
        "\nA cell is reproducible per machine: bit-identical run to run on one machine, not across machines "
        "(other CPU kernels sum in another order).\n\n"
    )


def _count(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _cells(out: io.StringIO, rows: list[dict[str, Any]]) -> None:
    out.write(
        "| task | family | schedule | r | weights (hidden + output) | parameters (all) | seeds | "
        "test acc (mean ± std) | train acc (mean ± std) |\n"
    )
    out.write("|---|---|---|---:|---:|---:|---:|---:|---:|\n")
    for row in rows:
        counts = " | ".join(_count(row.get(name)) for name in ("weights", "n_params"))
        out.write(
            f"| {row['task']} | {row['family']} | {row['schedule']} | {row['r']} | {counts} | {row['n_seeds']} | "
            f"{100 * row['test_mean']:.1f} ± {100 * row['test_std']:.1f} | "
            f"{100 * row['train_mean']:.1f} ± {100 * row['train_std']:.1f} |\n"
        )


def _gaps(out: io.StringIO, gaps: list[dict[str, Any]], inter: list[dict[str, Any]]) -> None:
    if gaps:
        out.write(
            "\nPaired gap, wide-base minus wide-tip test accuracy on the same seed (points); 95 % t-CI, paired "
            "t-test and exact two-sided sign test; pooled rows take every (r, seed) pair as one unit:\n\n"
        )
        out.write(f"| task | family | r | {STATS_HEADER} |\n|---|---|---:|{STATS_RULE}|\n")
        for g in gaps:
            out.write(f"| {g['task']} | {g['family']} | {_r(g['r'])} | {stats_cells(g)} |\n")
    if inter:
        out.write(
            "\nTask x schedule interaction: per seed, the local gap minus the global gap (points; the paper's "
            "claim is that it is positive); sign-flip p: exact permutation test swapping the tasks within a seed:\n\n"
        )
        out.write(f"| family | r | {STATS_HEADER} | sign-flip p |\n|---|---:|{STATS_RULE}|---:|\n")
        for row in inter:
            out.write(f"| {row['family']} | {_r(row['r'])} | {stats_cells(row)} | {_p(row['flip_p'])} |\n")


def _seeds(out: io.StringIO, seeds: list[dict[str, Any]]) -> None:
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


def _arms(out: io.StringIO, arms: list[dict[str, Any]], baselines: Sequence[str] | None) -> None:
    if baselines is None:
        out.write(
            "\nOther schedules against each hand-made schedule and against their mean, paired by seed (test "
            "accuracy points; not against the per-seed better of the two, which is biased by about sd/√π):\n\n"
        )
    else:
        names = ", ".join(name.replace("_", "-") for name in baselines)
        out.write(
            f"\nOther schedules against each baseline ({names}) and against the mean of all {len(baselines)}, "
            "paired by seed (test accuracy points; not against the per-seed best of them, which is biased "
            "against any other arm):\n\n"
        )
    out.write(f"| task | family | schedule | r | versus | {STATS_HEADER} |\n|---|---|---|---:|---|{STATS_RULE}|\n")
    for row in arms:
        versus = row["versus"].replace("_", "-")
        out.write(
            f"| {row['task']} | {row['family']} | {row['schedule']} | {row['r']} | {versus} | {stats_cells(row)} |\n"
        )


def markdown(
    versions: dict[int, str],
    rows: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    inter: list[dict[str, Any]],
    seeds: list[dict[str, Any]],
    arms: list[dict[str, Any]],
    baselines: Sequence[str] | None = None,
) -> str:
    """Return ``table.md``: protocol version(s), cells, paired gaps, interaction, seeds, other schedules."""
    out = io.StringIO()
    _versions(out, versions)
    _cells(out, rows)
    _gaps(out, gaps, inter)
    if seeds:
        _seeds(out, seeds)
    if arms:
        _arms(out, arms, baselines)
    return out.getvalue()


def figure(rows: list[dict[str, Any]], records: Sequence[dict[str, Any]], path: Path) -> None:
    """Draw accuracy against r per task (and family): mean ± std per schedule, every seed as a dot."""
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
