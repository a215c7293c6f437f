"""Per-image training cost of the paper's ReLU ConvNets, and the paper profile's expected wall time.

Measures forward+backward+Adam step time per image (batch 128 by default) for wide-base and
wide-tip at each r of the paper profile, on this machine's CPU (1 thread) or on a GPU, and
multiplies out the profile: cells x (epochs x n_train + n_train + n_test evaluations). An
evaluation image costs about a third of a training image (forward only).

With ``--micro-batch m`` each step is also timed with the batch split into pieces of m whose
gradients are summed before the one Adam step (the sweep's ``--micro-batch``; the same step up to
rounding), in the same run, and the ratio whole/pieces is reported; the cell times then use the
pieces.

    PYTHONPATH=src python benchmarks/inductive_bias_step_time.py [--device cpu] [--rs 6,8,...] [--micro-batch 8]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from convac.experiments.inductive_bias import profile
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import parse_schedule


def step_time(channels: list[int], device: str, batch: int, steps: int, micro: int | None = None) -> float:
    net = ReLUConvNet(channels, seed=0).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = (torch.rand(batch, 1, 64, 64) > 0.99).float().to(device)
    y = torch.randint(0, 10, (batch,)).to(device)
    for i in range(steps + 1):
        if i == 1:  # the first step pays for allocation and kernel selection
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
        opt.zero_grad()
        for xs, ys in zip(x.split(micro or batch), y.split(micro or batch), strict=True):
            (nn.functional.cross_entropy(net(xs), ys, reduction="sum") / batch).backward()
        opt.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--rs", default="6,8,10,12,16,20,24,30")
    parser.add_argument("--micro-batch", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sweep = profile("paper")
    p = sweep.protocol
    rs = [int(v) for v in args.rs.split(",")]
    images_per_cell = p.epochs * p.n_train + (p.n_train + p.n_test) / 3
    total = 0.0
    print(
        f"device {args.device}, batch {args.batch}, pieces of {args.micro_batch or args.batch}; "
        "per image (fwd+bwd+step), and one paper cell "
        f"({p.epochs} epochs x {p.n_train} + evaluation)"
    )
    for r in rs:
        times, whole = {}, {}
        for token in sweep.schedules:
            channels = parse_schedule(token).channels(r)
            times[token] = step_time(channels, args.device, args.batch, args.steps, args.micro_batch)
            if args.micro_batch:
                whole[token] = step_time(channels, args.device, args.batch, args.steps)
            cell = times[token] * images_per_cell
            total += cell * len(sweep.tasks) * len(sweep.seeds)
        ratio = times["wide_base"] / times["wide_tip"]
        hours = {k: v * images_per_cell / 3600 for k, v in times.items()}
        pieces = ""
        if args.micro_batch:
            pieces = "  whole/pieces " + " ".join(f"{whole[k] / times[k]:.2f}x" for k in sweep.schedules)
        print(
            f"r={r:3d}  wide_base {1e3 * times['wide_base']:7.2f} ms/img  "
            f"wide_tip {1e3 * times['wide_tip']:7.2f} ms/img  (base/tip {ratio:.2f}x)  "
            f"cell {hours['wide_base']:6.2f} h / {hours['wide_tip']:6.2f} h{pieces}"
        )
    print(f"paper profile over r={rs}: {total / 3600:.1f} h on one worker ({len(sweep.seeds)} seeds, 2 tasks)")


if __name__ == "__main__":
    main()
