"""Time and peak memory of one exact data_entanglement call (left/right halves), y = None.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_data_entanglement.py N n [repeats]
Random data in [0, 1] is the worst case (full-rank Gram matrices). Wall time and CPU time are
both printed: on a shared machine the CPU time is what the computation costs on one core.
"""

import resource
import sys
import time

import numpy as np

import convac


def main() -> None:
    n_features, n_samples = int(sys.argv[1]), int(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    X = np.random.default_rng(0).random((n_samples, n_features))
    part = convac.Partition.left_right(n_features)
    walls, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        d = convac.data_entanglement(X, partition=part)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"N={n_features} n={n_samples}: wall min {min(walls):.1f} s / median {np.median(walls):.1f} s, "
        f"CPU min {min(cpus):.1f} s / median {np.median(cpus):.1f} s over {repeats}; "
        f"entropy {d.entropy:.4f} (ln n = {np.log(n_samples):.4f}); peak RSS {peak:.2f} GiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
