"""Diagnosis for docs/wavefunction: the cost of one SR step, and what the architecture can represent.

Usage (``nice -n 10``, ``OMP_NUM_THREADS=1``; ``PYTHONPATH=src`` from the repository root)::

    python scripts/wavefunction_diagnose.py [REPEATS]

For each system of the results table and its ansatz (with and without the translation + spin-flip
symmetrisation) it prints one JSON line: the parameter count, the time of one full-sum estimate
(energy + gradient) and of one product ``S v`` of the SR metric (min and median of ``REPEATS``
warm calls, default 3; an SR step costs one estimate plus ``cg_steps`` products), and per probe
partition the exact ground state's entropy and numerical Schmidt rank next to the network's
min-cut, its ``ln`` (the most entropy the network can hold) and the symmetrised ansatz's rank bound.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time

import torch

from convac._threads import thread_limit
from convac.mincut import min_cut
from convac.wavefunction import (
    ConvACWaveFunction,
    FullSum,
    architecture_for,
    ground_state,
    heisenberg,
    standard_partitions,
    state_entanglement,
    tfim,
)
from convac.wavefunction._symmetry import symmetric_rank_bound

SYSTEMS = {
    "tfim16": (lambda: tfim((16,)), (4, 16, 16, 16), None),
    "tfim16_sym": (lambda: tfim((16,)), (4, 8, 8, 8), None),
    "heis44": (lambda: heisenberg((4, 4), marshall=True), (16, 32), 0),
    "heis44_sym": (lambda: heisenberg((4, 4), marshall=True), (8, 16), 0),
    "tfim44": (lambda: tfim((4, 4), field=3.0), (16, 16), None),
}


def _timed(call, repeats: int) -> tuple[float, float]:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        call()
        times.append(time.perf_counter() - tic)
    return min(times), statistics.median(times)


def diagnose(name: str, repeats: int) -> dict:
    """One system's line (see the module docstring)."""
    make, channels, magnetization = SYSTEMS[name]
    H = make()
    symmetry = "translation_spin_flip" if name.endswith("_sym") else "none"
    arch = architecture_for(H.shape, channels)
    psi = ConvACWaveFunction(arch, weights="signed", seed=1, symmetry=symmetry)
    full = FullSum(psi, H, magnetization)
    est = full.estimate(with_sr=True)
    operator = est.sr_operator
    if operator is None:
        raise SystemExit("full-sum SR estimate without a metric operator")
    v = torch.randn(psi.n_params, dtype=torch.float64)
    estimate_t = _timed(lambda: full.estimate(with_sr=True), repeats)
    product_t = _timed(lambda: operator(v), repeats)
    _, state = ground_state(H, magnetization)
    rows = []
    for label, part in standard_partitions(H.shape).items():
        exact = state_entanglement(state, part)
        cut = int(min_cut(arch, part).value)
        bound = symmetric_rank_bound(arch, part, psi.group_perms.numpy()) if symmetry != "none" else cut
        rows.append(
            {
                "partition": label,
                "exact_entropy": round(exact.entropy, 4),
                "exact_rank": exact.schmidt_rank,
                "min_cut": cut,
                "ln_min_cut": round(math.log(cut), 4),
                "rank_bound": bound,
            }
        )
    return {
        "system": name,
        "channels": list(channels),
        "symmetry": symmetry,
        "n_params": psi.n_params,
        "estimate_s_min_median": [round(t, 4) for t in estimate_t],
        "sv_s_min_median": [round(t, 4) for t in product_t],
        "partitions": rows,
    }


def main(argv: list[str]) -> None:
    """Print one JSON line per system."""
    repeats = int(argv[0]) if argv else 3
    with thread_limit(1):
        for name in SYSTEMS:
            print(json.dumps(diagnose(name, repeats)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
