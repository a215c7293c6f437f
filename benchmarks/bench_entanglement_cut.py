"""Benchmark: the network path's cost grows with the min-cut D, not with N.

A deep 1D ConvAC on 4096 inputs (M = 2, every channel 2, signed weights) and partitions that put
``k`` alternating 128-wide blocks on side A (the rest of the input on side B): each block adds one
cut bond of dimension 2, so the min-cut grows as D = 2^k. A 64x64 2D network (M = 2, channels 2)
with alternating 16x16 blocks is timed too. Each D gets a cold call and warm repeats (min, median).
Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entanglement_cut.py [--max-blocks 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import convac

torch.set_num_threads(1)


def _time(model: object, part: convac.Partition, repeats: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    convac.entanglement(model, part, method="network")
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        convac.entanglement(model, part, method="network")
        warm.append(time.perf_counter() - start)
    return cold, warm


def _row(label: str, d: int, cold: float, warm: list[float]) -> str:
    w = f"{min(warm):.3f} | {float(np.median(warm)):.3f}" if warm else "- | -"
    return f"| {label} | {d} | {cold:.3f} | {w} | {len(warm)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-blocks", type=int, default=10, help="largest k (D = 2^k; 12 gives D = 4096)")
    parser.add_argument("--repeats", type=int, default=3, help="warm repeats per D (none once a cold call takes 10 s)")
    args = parser.parse_args()
    print("| network, partition | min-cut D | cold (s) | warm min (s) | warm median (s) | repeats |")
    print("|---|---:|---:|---:|---:|---:|")
    arch = convac.Architecture.deep_1d(n_inputs=4096, n_features=2, channels=[2] * 12)
    model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
    for k in [2, 4, 6, 8, 10, 12]:
        if k > args.max_blocks:
            break
        side_a = [p for i in range(k) for p in range(2 * i * 128, (2 * i + 1) * 128)]
        part = convac.Partition(4096, side_a=side_a)
        d = convac.min_cut(arch, part).value
        cold, _ = _time(model, part, 0)
        warm = _time(model, part, args.repeats)[1] if cold < 10 else []
        print(_row(f"1D 4096, {k} blocks of 128", d, cold, warm), flush=True)
    grid = convac.Architecture.deep_2d(64, 64, n_features=2, channels=[2] * 6)
    model2 = convac.DeepConvAC(grid, seed=0, weights="signed").double()
    part2 = convac.Partition.blocks(grid, 16)
    cold, warm = _time(model2, part2, args.repeats)
    print(_row("2D 64x64, blocks(16)", convac.min_cut(grid, part2).value, cold, warm), flush=True)


if __name__ == "__main__":
    main()
