"""Why no budget lets one hand-made arm of the scale-task study win alone: every arm's canonical min-cuts.

For every common budget :func:`~convac.experiments.scale_tasks.arms.equal_budget_widths` gives the
four hand-made arms (targets 60, 64, ..., 420 weights; 16 positions, ``M = n_types + 1 = 4``), this
computes each arm's exact min-cut at the canonical blocks of side 1, 2, 4, 8
(:func:`~convac.experiments.scale_tasks.arms.canonical_cut_capacities`) and asks whether the flat
arm's cuts are at least every other arm's at every side. A task whose label needs ``k`` states
of a side-``t`` block needs a cut of ``k`` there; where the flat arm's cuts dominate, it can hold
whatever any peaked arm can hold at the theorem's level, so no task of that kind is fit by the
peaked arm alone. Writes ``--out/cut_capacity.md``; seconds, no training.

    PYTHONPATH=src python scripts/scale_tasks_cut_capacity.py --out docs/results/scale_tasks
"""

from __future__ import annotations

import argparse
from pathlib import Path

from convac.experiments.scale_tasks.arms import (
    HAND_MADE,
    canonical_cut_capacities,
    equal_budget_widths,
    hand_made_shape,
)

N_POSITIONS = 16
N_FEATURES = 4
SHOWN = (116, 160)


def arms_at(target: int) -> tuple[int, dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Return the common budget near ``target``, each arm's widths and its canonical cuts (sides 1, 2, 4, 8)."""
    shapes = {arm: hand_made_shape(arm, 3) for arm in HAND_MADE}
    budget, widths = equal_budget_widths(shapes, target, N_FEATURES)
    cuts = {arm: canonical_cut_capacities(w, N_POSITIONS, N_FEATURES) for arm, w in widths.items()}
    return budget, widths, cuts


def dominated_by_uniform(cuts: dict[str, tuple[int, ...]]) -> list[str]:
    """Return the peaked arms whose every canonical cut is at most the flat arm's."""
    flat = cuts["uniform"]
    return [arm for arm in HAND_MADE if arm != "uniform" and all(c <= u for c, u in zip(cuts[arm], flat, strict=True))]


def report(targets: range) -> str:
    """Markdown: the study's two budgets arm by arm, then the sweep's count per arm."""
    lines = [
        f"Canonical min-cuts (block of side 1, 2, 4, 8 against the rest), {N_POSITIONS} positions, M = {N_FEATURES}; "
        "`PYTHONPATH=src python scripts/scale_tasks_cut_capacity.py --out docs/results/scale_tasks`.",
        "",
        "| budget | arm | widths | cuts at side 1, 2, 4, 8 | every cut ≤ uniform's |",
        "|---:|---|---|---|---|",
    ]
    for target in SHOWN:
        budget, widths, cuts = arms_at(target)
        below = dominated_by_uniform(cuts)
        for arm in HAND_MADE:
            mark = "–" if arm == "uniform" else ("yes" if arm in below else "**no**")
            lines.append(
                f"| {budget} | {arm} | {','.join(map(str, widths[arm]))} | {','.join(map(str, cuts[arm]))} | {mark} |"
            )
    budgets: dict[int, list[str]] = {}
    for target in targets:
        budget, _, cuts = arms_at(target)
        budgets[budget] = dominated_by_uniform(cuts)
    lines += [
        "",
        f"Sweep: targets {targets.start}..{targets.stop - 1} step {targets.step}, "
        f"{len(budgets)} distinct common budgets ({min(budgets)}..{max(budgets)}).",
        "",
        "| arm | budgets where every cut ≤ uniform's |",
        "|---|---|",
    ]
    for arm in HAND_MADE:
        if arm != "uniform":
            lines.append(f"| {arm} | {sum(arm in below for below in budgets.values())} of {len(budgets)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--low", type=int, default=60)
    p.add_argument("--high", type=int, default=420)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = report(range(args.low, args.high + 1, 4))
    (out / "cut_capacity.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
