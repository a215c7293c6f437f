"""Measure a trained run's ansatz from many independent tree samples, as it stands or re-symmetrised.

Usage (``OMP_NUM_THREADS=1``)::

    python scripts/wavefunction_evaluate.py NAME samples=16384 key=value ...

``NAME`` is a run folder under ``runs/wavefunction/`` (its ``checkpoint.pt``) or the path of a
``.pt`` checkpoint (e.g. one kept under ``docs/results/wavefunction/tfim66_direct/``); the keys are
:class:`convac.wavefunction.WavefunctionRun` fields as in ``scripts/wavefunction_measure.py``
(the Hamiltonian and the ansatz; ``symmetry=`` may differ from the run's, since the group sum
has no parameters of its own, so the same trained tree can be measured under another group).
``samples``, ``batch`` and ``seed`` go to :func:`convac.wavefunction.sampled_energy`. One JSON
line per call is appended to ``docs/results/wavefunction/evaluations.jsonl`` (the run, its step,
the symmetry, the estimate, the relative error against ``exact_energy`` when given, seconds and
the commit), and printed. Up to 20 spins the line also carries the exact energy of the same
ansatz by a full sum (``full_sum_energy``), against which the sampled one can be checked.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from wavefunction_measure import parse_options

from convac.wavefunction import (
    MAX_SPARSE_SITES,
    FullSum,
    WavefunctionRun,
    build_hamiltonian,
    load_wavefunction,
    sampled_energy,
)

OUT = Path("docs/results/wavefunction/evaluations.jsonl")


def main() -> None:
    """Load the checkpoint, measure, append one line."""
    name, pairs = sys.argv[1], sys.argv[2:]
    extra = {k: v for k, v in (p.split("=", 1) for p in pairs) if k in ("samples", "batch", "seed")}
    config = WavefunctionRun(**parse_options([p for p in pairs if p.split("=", 1)[0] not in extra]))
    torch.set_num_threads(config.threads or 1)
    H = build_hamiltonian(config)
    path = Path(name) if name.endswith(".pt") else Path("runs/wavefunction") / name / "checkpoint.pt"
    psi = load_wavefunction(path, config)  # checked against the config: lattice, windows, weights
    step = int(torch.load(path, weights_only=False)["step"])
    tic = time.perf_counter()
    estimate = sampled_energy(
        psi,
        H,
        int(extra.get("samples", 16384)),
        batch_size=int(extra.get("batch", 1024)),
        seed=int(extra.get("seed", 0)),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    row = {"run": name, "step": step, "symmetry": config.symmetry, **dataclasses.asdict(estimate)}
    if config.exact_energy is not None:
        row["relative_error"] = abs(estimate.energy - config.exact_energy) / abs(config.exact_energy)
    if H.n_sites <= MAX_SPARSE_SITES:
        row["full_sum_energy"] = FullSum(psi, H).estimate().energy
    row.update({"seconds": round(time.perf_counter() - tic, 1), "commit": commit})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
