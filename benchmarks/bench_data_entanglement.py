"""Time and peak memory of one exact data_entanglement call (left/right halves).

Run: OMP_NUM_THREADS=1 python benchmarks/bench_data_entanglement.py N n [repeats]
Random data in [0, 1] with integer labels is the worst case (no zero weights, full-rank Grams);
with labels the Gram matrices are shared by the classes, so this times 10 eigvalsh calls.
"""

import resource
import sys
import time

import numpy as np

import convac


def main() -> None:
    n_features, n_samples = int(sys.argv[1]), int(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = np.random.default_rng(0)
    X = rng.random((n_samples, n_features))
    part = convac.Partition.left_right(n_features)
    for y, label in [(None, "y=None"), (rng.integers(0, 10, n_samples), "10 labels")]:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            d = convac.data_entanglement(X, y, part)
            times.append(time.perf_counter() - t)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(
            f"N={n_features} n={n_samples} {label}: min {min(times):.1f} s, median {np.median(times):.1f} s "
            f"over {repeats}; entropy {d.entropy:.4f}; peak RSS so far {peak:.2f} GiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
