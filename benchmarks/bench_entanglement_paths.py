"""Benchmark: the network path's two solvers vs the dense route vs quimb, and the min-cut 4096 cases.

Part 1 (the dense route fits): deep 1D and 2D ConvACs, M = 2, channels 2 and 4, seeded random
balanced partitions (including the issue's case: N = 16, channels 4, min-cut 256). Each method
gets a cold first call on a fresh model, then warm repeats taken round-robin (so load bursts hit
all methods alike); the table gives warm min and median and each method's ratio to the dense
route (median / dense median; below 1 is faster). ``method="auto"`` is timed too: it must never
be slower than dense.

Part 2 (min-cut D = 4096; no dense tensor exists): 1D 4096 inputs (channels 2: 12 alternating
blocks of 128 on side A; channels 4: 6 blocks) and 2D 64x64 (one 8x8 block in each of the first
12 / 6 16x16 blocks). Each case runs in its own process (so its peak RSS is its own): cold wall
and CPU time (``time.process_time``), warm repeats, and the planned peak. ``--old`` also times the
square-root/SVD route (``solver="svd"``, the route before the Gram route existed) where its size
estimate lets it run.

Every row carries the 1-minute load average (the machine is shared). ``--threads`` (default 1)
sets torch's and the BLAS threads of the D = 4096 processes (one call using both cores of this
machine, as a user's default torch would). Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entanglement_paths.py [--repeats 7] [--big-repeats 2] [--old]
        [--old-repeats 0] [--threads 1] [--out docs/results/netpath/bench_entanglement_paths.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import convac

torch.set_num_threads(1)


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _model(arch: convac.Architecture, seed: int = 0) -> convac.models.base.ConvACBase:
    return convac.DeepConvAC(arch, seed=seed, weights="signed").double()


def _balanced(arch: convac.Architecture, seed: int) -> convac.Partition:
    rng = np.random.default_rng(seed)
    n = arch.n_inputs
    return convac.Partition(n, side_a=sorted(rng.permutation(n)[: n // 2].tolist()))


def _quimb(model: object, part: convac.Partition) -> np.ndarray:
    q = convac.to_tensor_network(model).to_quimb(output=0)  # type: ignore[arg-type]
    t = q.contract(output_inds=[f"x{p}" for p in range(part.n_inputs)], optimize="greedy")
    return np.asarray(t.singular_values([f"x{p}" for p in part.side_a]))


def small_methods() -> dict[str, Callable[[object, convac.Partition], object]]:
    methods: dict[str, Callable[[object, convac.Partition], object]] = {
        "dense": lambda m, p: convac.entanglement(m, p, method="dense"),
        "auto": lambda m, p: convac.entanglement(m, p),
        "network (svd)": lambda m, p: convac.entanglement(m, p, method="network", solver="svd"),
        "network (eigh)": lambda m, p: convac.entanglement(m, p, method="network", solver="eigh"),
    }
    try:
        import quimb  # noqa: F401

        methods["quimb"] = _quimb
    except ImportError:
        pass
    return methods


def small_cases() -> list[tuple[str, convac.Architecture, int]]:
    cases = []
    for n, ch in [(8, 2), (8, 4), (16, 2), (16, 4)]:
        arch = convac.Architecture.deep_1d(n_inputs=n, n_features=2, channels=[ch] * (n.bit_length() - 1))
        for seed in (1, 2):
            cases.append((f"1D N={n}, ch {ch}", arch, seed))
    for ch in (2, 4):
        arch = convac.Architecture.deep_2d(4, 4, n_features=2, channels=[ch] * 2)
        cases.append((f"2D 4x4, ch {ch}", arch, 1))
    return cases


def part1(repeats: int) -> list[str]:
    methods = small_methods()
    names = list(methods)
    rows = [
        "| case (random balanced partition, seed) | min-cut | method | cold (ms) | warm min (ms) | warm median (ms) "
        "| median / dense median | load |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for label, arch, seed in small_cases():
        part = _balanced(arch, seed)
        d = convac.min_cut(arch, part).value
        cold = {}
        for name in names:
            fresh = _model(arch, seed)
            start = time.perf_counter()
            methods[name](fresh, part)
            cold[name] = time.perf_counter() - start
        model = _model(arch, seed)
        warm: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(repeats):
            for name in names:
                start = time.perf_counter()
                methods[name](model, part)
                warm[name].append(time.perf_counter() - start)
        dense_med = float(np.median(warm["dense"]))
        load = _load()
        for name in names:
            med = float(np.median(warm[name]))
            rows.append(
                f"| {label} (seed {seed}) | {d} | {name} | {1e3 * cold[name]:.2f} | {1e3 * min(warm[name]):.2f} "
                f"| {1e3 * med:.2f} | {med / dense_med:.2f} | {load} |"
            )
        print(rows[-len(names) :], flush=True)
    return rows


def big_case(name: str) -> tuple[convac.Architecture, convac.Partition]:
    dim, ch = name.split("-")
    c = int(ch[2:])
    k = 12 if c == 2 else 6
    if dim == "1d":
        arch = convac.Architecture.deep_1d(n_inputs=4096, n_features=2, channels=[c] * 12)
        side = [p for i in range(k) for p in range(2 * i * 128, (2 * i + 1) * 128)]
    else:
        arch = convac.Architecture.deep_2d(64, 64, n_features=2, channels=[c] * 6)
        side = []
        for b in range(k):
            bi, bj = divmod(b, 4)
            side += [(16 * bi + i) * 64 + 16 * bj + j for i in range(8) for j in range(8)]
    return arch, convac.Partition(4096, side_a=side)


BIG = ["1d-ch2", "1d-ch4", "2d-ch2", "2d-ch4"]


def run_big(name: str, solver: str, repeats: int) -> dict[str, object]:
    """One D = 4096 case in this process: cold and warm times, CPU time, peak RSS."""
    from convac.schmidt._network_gram import gram_peak_bytes

    arch, part = big_case(name)
    model = _model(arch)
    tn = convac.to_tensor_network(model)
    out: dict[str, object] = {"case": name, "solver": solver, "min_cut": convac.min_cut(arch, part).value}
    out["planned_gib"] = gram_peak_bytes(tn, part) / 2**30
    try:
        start, cpu = time.perf_counter(), time.process_time()
        ent = convac.entanglement(tn, part, method="network", solver=solver)
        out["cold_s"], out["cold_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
        out["load_cold"] = _load()
        warm, warm_cpu = [], []
        for _ in range(repeats):
            start, cpu = time.perf_counter(), time.process_time()
            convac.entanglement(tn, part, method="network", solver=solver)
            warm.append(time.perf_counter() - start)
            warm_cpu.append(time.process_time() - cpu)
        out["warm_s"], out["warm_cpu_s"], out["load_warm"] = warm, warm_cpu, _load()
        out["entropy"] = ent.entropy
    except convac.TooLargeError as exc:
        out["refused"] = str(exc)
    out["max_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return out


def part2(repeats: int, old: bool, old_repeats: int, threads: int = 1) -> list[str]:
    rows = [
        "| case (min-cut 4096) | solver | cold wall (s) | cold CPU (s) | warm min / median wall (s) "
        "| warm min CPU (s) | peak RSS (GiB) | planned peak (GiB) | entropy | load (cold / warm) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    runs = [(name, "auto", repeats) for name in BIG]
    if old:
        runs += [(name, "svd", old_repeats) for name in BIG]
    for name, solver, reps in runs:
        cmd = [sys.executable, __file__, "--big", name, "--solver", solver, "--big-repeats", str(reps)]
        cmd += ["--threads", str(threads)]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        res = json.loads(done.stdout.splitlines()[-1])
        if "refused" in res:
            rows.append(
                f"| {name} | {solver} | refused: TooLargeError | | | | {res['max_rss_gib']:.2f} "
                f"| {res['planned_gib']:.2f} | | {_load()} |"
            )
        else:
            warm = res["warm_s"]
            w = f"{min(warm):.2f} / {float(np.median(warm)):.2f}" if warm else "-"
            wc = f"{min(res['warm_cpu_s']):.2f}" if warm else "-"
            rows.append(
                f"| {name} | {solver} | {res['cold_s']:.2f} | {res['cold_cpu_s']:.2f} | {w} | {wc} "
                f"| {res['max_rss_gib']:.2f} | {res['planned_gib']:.2f} | {res['entropy']:.6f} "
                f"| {res['load_cold']} / {res.get('load_warm', '-')} |"
            )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="warm repeats per small case")
    parser.add_argument("--big-repeats", type=int, default=2, help="warm repeats per D = 4096 case")
    parser.add_argument("--old", action="store_true", help="also time solver='svd' at D = 4096")
    parser.add_argument("--old-repeats", type=int, default=0, help="warm repeats of solver='svd' at D = 4096")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown tables here")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads of the D = 4096 cases")
    parser.add_argument("--big", choices=BIG, help=argparse.SUPPRESS)
    parser.add_argument("--solver", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big:
        torch.set_num_threads(args.threads)
        print(json.dumps(run_big(args.big, args.solver, args.big_repeats)))
        return
    lines = [
        "Written by `PYTHONPATH=src python benchmarks/bench_entanglement_paths.py "
        + " ".join(sys.argv[1:])
        + f"` on {os.cpu_count()} cores; part 1: torch threads 1, OMP_NUM_THREADS="
        + f"{os.environ.get('OMP_NUM_THREADS')}; part 2: {args.threads} thread(s) per case.",
        "",
    ]
    if not args.skip_small:
        lines += ["Part 1: where the dense route fits.", "", *part1(args.repeats), ""]
    if not args.skip_big:
        lines += ["Part 2: min-cut 4096.", "", *part2(args.big_repeats, args.old, args.old_repeats, args.threads), ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
