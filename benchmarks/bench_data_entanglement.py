"""Time and peak memory of one exact data_entanglement call (left/right halves), y = None; new route vs old.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_data_entanglement.py N n [repeats]
Random data in [0, 1] is the worst case (full-rank Gram matrices). Wall time and CPU time are
both printed: on a shared machine the CPU time is what the computation costs on one core.

Each repeat times, round-robin in one process: **new**, ``convac.data_entanglement`` (symmetric
block Gram builder, ``G_A = L Lᵀ`` by Cholesky, ``Lᵀ Y G_B Y L`` by LAPACK ``dsygst``, one
``eigvalsh``), and **old**, the same spectrum by the route before (``reference=True``: Grams row by
row, an ``eigh`` square root of ``G_A`` and two general products). Both must agree (rtol 1e-8 on
the squared Schmidt values above 1e-6 of the largest). The peak RSS printed is the process's,
i.e. the larger of the two.
"""

import resource
import sys
import time

import numpy as np

import convac
from convac.datatensor._gram import feature_map, squared_schmidt_values


def main() -> None:
    n_features, n_samples = int(sys.argv[1]), int(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    X = np.random.default_rng(0).random((n_samples, n_features))
    part = convac.Partition.left_right(n_features)
    u, v = feature_map(X, 1.0)
    ones = [np.ones(n_samples)]

    def new() -> np.ndarray:
        d = convac.data_entanglement(X, partition=part)
        return np.asarray(d.schmidt_values)

    def old() -> np.ndarray:
        (lam2,) = squared_schmidt_values(u, v, part.side_a, part.side_b, ones, reference=True)
        lam = np.sqrt(np.clip(lam2, 0, None))
        return lam / np.linalg.norm(lam)

    walls: dict[str, list[float]] = {"new": [], "old": []}
    cpus: dict[str, list[float]] = {"new": [], "old": []}
    values = {}
    for _ in range(repeats):
        for name, f in (("new", new), ("old", old)):
            t, c = time.perf_counter(), time.process_time()
            values[name] = f()
            walls[name].append(time.perf_counter() - t)
            cpus[name].append(time.process_time() - c)
            print(f"  {name}: wall {walls[name][-1]:.1f} s, CPU {cpus[name][-1]:.1f} s", flush=True)
    a, b = values["new"] ** 2, values["old"] ** 2
    k = int((b > 1e-6 * b[0]).sum())
    if not np.allclose(a[:k], b[:k], rtol=1e-8):
        raise SystemExit("new and old routes disagree")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for name in ("new", "old"):
        print(
            f"{name}: N={n_features} n={n_samples}: wall min {min(walls[name]):.1f} s / median "
            f"{np.median(walls[name]):.1f} s, CPU min {min(cpus[name]):.1f} s / median {np.median(cpus[name]):.1f} s "
            f"over {repeats}",
            flush=True,
        )
    print(
        f"old / new CPU: median {np.median(cpus['old']) / np.median(cpus['new']):.2f}x, "
        f"min {min(cpus['old']) / min(cpus['new']):.2f}x; peak RSS {peak:.2f} GiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
