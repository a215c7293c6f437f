"""Cost of one sampled SR step on TFIM 6x6, Γ = 3: the core-hour estimate of docs/wavefunction.

Usage (``nice -n 15``, ``OMP_NUM_THREADS=1``)::

    python scripts/wavefunction_step_cost.py                  # Metropolis, both ansätze
    python scripts/wavefunction_step_cost.py --sampler both   # and exact tree samples (weighted when symmetrised)
    python scripts/wavefunction_step_cost.py --sampler both --symmetry translation_spin_flip

Channels 16,32 with windows 3x3, 2x2 (3 232 parameters, minSR: parameters outnumber samples),
signed weights; unsymmetrised with 1 024 samples (3 steps), symmetrised over the 72 translations
and spin flips with 256 samples (2 steps). One JSON line per ansatz (the optimiser's seconds per
step) to ``docs/results/wavefunction/step_cost_6x6.jsonl``, written as each finishes; rows name their
``"sampler"`` (the first rows, without it, are Metropolis), and since the path updates their
``"commit"`` and the one-minute load average (rows without a commit predate them).
``--sampler both`` times the two samplers one after the other in one process, so that their
ratio is measured under the same load.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import time
from pathlib import Path

import torch

from convac.wavefunction import ConvACWaveFunction, architecture_for, optimize, tfim

OUT = Path("docs/results/wavefunction/step_cost_6x6.jsonl")
COMMIT = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    """Time a few sampled SR steps of each ansatz and append one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sampler", choices=["metropolis", "exact", "both"], default="metropolis")
    parser.add_argument("--symmetry", choices=["none", "translation_spin_flip", "both"], default="both")
    args = parser.parse_args()
    samplers = ["metropolis", "exact"] if args.sampler == "both" else [args.sampler]
    torch.set_num_threads(1)
    H = tfim((6, 6), field=3.0)
    cases = [(sym, c, p, n) for sym, c, p, n in (("none", 64, 16, 3), ("translation_spin_flip", 32, 8, 2))
             if args.symmetry in ("both", sym)]  # fmt: skip
    for (symmetry, chains, per, steps), sampler in itertools.product(cases, samplers):
        arch = architecture_for((6, 6), [16, 32], windows=[(3, 3), (2, 2)])
        psi = ConvACWaveFunction(arch, weights="signed", seed=0, symmetry=symmetry)
        tic = time.perf_counter()
        res = optimize(
            psi, H, full_sum=False, optimizer="sr", steps=steps, lr=0.05, n_chains=chains, n_per_chain=per, seed=0,
            threads=1, sampler=sampler,
        )  # fmt: skip
        row = {
            "symmetry": symmetry,
            "n_params": arch.n_params,
            "samples": chains * per,
            "step_seconds": [r["seconds"] for r in res.history],
            "total": time.perf_counter() - tic,
            "energy": res.history[-1]["energy"],
            "acceptance": res.history[-1]["acceptance"],
        }
        row["sampler"] = sampler
        row["commit"] = COMMIT
        row["load"] = os.getloadavg()[0]
        if sampler == "exact":
            row["effective_samples"] = res.history[-1].get("effective_samples", chains * per)
        with OUT.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
