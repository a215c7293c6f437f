"""Min-cut benchmark: the exact tree DP vs networkx vs scipy max-flow on the same graphs.

Run from the repository root (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_mincut.py            # full table
    PYTHONPATH=src python benchmarks/bench_mincut.py --quick    # small sizes only

"tree" is the public call ``convac.min_cut(arch, partition)`` (exact value, node sides; edges are
listed lazily), median of 7 runs with the architecture's graph cached; "tree (cold)" is the first
call with the cache cleared. "networkx" and "scipy" time the raw solvers of
:mod:`convac.mincut._flow` on the same graph: building the directed flow graph, max-flow and the
source side of the cut, but not the exact-value step that ``min_cut(..., method=...)`` adds (for
values above 2^52 that step runs the tree). Median of 3 runs, or one run when it takes > 0.5 s.
A flow solver is skipped for the larger graphs of a family (1D, 2D) after a call slower than
``--flow-limit`` seconds.
The last part times all 2^15 partitions of a 16-input network with ``min_cut_values`` against a
loop of single calls and networkx (both extrapolated from a sample).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from convac import Architecture, Partition, min_cut, min_cut_values
from convac.mincut import _flow as flow
from convac.mincut._graph import CutGraph, _graph_of

PRIMES = [2, 3, 5, 7, 11, 13]


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "skipped"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a: float | None, b: float) -> str:
    return "-" if a is None else f"{a / b:.0f}x"


def graphs(quick: bool) -> list[tuple[str, Architecture]]:
    rng = np.random.default_rng(0)
    out = []
    for depth in (4, 8, 10, 12) if quick else (4, 8, 10, 12, 14, 16):
        ch = [int(c) for c in rng.choice(PRIMES, size=depth)]
        out.append((f"1D N=2^{depth}", Architecture.deep_1d(2**depth, 2, ch)))
    for depth in (2, 3, 4) if quick else (2, 3, 4, 5, 6):
        ch = [int(c) for c in rng.choice(PRIMES, size=depth)]
        side = 2**depth
        out.append((f"2D {side}x{side}", Architecture.deep_2d(side, side, 2, ch)))
    return out


def bench_sizes(quick: bool, flow_limit: float) -> None:
    print("## single partitions\n")
    print("| graph | partition | log2 min-cut | tree (cold) | tree | networkx | scipy ", end="")
    print("| networkx/tree | scipy/tree |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    slow: set[tuple[str, str]] = set()
    solvers = {"networkx": flow.networkx_flow, "scipy": flow.scipy_flow}
    for name, arch in graphs(quick):
        family = name.split()[0]
        for part in (Partition.left_right(arch), Partition.interleaved(arch), Partition.random(arch, seed=1)):
            _graph_of.cache_clear()  # cold: includes building the graph of the architecture
            t0 = time.perf_counter()
            cut = min_cut(arch, part)
            cold = time.perf_counter() - t0
            tree = timed(lambda a=arch, p=part: min_cut(a, p), 7)
            graph, mask = CutGraph.from_arch(arch), part.mask
            flows: dict[str, float | None] = {}
            for method, solver in solvers.items():
                if (family, method) in slow:
                    flows[method] = None
                    continue
                t0 = time.perf_counter()
                res = solver(graph, mask)
                first = time.perf_counter() - t0
                flows[method] = first if first > 0.5 else timed(lambda s=solver, g=graph, m=mask: s(g, m), 3)
                assert abs(res.log2 - cut.log2) <= res.error + 1e-9, (name, method)
                if first > flow_limit:
                    slow.add((family, method))
            nx_t, sp_t = flows["networkx"], flows["scipy"]
            print(
                f"| {name} | {part.name} | {cut.log2:.1f} | {fmt(cold)} | {fmt(tree)} | {fmt(nx_t)} "
                f"| {fmt(sp_t)} | {ratio(nx_t, tree)} | {ratio(sp_t, tree)} |"
            )
            sys.stdout.flush()


def bench_all_partitions() -> None:
    arch = Architecture.deep_1d(16, 2, [3, 5, 7, 11])
    codes = np.arange(2**15)
    masks = np.ones((2**15, 16), dtype=bool)  # input 0 on side A: every partition once
    masks[:, 1:] = (codes[:, None] >> np.arange(15)) & 1
    t0 = time.perf_counter()
    values = min_cut_values(arch, masks)
    batch = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    sample = rng.choice(2**15 - 1, size=300, replace=False)
    parts = [Partition.from_mask(masks[i]) for i in sample]
    t0 = time.perf_counter()
    for i, p in zip(sample, parts, strict=True):
        assert min_cut(arch, p).value == values[i]
    single = (time.perf_counter() - t0) / len(sample) * 2**15
    t0 = time.perf_counter()
    for p in parts[:100]:
        min_cut(arch, p, method="networkx")
    nx_all = (time.perf_counter() - t0) / 100 * 2**15
    print("\n## all 2^15 partitions of a 16-input 1D network (M=2, channels [3, 5, 7, 11])\n")
    print("| method | time for 2^15 partitions | ratio to batch |")
    print("|---|---:|---:|")
    print(f"| min_cut_values (batched tree) | {fmt(batch)} | 1x |")
    print(f"| min_cut loop, tree (extrapolated from 300) | {fmt(single)} | {single / batch:.0f}x |")
    print(f"| min_cut loop, networkx (extrapolated from 100) | {fmt(nx_all)} | {nx_all / batch:.0f}x |")
    print(f"\nmax min-cut over all partitions: {max(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument(
        "--flow-limit",
        type=float,
        default=20.0,
        help="skip larger sizes of a flow method after one call this slow (s)",
    )
    args = parser.parse_args()
    bench_sizes(args.quick, args.flow_limit)
    bench_all_partitions()


if __name__ == "__main__":
    main()
