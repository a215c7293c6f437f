"""Equal-parameter design comparison for docs/wavefunction: wide-base vs wide-tip vs designed.

Usage (``nice -n 19``, ``OMP_NUM_THREADS=1``)::

    python scripts/wavefunction_design.py tfim16 BUDGET STEPS SEEDS [MAX_WIDTH [FIRST_SEED]]
    python scripts/wavefunction_design.py heis44 BUDGET STEPS SEEDS [MAX_WIDTH [FIRST_SEED]]

Every network has signed weights and is trained by SR on exact full sums. The 4x4 lattice uses
the four-layer schedule 1x2, 2x1, 1x2, 2x1 (two 2x2 layers leave only two widths, too little room
for three distinct arms at one parameter count). Appends one JSON line per trained network to
``runs/wavefunction/design_NAME.jsonl``; ``--summary`` prints the paired gaps
(:func:`paired_gaps`) of a finished file instead.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from convac.wavefunction import compare_designs, heisenberg, tfim

WINDOWS_4X4 = [(1, 2), (2, 1), (1, 2), (2, 1)]


def main(name: str, budget: int, steps: int, seeds: int, max_width: int = 16, first_seed: int = 0) -> None:
    """Run the comparison ``name`` (tfim16 or heis44) and log every network as it finishes."""
    if name == "tfim16":
        H, options = tfim((16,), field=1.0), {"lr": 0.3}
    else:  # lr 0.3 was unstable on the antiferromagnet (8 spins: 5.5e-2 after 60 steps, 0.1: 8.9e-5)
        H, options = heisenberg((4, 4), marshall=True), {"magnetization": 0, "lr": 0.1, "windows": WINDOWS_4X4}
    path = f"runs/wavefunction/design_{name}.jsonl"

    def log(row: dict) -> None:
        with open(path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(row, flush=True)

    compare_designs(
        H,
        budget,
        seeds=tuple(range(first_seed, first_seed + seeds)),
        max_width=max_width,
        log=log,
        steps=steps,
        optimizer="sr",
        cg_steps=20,
        threads=1,
        **options,
    )


def paired_gaps(rows: list[dict], other: str) -> dict:
    """``log10 rel.err(designed) - log10 rel.err(other)`` per seed: mean, sd, 95% t interval (< 0: designed wins)."""
    by = {(r["arm"], r["seed"]): r["log10_relative_error"] for r in rows}
    seeds = sorted(s for a, s in by if a == "designed" and (other, s) in by)
    gaps = np.array([by[("designed", s)] - by[(other, s)] for s in seeds])
    sd = float(gaps.std(ddof=1)) if gaps.size > 1 else math.nan
    half = float(stats.t.ppf(0.975, gaps.size - 1) * sd / math.sqrt(gaps.size)) if gaps.size > 1 else math.nan
    mean = float(gaps.mean())
    return {
        "vs": other,
        "n": int(gaps.size),
        "mean": mean,
        "sd": sd,
        "ci95": (mean - half, mean + half),
        "designed_wins": int((gaps < 0).sum()),
    }


def summary(name: str) -> None:
    """Print each arm's log10 relative errors and the paired gaps of ``runs/wavefunction/design_NAME.jsonl``."""
    rows = [json.loads(line) for line in Path(f"runs/wavefunction/design_{name}.jsonl").read_text().splitlines()]
    for arm in ("wide_base", "wide_tip", "designed"):
        mine = [r for r in rows if r["arm"] == arm]
        values = [r["log10_relative_error"] for r in mine]
        print(
            arm,
            mine[0]["channels"],
            mine[0]["n_params"],
            "log10 rel.err",
            [round(v, 3) for v in values],
            f"mean {np.mean(values):.3f} sd {np.std(values, ddof=1):.3f}",
        )
    for other in ("wide_base", "wide_tip"):
        print(paired_gaps(rows, other))


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        main(*sys.argv[1:2], *(int(v) for v in sys.argv[2:]))
