"""Benchmark: the Gram route's last stage at min-cut 4096, new (Cholesky + dsygst) vs old (pivoted) vs one eigvalsh.

Issue 24, item 5: entanglement at min-cut 4096 on one thread took 9.2-9.6 s warm for channels 4,
about 36 % of it one 4096 x 4096 ``eigvalsh``; the goal is under 2x that eigensolve. Compared in one
process, one thread, warm repeats taken round-robin:

- **new**: ``convac.entanglement(model, part, method="network", solver="eigh")`` (the fixed side's
  Cholesky factor ``L`` once, ``Lᵀ G L`` by LAPACK ``dsygst``, the eigensolver on its lower triangle);
- **old**: the same with ``reduction="pivoted"`` (pivoted Cholesky factors of both sides, ``K = R_fᵀ R_m``,
  ``K Kᵀ``, a symmetrised copy), the route before;
- **eigvalsh**: one ``eigvalsh`` of a symmetric 4096 x 4096 matrix by the same solver (torch's LAPACK).

The cases are those of benchmarks/bench_entanglement_paths.py (``big_case``). Both routes must give
the same Schmidt values (rtol 1e-8 on values above 1e-4 of the largest). Run from the repository root:

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=src nice -n 10 python benchmarks/bench_entanglement_eigh.py
        [--cases 1d-ch4 2d-ch4] [--repeats 2] [--out docs/results/netpath/bench_entanglement_eigh.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import convac
from convac.schmidt import _core
from convac.schmidt._network_gram import _eigvalsh, gram_singular_values

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_entanglement_paths import BIG, big_case

torch.set_num_threads(1)


def _route(model: object, part: convac.Partition, reduction: str) -> np.ndarray:
    tn = _core._as_network(model)
    ((s, _),) = gram_singular_values(tn, part, [0], reduction=reduction)
    return s / np.linalg.norm(s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["1d-ch4", "2d-ch4"], choices=BIG)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sym = np.random.default_rng(0).standard_normal((4096, 4096))
    sym = sym + sym.T
    lines = [
        "| case | new (entanglement) min / median s | old min / median s | one eigvalsh min / median s "
        "| old / new | new / eigvalsh | load |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for name in args.cases:
        arch, part = big_case(name)
        model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
        methods: dict[str, Callable[[], object]] = {
            "new": lambda: convac.entanglement(model, part, method="network", solver="eigh").schmidt_values,  # noqa: B023
            "old": lambda: _route(model, part, "pivoted"),  # noqa: B023
            "eigvalsh": lambda: _eigvalsh(sym),
        }
        new, old = np.asarray(methods["new"]()), np.asarray(methods["old"]())
        k = int((old > 1e-4 * old[0]).sum())
        if not np.allclose(new[:k], old[:k], rtol=1e-8):
            raise SystemExit(f"{name}: the two routes disagree")
        times: dict[str, list[float]] = {k: [] for k in methods}
        for _ in range(args.repeats):
            for key, f in methods.items():
                t = time.perf_counter()
                f()
                times[key].append(time.perf_counter() - t)
        med = {k: float(np.median(v)) for k, v in times.items()}
        cells = " | ".join(f"{min(times[k]):.2f} / {med[k]:.2f}" for k in methods)
        row = (
            f"| {name} (min-cut {convac.min_cut(arch, part).value}) | {cells} | {med['old'] / med['new']:.2f}× "
            f"| {med['new'] / med['eigvalsh']:.2f}× | {os.getloadavg()[0]:.1f} |"
        )
        lines.append(row)
        print(row, flush=True)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
