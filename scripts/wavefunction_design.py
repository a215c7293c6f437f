"""Equal-parameter design comparison for docs/wavefunction: wide-base vs wide-tip vs designed.

Usage (``nice -n 19``, ``OMP_NUM_THREADS=1``)::

    python scripts/wavefunction_design.py tfim16 BUDGET STEPS SEEDS [MAX_WIDTH [FIRST_SEED]]
    python scripts/wavefunction_design.py heis44 BUDGET STEPS SEEDS [MAX_WIDTH [FIRST_SEED]]
    python scripts/wavefunction_design.py --spend proportional tfim16 BUDGET STEPS SEEDS [...]

``--spend RULE`` trains only the designed arm, designed with that spend rule, and logs it as the arm
``designed_RULE`` in the same file (the hand-made arms it is paired with are already there).

Every network has signed weights and is trained by SR on exact full sums; the designed arm is
the feasible design (``convac.wavefunction.design_from_state``: ``ln c_l >= S_l + margin`` at every
canonical level of the pooling tree, the exact state's entropies, exactly the common count). Both
lattices use the canonical tree (2 per layer on the chain, 2x2 on 4x4; on 4x4 there are only two
widths, so the design is necessarily one of the monotone shapes or constant). Appends one JSON line
per trained network to ``docs/results/wavefunction/feasible_design_NAME.jsonl``; ``--summary NAME``
prints each arm's mean ± sd and the paired gaps (:func:`paired_gaps`) of that file and writes them
as a markdown table next to it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from convac.wavefunction import compare_designs, heisenberg, tfim

RESULTS = Path("docs/results/wavefunction")


# the committed comparison designed its arm with the "entanglement" spend rule (equal log-slack), the
# default when it ran; the default is now "proportional", which designs 6,4,5,11 on the chain (4,7,6,5
# here) and the same 12,10 on 4x4: kept so the committed numbers reproduce
SPEND = "entanglement"


def main(
    name: str, budget: int, steps: int, seeds: int, max_width: int = 16, first_seed: int = 0, spend: str = SPEND
) -> None:
    """Run the comparison ``name`` (tfim16 or heis44) and log every network as it finishes."""
    if name == "tfim16":
        H, options = tfim((16,), field=1.0), {"lr": 0.3}
    else:  # lr 0.3 was unstable on the antiferromagnet (8 spins: 5.5e-2 after 60 steps, 0.1: 8.9e-5)
        H, options = heisenberg((4, 4), marshall=True), {"magnetization": 0, "lr": 0.1}
    path = RESULTS / f"feasible_design_{name}.jsonl"

    def log(row: dict) -> None:
        if spend != SPEND:
            row = {**row, "arm": f"designed_{spend}"}
        with open(path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(row, flush=True)

    compare_designs(
        H,
        budget,
        seeds=tuple(range(first_seed, first_seed + seeds)),
        max_width=max_width,
        design_options={"spend": spend},
        arms=("wide_base", "wide_tip", "designed") if spend == SPEND else ("designed",),
        log=log,
        steps=steps,
        optimizer="sr",
        cg_steps=20,
        threads=1,
        **options,
    )


def paired_gaps(rows: list[dict], other: str, arm: str = "designed") -> dict:
    """``log10 rel.err(arm) - log10 rel.err(other)`` per seed: mean, sd, 95% t interval (< 0: ``arm`` wins)."""
    by = {(r["arm"], r["seed"]): r["log10_relative_error"] for r in rows}
    same = {tuple(r["channels"]) for r in rows if r["arm"] == arm} == {
        tuple(r["channels"]) for r in rows if r["arm"] == other
    }
    seeds = sorted(s for a, s in by if a == arm and (other, s) in by)
    gaps = np.array([by[(arm, s)] - by[(other, s)] for s in seeds])
    sd = float(gaps.std(ddof=1)) if gaps.size > 1 else math.nan
    half = float(stats.t.ppf(0.975, gaps.size - 1) * sd / math.sqrt(gaps.size)) if gaps.size > 1 else math.nan
    mean = float(gaps.mean())
    return {
        "arm": arm,
        "vs": other,
        "same_network": same,
        "n": int(gaps.size),
        "mean": mean,
        "sd": sd,
        "ci95": (mean - half, mean + half),
        "designed_wins": int((gaps < 0).sum()),
    }


def summary(name: str) -> None:
    """Print and write (``feasible_design_NAME.md``) each arm's errors and the paired gaps of ``NAME``'s file."""
    rows = [json.loads(line) for line in (RESULTS / f"feasible_design_{name}.jsonl").read_text().splitlines()]
    lines = [
        "| arm | channels | params | seeds | rel. error per seed | log10 rel. error, mean ± sd | minutes per run |",
        "|---|---|---|---|---|---|---|",
    ]
    arms = [
        "wide_base",
        "wide_tip",
        "designed",
        *sorted({r["arm"] for r in rows} - {"wide_base", "wide_tip", "designed"}),
    ]
    for arm in arms:
        mine = sorted((r for r in rows if r["arm"] == arm), key=lambda r: r["seed"])
        values = [r["log10_relative_error"] for r in mine]
        sd = np.std(values, ddof=1) if len(values) > 1 else math.nan
        errors = ", ".join(f"{r['relative_error']:.2e}" for r in mine)
        minutes = np.mean([r["seconds"] for r in mine]) / 60
        lines.append(
            f"| {arm} | {','.join(map(str, mine[0]['channels']))} | {mine[0]['n_params']} | "
            f"{','.join(str(r['seed']) for r in mine)} | {errors} | {np.mean(values):.3f} ± {sd:.3f} | {minutes:.1f} |"
        )
    lines += [
        "",
        "| designed arm | vs | same network | paired log10 gap, mean ± sd | 95% CI | designed better in |",
        "|---|---|---|---|---|---|",
    ]
    for arm in arms[2:]:
        for other in ("wide_base", "wide_tip"):
            g = paired_gaps(rows, other, arm)
            lines.append(
                f"| {arm} | {other} | {g['same_network']} | {g['mean']:.3f} ± {g['sd']:.3f} | "
                f"[{g['ci95'][0]:.3f}, {g['ci95'][1]:.3f}] | {g['designed_wins']} of {g['n']} seeds |"
            )
    text = "\n".join(lines) + "\n"
    (RESULTS / f"feasible_design_{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        args = sys.argv[1:]
        spend = SPEND
        if args[0] == "--spend":
            spend, args = args[1], args[2:]
        main(args[0], *(int(v) for v in args[1:]), spend=spend)
