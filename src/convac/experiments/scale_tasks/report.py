"""The scale-task table, statistics and figures from the finished cells.

For each scale and arm: mean ± sd of test accuracy over seeds, and the *paired* gap to the best
other hand-made arm (the hand-made arm, itself excluded, with the highest mean at that scale):
mean gap over seeds, its 95% t-interval (``scipy.stats.t``), and a two-sided exact sign test
(``scipy.stats.binomtest`` on the seeds whose gap is not zero). A gap is *resolved* when its
interval excludes zero. The designed arm's *shape is right* when its widest level above the
first is the level of block side ``d``, where the task's pairs are cut.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from convac._figures import new_figure, save_figure
from convac.experiments.scale_tasks.arms import ARMS, HAND_MADE

__all__ = ["arm_label", "paired_gap", "summarize", "summary_rows"]


def paired_gap(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Mean of ``a - b`` over matched seeds, its 95% t-interval and the two-sided exact sign-test p.

    Examples
    --------
    >>> g = paired_gap([0.9, 0.8, 1.0], [0.7, 0.7, 0.8])
    >>> round(g["mean"], 4), g["n"], g["wins"], round(g["sign_p"], 3)
    (0.1667, 3, 3, 0.25)
    >>> round(g["ci_low"], 4), round(g["ci_high"], 4)
    (0.0232, 0.3101)
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    sign_p = float(stats.binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return {
        "mean": mean,
        "sd": sd,
        "n": n,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "wins": wins,
        "losses": losses,
        "sign_p": sign_p,
        "resolved": bool(n > 1 and (mean - half > 0 or mean + half < 0)),
    }


def arm_label(record: dict[str, Any]) -> str:
    """Return the arm's name in the report; a designed arm carries its method: ``designed (objective)``.

    Examples
    --------
    >>> arm_label({"arm": "wide_tip"}), arm_label({"arm": "designed", "design_method": "feasible"})
    ('wide_tip', 'designed (feasible)')
    """
    if record["arm"] == "designed":
        return f"designed ({record.get('design_method', '?')})"
    return str(record["arm"])


def _labels(records: Sequence[dict[str, Any]]) -> list[str]:
    present = {arm_label(r) for r in records}
    return [a for a in HAND_MADE if a in present] + sorted(a for a in present if a not in HAND_MADE)


def _widest(shape: Sequence[float]) -> int | None:
    """Return the index of the one widest level; None when several tie (a flat shape has no widest level)."""
    top = max(shape)
    return list(shape).index(top) if list(shape).count(top) == 1 else None


def _fitting_arm(distance: int, n_positions: int) -> tuple[str, int]:
    """Return the hand-made arm widest where pairs at ``distance`` are cut, and that level's index."""
    from convac.experiments.scale_tasks.arms import hand_made_shape

    levels = int(math.log2(n_positions)) - 1
    index = int(math.log2(distance)) - 1
    for arm in ("wide_base", "wide_middle", "wide_tip"):
        shape = hand_made_shape(arm, levels)
        if _widest(shape) == index:
            return arm, index
    return "", index


def summary_rows(records: Sequence[dict[str, Any]], n_positions: int) -> list[dict[str, Any]]:
    """One row per (scale, arm) with the accuracy statistics and the paired gap to the best other hand-made arm.

    Examples
    --------
    >>> recs = [{"scale": "long", "distance": 4, "arm": arm, "seed": s, "test_accuracy": acc, "widths": [4, 2, 3]}
    ...         for s in range(3) for arm, acc in (("wide_tip", 0.9 + s / 100), ("wide_base", 0.6), ("uniform", 0.7))]
    >>> rows = summary_rows(recs, 8)
    >>> [(r["arm"], r["versus"], round(r["gap"]["mean"], 2)) for r in rows]
    [('wide_base', 'wide_tip', -0.31), ('wide_tip', 'uniform', 0.21), ('uniform', 'wide_tip', -0.21)]
    >>> rows[1]["fits_scale"], rows[1]["gap"]["resolved"]
    (True, True)
    """
    rows = []
    for scale in dict.fromkeys(r["scale"] for r in records):
        at = [r for r in records if r["scale"] == scale]
        fitting, index = _fitting_arm(at[0]["distance"], n_positions)
        labels = _labels(at)
        acc = {a: {r["seed"]: r["test_accuracy"] for r in at if arm_label(r) == a} for a in labels}
        means = {a: float(np.mean(list(v.values()))) for a, v in acc.items() if v}
        for arm in labels:
            others = [a for a in HAND_MADE if a != arm and a in means]
            versus = max(others, key=lambda a: means[a]) if others else ""
            seeds = sorted(set(acc[arm]) & set(acc.get(versus, {})))
            row: dict[str, Any] = {
                "scale": scale,
                "distance": at[0]["distance"],
                "arm": arm,
                # a designed arm's widths may differ from seed to seed: every distinct vector, first seen first
                "widths": list(dict.fromkeys(tuple(r["widths"]) for r in at if arm_label(r) == arm)),
                "seeds": sorted(acc[arm]),
                "mean": means[arm],
                "sd": float(np.std(list(acc[arm].values()), ddof=1)) if len(acc[arm]) > 1 else math.nan,
                "versus": versus,
                "gap": paired_gap([acc[arm][s] for s in seeds], [acc[versus][s] for s in seeds]) if seeds else {},
                "fits_scale": arm == fitting,
            }
            if arm.startswith("designed"):
                shapes = [r["designed_shape"] for r in at if arm_label(r) == arm]
                row["right_shape"] = [_widest(s) == index for s in shapes]
            rows.append(row)
    return rows


