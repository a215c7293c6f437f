"""Per-rank time of generic_ranks on the paper's grid cell (N=16, M=2), three ways, same partitions.

    PYTHONPATH=src python benchmarks/bench_generic_rank.py [--partitions 200] [--channels 2,3,5,7]

- full:     exact elimination of every 256 x 256 matricization, batched (no cap);
- one-by-one: the same, one partition per call (no batching across partitions);
- sketched: min(rank, min_cut + 1) from the sketch [A] R, batched (what `convac verify` does).
All three must agree (the min-cut is never exceeded); the script checks it and prints ratios.

Then single public calls on rank-deficient matricizations (rank < rows, cols), before and after:
``generic_ranks(spec, [p])`` (no cap: the full elimination, what ``generic_rank`` did for a general
spec) against ``generic_rank(spec, p)`` (capped at min-cut + 1 for every spec, the min-cut included
in its time), min and median CPU-ms of ``--repeat`` warm calls, on a tree and two overlapping specs.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from threadpoolctl import threadpool_limits

import convac
from convac.ranks import generic_rank, generic_ranks
from convac.spec import ConvStep, GeneralArchitecture


def cpu_ms(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        runs.append(1000 * (time.process_time() - t))
    return min(runs), float(np.median(runs))


def single_calls(repeat: int) -> None:
    """One public call per rank-deficient matricization: uncapped (before) vs generic_rank (capped, after)."""
    tree = convac.Architecture.deep_1d(16, 2, [2, 3, 5, 7])
    overlap_a = GeneralArchitecture(
        grid=(14,), n_features=2, steps=[ConvStep(3, kernel=3), ConvStep(4, kernel=3), ConvStep(2, kernel=10)]
    )
    steps = [ConvStep(3, kernel=3, padding=1), ConvStep(3, kernel=2, stride=2), ConvStep(4, kernel=2, stride=2)]
    overlap_b = GeneralArchitecture(grid=(16,), n_features=2, steps=[*steps, ConvStep(2, kernel=4)])
    cases = [
        ("tree N=16 [2,3,5,7], blocks of 4", tree, convac.Partition(16, side_a=[0, 1, 2, 3, 8, 9, 10, 11])),
        ("overlapping N=14, left/right", overlap_a, convac.Partition.left_right(overlap_a)),
        ("overlapping N=16, blocks of 4", overlap_b, convac.Partition(16, side_a=[0, 1, 2, 3, 8, 9, 10, 11])),
        ("overlapping N=16, left/right", overlap_b, convac.Partition.left_right(overlap_b)),
    ]
    print("\n## single public calls on rank-deficient matricizations (CPU-ms, min / median)\n")
    print("| spec, partition | rows x cols | min-cut | rank | uncapped (before) | generic_rank (after) | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, spec, part in cases:
        m = spec.n_features
        rows, cols = m ** len(part.side_a), m ** len(part.side_b)
        cut = convac.min_cut(spec, part).value
        before = generic_ranks(spec, [part])[0]
        after = generic_rank(spec, part)
        assert before == after <= cut and after < min(rows, cols), name
        b, a = (
            cpu_ms(lambda s=spec, p=part: generic_ranks(s, [p]), repeat),
            cpu_ms(lambda s=spec, p=part: generic_rank(s, p), repeat),
        )
        times = f"{b[0]:.1f} / {b[1]:.1f} | {a[0]:.1f} / {a[1]:.1f} | {b[0] / a[0]:.2f}x"
        print(f"| {name} | {rows} x {cols} | {cut} | {after} | {times} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partitions", type=int, default=200)
    parser.add_argument("--channels", default="2,3,5,7")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prime", type=int, default=2**31 - 1)
    parser.add_argument("--repeat", type=int, default=7, help="warm calls per single-call row")
    args = parser.parse_args()
    threadpool_limits(1)  # one BLAS thread: per-rank CPU time, comparable across runs
    channels = [int(c) for c in args.channels.split(",")]
    arch = convac.Architecture.deep_1d(16, 2, channels)
    all_parts = [(0, *rest) for rest in itertools.combinations(range(1, 16), 7)]
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(all_parts), size=min(args.partitions, len(all_parts)), replace=False)
    parts = [convac.Partition(16, all_parts[i]) for i in chosen]
    masks = np.array([p.mask for p in parts])
    cuts = [int(c) for c in convac.min_cut_values(arch, masks)]

    timings = {}
    t = time.process_time()
    full = generic_ranks(arch, parts, seed=args.seed, prime=args.prime)
    timings["full (batched)"] = time.process_time() - t
    t = time.process_time()
    single = [generic_ranks(arch, [p], seed=args.seed, prime=args.prime)[0] for p in parts[:50]]
    timings["full (one by one)"] = (time.process_time() - t) * len(parts) / len(single)
    t = time.process_time()
    sketched = generic_ranks(arch, parts, seed=args.seed, prime=args.prime, cap=[c + 1 for c in cuts])
    timings["sketched, cap = min-cut + 1"] = time.process_time() - t

    assert single == full[: len(single)]
    assert sketched == [min(r, c + 1) for r, c in zip(full, cuts, strict=True)]
    assert all(r <= c for r, c in zip(full, cuts, strict=True))
    head = arch.summary().splitlines()[0]
    print(f"{head}; channels {channels}; {len(parts)} balanced partitions; p = {args.prime}")
    print(
        f"min-cut values: median {int(np.median(cuts))}, max {max(cuts)}; rank < min-cut in "
        f"{sum(r < c for r, c in zip(full, cuts, strict=True))} cases"
    )
    base = timings["sketched, cap = min-cut + 1"]
    for name, seconds in timings.items():
        print(f"{name:30s} {1000 * seconds / len(parts):7.2f} CPU-ms/rank   x{seconds / base:.2f} vs sketched")
    single_calls(args.repeat)


if __name__ == "__main__":
    main()
