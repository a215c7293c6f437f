"""Exact ranks mod p of the paper's matricizations: the old elimination, FLINT, and the float64 route.

    PYTHONPATH=src python benchmarks/bench_rank_flint.py [--channels 13,11,7,5] [--partitions 48]
        [--repeats 5] [--out docs/results/verify/bench_rank_flint.md]

Every route gets the same matrices: the 256 x 256 matricizations ``[A]`` of one deep 1D ConvAC
(N = 16, M = 2) for a seeded sample of balanced partitions, mod p = 4194301 (``FAST_PRIME``), and
must return ``min(rank, k)`` with ``k = min(min_cut + 1, 256)``, what ``convac verify`` needs:

- **old int64**: ``[A] R`` (``R`` uniform, 256 x k) eliminated by ``rank_mod``'s batched int64
  Gaussian elimination (the route before this change; with ``p = 2**31 - 1`` it is slower still);
- **flint full**: ``nmod_mat`` built from each 256 x 256 ``[A]`` (Python list), then FLINT's rank;
- **flint sketch**: ``S [A] T`` (k x k, our dgemm) converted to ``nmod_mat``, then FLINT's rank;
- **flint rank only**: FLINT's rank of the prebuilt 256 x 256 ``nmod_mat``s (conversion excluded:
  the library's kernel alone, not a usable route by itself);
- **float64 two-sided**: ``S [A] T`` by dgemm and a recursive LU without pivoting on BLAS
  (``_sketched_ranks``), with pivoting elimination for the rare undecided matrix;
- **float64 (final)**: the same, but a full-width sketch (``k = 256``) is taken on the right
  only, ``[A] T``, as ``generic_ranks`` does: one dgemm fewer per matrix.

CPU time of this process (one BLAS thread), per matrix: the first (cold) call apart, then the min
and median of ``--repeats`` warm calls. All routes must agree exactly. The markdown table is
written to ``--out`` and printed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import flint
import numpy as np
from threadpoolctl import threadpool_limits

import convac
from convac.ranks._finite_field import FAST_PRIME, _gemm_mod, _matmul, _rank, _sketched_ranks
from convac.ranks._generic_rank import _matricize, coefficient_tensor_mod


def _timed(fn: Callable[[], list[int]], repeats: int) -> tuple[list[int], float, list[float]]:
    start = time.process_time()
    result = fn()
    cold = time.process_time() - start
    warm = []
    for _ in range(repeats):
        start = time.process_time()
        again = fn()
        warm.append(time.process_time() - start)
        assert again == result
    return result, cold, warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", default="13,11,7,5")
    parser.add_argument("--partitions", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/results/verify/bench_rank_flint.md")
    args = parser.parse_args()
    threadpool_limits(1)
    p = FAST_PRIME
    channels = [int(c) for c in args.channels.split(",")]
    arch = convac.Architecture.deep_1d(16, 2, channels)
    all_parts = [(0, *rest) for rest in itertools.combinations(range(1, 16), 7)]
    rng = np.random.default_rng(args.seed)
    chosen = sorted(rng.choice(len(all_parts), size=min(args.partitions, len(all_parts)), replace=False))
    parts = [convac.Partition(16, all_parts[i]) for i in chosen]
    cuts = [int(c) for c in convac.min_cut_values(arch, np.array([q.mask for q in parts]))]
    widths = [min(c + 1, 256) for c in cuts]
    tensor = coefficient_tensor_mod(arch, seed=args.seed, prime=p)
    mats = [_matricize(tensor, q) for q in parts]  # int64 residues, 256 x 256
    left = rng.integers(0, p, (256, 256))
    right = rng.integers(0, p, (256, 256))
    by_width: dict[int, list[int]] = {}
    for i, k in enumerate(widths):
        by_width.setdefault(k, []).append(i)

    def grouped(rank_group: Callable[[np.ndarray, int], list[int]]) -> list[int]:
        out = [0] * len(mats)
        for k, members in by_width.items():
            for i, r in zip(members, rank_group(np.stack([mats[i] for i in members]), k), strict=True):
                out[i] = r
        return out

    def old(stack: np.ndarray, k: int) -> list[int]:
        return _rank(_matmul(stack, right[:, :k], p), p).tolist()

    def two_sided(stack: np.ndarray, k: int) -> list[int]:
        return _sketched_ranks(
            stack.astype(np.float64), left[:k].astype(np.float64), right[:, :k].astype(np.float64), p
        ).tolist()

    def final(stack: np.ndarray, k: int) -> list[int]:
        # As generic_ranks: a full-width (k = 256) square matrix is sketched on the right only.
        one_sided = k == stack.shape[1] == stack.shape[2]
        lhs = None if one_sided else left[:k].astype(np.float64)
        return _sketched_ranks(stack.astype(np.float64), lhs, right[:, :k].astype(np.float64), p).tolist()

    def flint_sketch(stack: np.ndarray, k: int) -> list[int]:
        # The same k x k sketch as the final route (our exact dgemm), handed to FLINT for the rank.
        s = _gemm_mod(
            left[:k].astype(np.float64), _gemm_mod(stack.astype(np.float64), right[:, :k].astype(np.float64), p), p
        )
        s = np.mod(s, p).astype(np.int64)
        return [flint.nmod_mat(k, k, x.ravel().tolist(), p).rank() for x in s]

    def flint_full() -> list[int]:
        return [
            min(flint.nmod_mat(256, 256, m.ravel().tolist(), p).rank(), k) for m, k in zip(mats, widths, strict=True)
        ]

    prebuilt = [flint.nmod_mat(256, 256, m.ravel().tolist(), p) for m in mats]

    def flint_rank_only() -> list[int]:
        return [min(x.rank(), k) for x, k in zip(prebuilt, widths, strict=True)]

    routes: dict[str, Callable[[], list[int]]] = {
        "old int64 (rank_mod of [A] R)": lambda: grouped(old),
        "flint full (build nmod_mat + rank)": flint_full,
        "flint sketch (S[A]T, build + rank)": lambda: grouped(flint_sketch),
        "flint rank only (prebuilt, no conversion)": flint_rank_only,
        "float64 two-sided S[A]T (before)": lambda: grouped(two_sided),
        "float64 final (_sketched_ranks)": lambda: grouped(final),
    }
    results = {}
    load_before = os.getloadavg()
    for name, fn in routes.items():
        results[name] = _timed(fn, args.repeats)
    load_after = os.getloadavg()
    answers = {name: r[0] for name, r in results.items()}
    reference = answers["flint full (build nmod_mat + rank)"]
    assert all(a == reference for a in answers.values()), "routes disagree"
    n = len(mats)
    final_median = statistics.median(results["float64 final (_sketched_ranks)"][2])
    lines = [
        f"Channels {channels}, N = 16, M = 2, {n} balanced partitions (seed {args.seed}), p = {p}; "
        f"min-cut median {int(np.median(cuts))}, max {max(cuts)}; rank < min-cut in "
        f"{sum(r < c for r, c in zip(reference, cuts, strict=True))} of them. CPU-ms per matrix, one BLAS thread; "
        f"{args.repeats} warm repeats. Load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        f"(2 cores, shared). python-flint {flint.__version__}, numpy {np.__version__}, {platform.python_version()}.",
        "",
        "| route | cold | warm min | warm median | median / final |",
        "|---|---|---|---|---|",
    ]
    for name, (_, cold, warm) in results.items():
        med = statistics.median(warm)
        lines.append(
            f"| {name} | {1000 * cold / n:.2f} | {1000 * min(warm) / n:.2f} | {1000 * med / n:.2f} | "
            f"{med / final_median:.2f}x |"
        )
    lines += [
        "",
        f"Command: `PYTHONPATH=src python benchmarks/bench_rank_flint.py --channels {args.channels} "
        f"--partitions {args.partitions} --repeats {args.repeats} --seed {args.seed}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
