"""Images per second: the paper's ReLU ConvNets trained one by one (today's step) vs stacked (``--batch-cells``).

For each schedule and r, K networks (default 6: the 2 tasks x 3 seeds of one schedule and r, the
group ``--batch-cells`` forms) take Adam steps on batches of 128 sparse 64x64 canvases, one CPU
thread, batches split into pieces of ``--micro-batch`` (the protocol's setting; the one-by-one path
is fastest with 8 here). *one by one*: K separate steps as ``run_cell`` takes them; *batched*: one
step of the stacked networks (``convac.experiments._batched``, torch.func vmap). The two are timed
alternately in the same process; each timing is one round of K network-steps, after one warm-up
round. Prints and writes a markdown table (``--out``) with min and median images/s and the ratio.

    PYTHONPATH=src python benchmarks/bench_batched_training.py [--rs 6,16] [--k 6] [--repeats 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from convac.experiments.inductive_bias import Protocol
from convac.experiments.inductive_bias._batched import _Stacked
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import parse_schedule


def _one_by_one(models, opts, x, y, micro):
    for k, (net, opt) in enumerate(zip(models, opts, strict=True)):
        opt.zero_grad()
        for xs, ys in zip(x[k].split(micro), y[k].split(micro), strict=True):
            (nn.functional.cross_entropy(net(xs), ys, reduction="sum") / y.shape[1]).backward()
        opt.step()


def measure(
    schedule: str, r: int, k: int, batch: int, micro: int, batched_micro: int, repeats: int
) -> dict[str, list[float]]:
    channels = parse_schedule(schedule).channels(r)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(k, batch, 1, 64, 64, generator=g) > 0.99).float()
    y = torch.randint(0, 10, (k, batch), generator=g)
    models = [ReLUConvNet(channels, seed=s) for s in range(k)]
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in models]
    protocol = Protocol(lr=1e-3, batch_size=batch, micro_batch=batched_micro)
    stacked = _Stacked([ReLUConvNet(channels, seed=s) for s in range(k)], opts, protocol)
    runs = {"one by one": lambda: _one_by_one(models, opts, x, y, micro), "batched": lambda: stacked.step(x, y)}
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(repeats + 1):
        for name, run in runs.items():  # alternate, so load changes hit both alike
            start = time.perf_counter()
            run()
            if i:
                seconds[name].append(time.perf_counter() - start)
    return {name: [k * batch / s for s in values] for name, values in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rs", default="6,16")
    parser.add_argument("--schedules", default="wide_base,wide_tip")
    parser.add_argument("--k", type=int, default=6, help="networks per group")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--micro-batch", type=int, default=8)
    parser.add_argument(
        "--batched-micro-batch", type=int, default=None, help="pieces of the batched step (default: --micro-batch)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()
    lines = [
        f"K = {args.k} networks, batch {args.batch} in pieces of {args.micro_batch} "
        f"(batched: {args.batched_micro_batch or args.micro_batch} per network), 1 thread, "
        f"{args.repeats} warm rounds after one warm-up; "
        f"load average at start {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}",
        "",
        "| schedule | r | one by one img/s (min, median) | batched img/s (min, median) "
        "| batched / one by one (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    for schedule in args.schedules.split(","):
        for r in (int(v) for v in args.rs.split(",")):
            ips = measure(
                schedule,
                r,
                args.k,
                args.batch,
                args.micro_batch,
                args.batched_micro_batch or args.micro_batch,
                args.repeats,
            )
            one, bat = ips["one by one"], ips["batched"]
            row = (
                f"| {schedule} | {r} | {min(one):.0f}, {statistics.median(one):.0f} | "
                f"{min(bat):.0f}, {statistics.median(bat):.0f} | "
                f"{statistics.median(bat) / statistics.median(one):.2f}x |"
            )
            lines.append(row)
            print(row, flush=True)
    load = os.getloadavg()
    lines.append(f"\nload average at end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
