"""The whole paper profile of the inductive-bias experiment on one GPU: batched, resumable, time-boxed.

The paper profile is 8 values of r x 2 tasks x 2 schedules x 3 seeds = 96 ReLU ConvNet cells, each
60,000 training canvases x 20 epochs (batch 128, Adam, cosine lr) plus evaluation on 60k + 10k.
This script runs it with ``run_sweep(..., device="cuda", batch_cells=True)``: the 6 cells of one
schedule and r (2 tasks x 3 seeds) train together as one stacked, vmapped network, and every task's
canvases live on the GPU (built once per process). The grid runs as 16 groups, cheapest r first;
each finished cell is appended to ``OUT/results.jsonl`` at once and each epoch checkpointed, so a
run stopped at any point (Ctrl-C, ``--minutes`` spent, a lost machine) resumes where it stopped when
the same command is run again. When every cell is done, the report (``table.md``, ``table.csv``,
``figure.png``) is written. ``OUT/gpu_timing.jsonl`` gets one line per group (seconds, images/s).

Sizing (no GPU was lent while this was written, so this is an estimate, not a measurement): the
whole profile is 3.65 PFLOP of training arithmetic and about 790 TB of activation traffic
(forward writes, backward reads and writes, float32; ``--estimate`` prints the per-cell numbers).
One H100/H200 does 67 TFLOP/s in float32 without tensor cores and moves 3.4-4.8 TB/s, so the
profile is memory-bound: 165-230 s at full bandwidth, about 8 min at 35-50 % of it, which is what
small-channel convolutions typically reach. Launch overhead: 16 groups x 9,380 steps x ~60 kernels
at ~5 us is about 45 s more. On this project's CPU (one core) the same grid is ~57 core-hours
(docs/findings/inductive-bias.md, "The paper profile: expected time"); the batched step there is no
faster than one by one (``benchmarks/bench_batched_training.py``), the gain is the GPU's. TF32 convolutions are off by
default so the arithmetic is float32 as on the CPU; ``--tf32`` turns them on (faster, 10-bit
mantissas). With ``--minutes M`` no new group starts after M minutes; run again to continue.

    PYTHONPATH=src python scripts/gpu_paper_profile.py --out runs/gpu-paper [--minutes 10]
    PYTHONPATH=src python scripts/gpu_paper_profile.py --smoke --out /tmp/smoke   # CPU, seconds
    PYTHONPATH=src python scripts/gpu_paper_profile.py --estimate
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from convac.experiments.inductive_bias import Sweep, load_results, profile, run_sweep
from convac.spec._paper import parse_schedule


def paper_sweep(smoke: bool) -> Sweep:
    """Return the paper profile, or (``smoke``) a tiny sweep of the same shape that runs on a CPU in seconds."""
    if smoke:
        return profile("paper", n_train=24, n_test=16, epochs=1, batch_size=8, rs=(1, 2), seeds=(0,))
    return profile("paper")


def estimate(sweep: Sweep) -> str:
    """Return the per-cell training FLOPs and activation traffic of ``sweep``, and the totals."""
    p = sweep.protocol
    images = p.epochs * p.n_train + (p.n_train + p.n_test) / 3  # an evaluation image ~ 1/3 of a training one
    lines = ["| schedule | r | MFLOP / training image | MB / training image |", "|---|---:|---:|---:|"]
    flop_total = bytes_total = 0.0
    for schedule in sweep.schedules:
        for r in sweep.rs:
            side, c_in, act = p.canvas, 10, 10 * p.canvas**2 * 2
            mac = 9 * 10 * side * side  # the 3x3 representation conv
            for c in parse_schedule(schedule).channels(r):
                mac += c_in * c * side * side
                act += c * side * side * 2 + c * (side // 2) ** 2  # conv out, ReLU out, pool out
                side, c_in = side // 2, c
            flop, traffic = 6 * mac, 12 * act  # fwd + 2x bwd; bytes written fwd, read and written bwd
            n_cells = len(sweep.tasks) * len(sweep.seeds)
            flop_total += flop * images * n_cells
            bytes_total += traffic * images * n_cells
            lines.append(f"| {schedule} | {r} | {flop / 1e6:.0f} | {traffic / 1e6:.1f} |")
    lines.append(f"\ntotal: {flop_total / 1e15:.2f} PFLOP, {bytes_total / 1e12:.0f} TB of activation traffic")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) the paper profile on one GPU; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/gpu-paper"))
    parser.add_argument("--device", default=None, help="default: cuda (cpu with --smoke)")
    parser.add_argument("--smoke", action="store_true", help="a tiny sweep of the same shape, for a CPU test")
    parser.add_argument("--minutes", type=float, default=None, help="start no new group after this many minutes")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 convolutions and matmuls (not float32)")
    parser.add_argument("--estimate", action="store_true", help="print the FLOP and traffic estimate and exit")
    parser.add_argument("--progress", action="store_true", help="show the epoch progress bar")
    args = parser.parse_args(argv)
    sweep = paper_sweep(args.smoke)
    if args.estimate:
        print(estimate(sweep))
        return 0
    device = args.device or ("cpu" if args.smoke else "cuda")
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    start = time.perf_counter()
    timing = args.out / "gpu_timing.jsonl"
    images_per_cell = sweep.protocol.epochs * sweep.protocol.n_train
    for r in sorted(sweep.rs):
        for schedule in sweep.schedules:
            elapsed = time.perf_counter() - start
            if args.minutes is not None and elapsed > 60 * args.minutes:
                print(f"{elapsed / 60:.1f} min spent; stopping before r={r} {schedule}. Run again to resume.")
                return 0
            group = replace(sweep, rs=(r,), schedules=(schedule,))
            t = time.perf_counter()
            result = run_sweep(group, args.out, device=device, batch_cells=True, report=False, progress=args.progress)
            seconds = time.perf_counter() - t
            if result.ran:
                line = {
                    "r": r,
                    "schedule": parse_schedule(schedule).name,
                    "cells": result.ran,
                    "seconds": seconds,
                    "training_images_per_second": result.ran * images_per_cell / seconds,
                    "device": device if device == "cpu" else torch.cuda.get_device_name(device),
                }
                with timing.open("a") as f:
                    f.write(json.dumps(line) + "\n")
                print(json.dumps(line), flush=True)
    done = run_sweep(sweep, args.out, device=device, batch_cells=True, progress=False)  # all skipped: the report
    finished = len(load_results(args.out))
    print(f"{finished} cells finished in {args.out}; {time.perf_counter() - start:.0f} s this run")
    if "table_md" in done.files:
        print(done.files["table_md"].read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
