"""One training step (forward + backward + Adam) of the paper's 64x64 networks: ConvAC vs ReLU ConvNet.

Both read single-channel 64x64 canvases and share the channel schedule; the ReLU net is the paper's
(3x3 conv representation, six [1x1 conv, ReLU, 2x2 max-pool], 10 outputs), the ConvAC its twin (3x3
patches, Gaussian representation with M = 10, six [1x1 conv, 2x2 product pool], shared weights). The
two are timed alternately in the same process, single-threaded, and the script prints the median
ConvAC / ReLU ratio per schedule (target: 1.3 or less).

    PYTHONPATH=src python benchmarks/bench_training_step.py [--rs 4,8,16] [--batch 32] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from convac.models.digit_nets import build_family_model
from convac.models.schedules import parse_schedule


def _step_seconds(net: nn.Module, x: torch.Tensor, y: torch.Tensor, opt: torch.optim.Optimizer) -> float:
    start = time.perf_counter()
    loss = nn.functional.cross_entropy(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rs", default="4,8,16")
    parser.add_argument("--schedules", default="wide_base,wide_tip")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(args.batch, 1, 64, 64, generator=g) > 0.97).float()  # sparse "ink" like the canvases
    y = torch.randint(0, 10, (args.batch,), generator=g)
    print(f"batch {args.batch}, 1 thread, median of {args.repeats} steps after one warm-up step")
    print(f"{'schedule':<10} {'r':>3} {'relu ms':>9} {'convac ms':>10} {'ratio':>6}")
    ratios = []
    for name in args.schedules.split(","):
        for r in (int(v) for v in args.rs.split(",")):
            channels = parse_schedule(name).channels(r)
            nets = {fam: build_family_model(fam, channels, seed=0) for fam in ("relu", "convac")}
            opts = {fam: torch.optim.Adam(net.parameters(), lr=1e-3) for fam, net in nets.items()}
            times: dict[str, list[float]] = {fam: [] for fam in nets}
            for i in range(args.repeats + 1):
                for fam in nets:  # alternate, so load changes hit both alike
                    t = _step_seconds(nets[fam], x, y, opts[fam])
                    if i:
                        times[fam].append(t)
            relu, convac = (statistics.median(times[f]) for f in ("relu", "convac"))
            ratios.append(convac / relu)
            print(f"{name:<10} {r:>3} {relu * 1e3:>9.1f} {convac * 1e3:>10.1f} {convac / relu:>6.2f}")
    print(f"median ratio ConvAC / ReLU: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
