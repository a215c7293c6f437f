"""Time one paper-profile cell per arm at one r, scaled down, and extrapolate to the full cell.

Runs :func:`convac.experiments.inductive_bias.run_cell` (protocol version 2, one thread) with the paper
protocol but ``--n-train`` images and one epoch, for wide-base, wide-tip and the given third arms, in
alternating order over ``--repeats`` rounds, and reports per arm: CPU seconds per training image (min
and median; CPU time, since the machine may be shared), the ratio to wide-tip, and the full cell's
expected CPU time (20 epochs x 60,000 images, plus evaluation of 70,000 images at the measured rate).

    PYTHONPATH=src nice -n 10 python benchmarks/inductive_bias_cell_time.py --r 6 --arms "fair=1,1,1,6,3,2.5"
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from convac.experiments.inductive_bias import Cell, profile, run_cell
from convac.experiments.inductive_bias.protocol import paper_weights
from convac.spec._paper import parse_schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r", type=int, default=6)
    parser.add_argument("--arms", default="fair=1,1,1,6,3,2.5", help="third arms, ';'-separated tokens")
    parser.add_argument("--task", default="local")
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    full = profile("paper", micro_batch=8).protocol
    small = profile("paper", micro_batch=8, n_train=args.n_train, n_test=1000, epochs=1).protocol
    arms = ["wide_base", "wide_tip", *[a for a in args.arms.split(";") if a]]
    train_s: dict[str, list[float]] = {a: [] for a in arms}
    eval_s: dict[str, list[float]] = {a: [] for a in arms}
    for rep in range(args.repeats):
        for arm in arms if rep % 2 == 0 else arms[::-1]:
            # CPU time of this process, not wall time: the machine is shared, and a cell runs on one thread.
            marks = [time.process_time()]
            run_cell(
                small,
                Cell(args.task, "relu", arm, args.r, seed=0),
                on_epoch=lambda *_, marks=marks: marks.append(time.process_time()),
            )
            marks.append(time.process_time())
            train_s[arm].append((marks[1] - marks[0]) / small.n_train)  # with the (small) data and init set-up
            eval_s[arm].append((marks[2] - marks[1]) / (small.n_train + small.n_test))
    tip = min(train_s["wide_tip"])
    images = full.epochs * full.n_train
    print(f"r = {args.r}, {args.task} task, {args.repeats} repeats, one thread, protocol v{small.protocol_version}")
    print("| arm | channels | weights | CPU ms/train image (min, median) | vs wide-tip | full cell (CPU min) |")
    print("|---|---|---:|---:|---:|---:|")
    for arm in arms:
        channels = parse_schedule(arm).channels(args.r)
        per_image, per_eval = min(train_s[arm]), min(eval_s[arm])
        cell_min = (per_image * images + per_eval * (full.n_train + full.n_test)) / 60
        print(
            f"| {parse_schedule(arm).name} | {channels} | {paper_weights(channels)} | "
            f"{1e3 * per_image:.2f}, {1e3 * statistics.median(train_s[arm]):.2f} | {per_image / tip:.2f}x | "
            f"{cell_min:.0f} |"
        )


if __name__ == "__main__":
    main()