def _table(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        "| scale (d) | arm | widths | accuracy mean ± sd | vs | paired gap [95% CI] | wins/losses | sign p "
        "| resolved |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        g = r["gap"] or {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "wins": 0, "losses": 0,
                         "sign_p": math.nan, "resolved": False}  # fmt: skip
        arm = r["arm"] + (" (fits)" if r["fits_scale"] else "")
        if "right_shape" in r:
            arm += f" (right shape {sum(r['right_shape'])}/{len(r['right_shape'])})"
        lines.append(
            f"| {r['scale']} ({r['distance']}) | {arm} | {' or '.join(','.join(map(str, w)) for w in r['widths'])} | "
            f"{100 * r['mean']:.1f} ± {100 * r['sd']:.1f} | {r['versus']} | "
            f"{100 * g['mean']:+.1f} [{100 * g['ci_low']:+.1f}, {100 * g['ci_high']:+.1f}] | "
            f"{g['wins']}/{g['losses']} | {g['sign_p']:.3f} | {'yes' if g['resolved'] else 'no'} |"
        )
    return head + "\n".join(lines) + "\n"


def _figure(rows: Sequence[dict[str, Any]], path: Path) -> None:
    scales = list(dict.fromkeys(r["scale"] for r in rows))
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    fig = new_figure(figsize=(7.0, 3.6))
    ax = fig.subplots()
    width = 0.8 / max(1, len(arms))
    for k, arm in enumerate(arms):
        xs, ys, es = [], [], []
        for i, scale in enumerate(scales):
            row = next((r for r in rows if r["scale"] == scale and r["arm"] == arm), None)
            if row is not None:
                xs.append(i + (k - (len(arms) - 1) / 2) * width)
                ys.append(100 * row["mean"])
                es.append(100 * row["sd"] if not math.isnan(row["sd"]) else 0.0)
        ax.bar(xs, ys, width, yerr=es, capsize=2, label=arm.replace("_", "-"))
    ax.set_xticks(
        range(len(scales)), [f"{s} (d={next(r['distance'] for r in rows if r['scale'] == s)})" for s in scales]
    )
    ax.set_ylabel("test accuracy (%), mean ± sd")
    ax.set_ylim(0, 105)
    ax.axhline(50, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=7, ncol=len(arms), loc="lower center")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def _profiles(records: Sequence[dict[str, Any]], path: Path) -> None:
    """Mean data entanglement per pooling level, one line per scale (from the designed cells' profiles)."""
    fig = new_figure(figsize=(5.5, 3.6))
    ax = fig.subplots()
    for scale in dict.fromkeys(r["scale"] for r in records):
        at = [r for r in records if r["scale"] == scale and "level_entropy" in r]
        by_seed = {r["seed"]: r for r in at}  # one profile per seed (every design method measures the same data)
        ents = np.array([r["level_entropy"] for r in by_seed.values()])
        sides = at[0]["level_sides"]
        ax.errorbar(sides, ents.mean(axis=0), yerr=ents.std(axis=0), marker="o", capsize=3,
                    label=f"{scale} (d={at[0]['distance']})")  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlabel("block side of the pooling level")
    ax.set_ylabel("entanglement (nats), mean ± sd")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def summarize(out_dir: str | Path, records: Sequence[dict[str, Any]], n_positions: int) -> list[dict[str, Any]]:
    """Write ``table.md``, ``results.csv``, ``summary.json`` and ``accuracy.png`` into ``out_dir``; return the rows.

    With designed cells, ``profiles.png`` shows the data-entanglement profile of each scale too.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> arms = (("wide_base", 1.0), ("uniform", 0.8))
    >>> recs = [{"scale": "short", "distance": 2, "arm": arm, "seed": s, "test_accuracy": acc, "train_accuracy": acc,
    ...          "widths": [4, 2, 2], "n_params": 40} for s in range(2) for arm, acc in arms]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     rows = summarize(out, recs, 8)
    ...     names = sorted(p.name for p in pathlib.Path(out).iterdir())
    >>> names, [(r["arm"], r["mean"]) for r in rows]
    (['accuracy.png', 'results.csv', 'summary.json', 'table.md'], [('wide_base', 1.0), ('uniform', 0.8)])
    """
    out = Path(out_dir)
    rows = summary_rows(records, n_positions)
    (out / "table.md").write_text(_table(rows))
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    with (out / "results.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["scale", "distance", "arm", "seed", "widths", "n_params", "test_accuracy", "train_accuracy"])
        for r in sorted(records, key=lambda r: (r["distance"], ARMS.index(r["arm"]), arm_label(r), r["seed"])):
            writer.writerow([r["scale"], r["distance"], arm_label(r), r["seed"], " ".join(map(str, r["widths"])),
                             r["n_params"], r["test_accuracy"], r["train_accuracy"]])  # fmt: skip
    if rows:
        _figure(rows, out / "accuracy.png")
    if any("level_entropy" in r for r in records):
        _profiles([r for r in records if "level_entropy" in r], out / "profiles.png")
    return rows
