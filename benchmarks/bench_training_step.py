"""One training step (forward + backward + Adam) of the paper's 64x64 networks: ConvAC vs ReLU ConvNet.

Both read single-channel 64x64 canvases and share the channel schedule; the ReLU net is the paper's
(3x3 conv representation, six [1x1 conv, ReLU, 2x2 max-pool], 10 outputs), the ConvAC its twin (3x3
patches, Gaussian representation with M = 10, six [1x1 conv, 2x2 product pool], shared weights).
Three steps are timed alternately in the same process, single-threaded: the ReLU net, the ConvAC as
it computes now, and the ConvAC as it computed before the fused path (two 3x3 convolutions for the
features, transposed features, a renormalisation after every conv and every pool; rebuilt below from
the functional ops, the same function up to float rounding). A step is ``--batch`` images in pieces of
``--micro-batch`` whose gradients are summed before the one Adam step, as the experiment's CPU runs
take it (paper profile: 128 in pieces of 8). The script prints and writes (``--out``) a markdown table
with the median step times (min in brackets) and the ConvAC / ReLU ratios (target: 1.3 or less).

The ConvAC's forward computes on the non-blank positions only (``convac.models._blank_skip``) where at
most 1/16 of the positions see ink. ``--neutral`` adds two more steps, of the neutral-gauge ConvAC
(``convac_weights="neutral"``): computed on every position (the full circuit, as before blank
skipping) and as its forward computes it now. ``--ink`` picks the images: ``scatter`` (3 % of the
pixels on, anywhere: few blank regions, so the forward takes the full circuit), ``local`` or
``global`` (one 8x8 or 32x32 square of random ink at a random place on a blank canvas, like the
experiment's tasks).

    PYTHONPATH=src python benchmarks/bench_training_step.py [--rs 4,8,16] [--batch 128] [--micro-batch 8] \
        [--neutral] [--ink scatter|local|global] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from convac.models import functional as F
from convac.models.digit_nets import ConvACImageNet, build_family_model
from convac.spec._paper import parse_schedule


def convac_logits_before(net: ConvACImageNet, x: torch.Tensor) -> torch.Tensor:
    """Return the image ConvAC's logits computed as before the fused path (same function up to rounding)."""
    rep = net.convac.representation_layer
    a, b, c = rep.quadratic_form()  # type: ignore[operator]
    m = rep.n_features
    conv = nn.functional.conv2d
    quad = conv(x * x, a.view(m, 1, 3, 3), padding=1) - 2.0 * conv(x, b.view(m, 1, 3, 3), padding=1)
    if not net.neutral:
        quad = quad + c.view(1, m, 1, 1)
    features = rep.features_from_quadratic(quad, dim=1).flatten(2).transpose(1, 2)  # type: ignore[operator]
    model, arch = net.convac, net.convac.arch
    model._check_features(features)
    h, e = F.normalize(features, torch.zeros(x.shape[0], dtype=torch.int64))
    for layer in range(arch.depth):
        h, e = F.normalize(F.pointwise_conv(h, model.conv_weight(layer)), e)
        h, e = F.normalize(F.product_pool(h, arch.layer_grid(layer), arch.window), e)
    return model._mantissa_logits(h[:, 0, :] @ model.output)


def logits_full(net: ConvACImageNet, x: torch.Tensor) -> torch.Tensor:
    """Return the image ConvAC's logits computed on every position (the path before blank skipping)."""
    model = net.convac
    logits = model._mantissa_logits(model._scaled_scores(net.features(x), peak_at_most_one=True)[0])
    return logits + net.class_bias if net.neutral else logits


def _images(ink: str, batch: int, g: torch.Generator) -> torch.Tensor:
    if ink == "scatter":
        return (torch.rand(batch, 1, 64, 64, generator=g) > 0.97).float()  # sparse "ink" anywhere
    side = {"local": 8, "global": 32}[ink]
    x = torch.zeros(batch, 1, 64, 64)
    corners = torch.randint(0, 64 - side + 1, (batch, 2), generator=g).tolist()
    for image, (top, left) in zip(x, corners, strict=True):
        image[0, top : top + side, left : left + side] = (torch.rand(side, side, generator=g) > 0.5).float()
    return x


def _step_seconds(
    forward: Callable[[torch.Tensor], torch.Tensor],
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    micro: int,
) -> float:
    start = time.perf_counter()
    opt.zero_grad()
    for xs, ys in zip(x.split(micro), y.split(micro), strict=True):
        (nn.functional.cross_entropy(forward(xs), ys, reduction="sum") / len(y)).backward()
    opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rs", default="4,8,16")
    parser.add_argument("--schedules", default="wide_base,wide_tip")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--micro-batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--neutral", action="store_true", help="also time the neutral-gauge ConvAC, full and now")
    parser.add_argument("--ink", choices=("scatter", "local", "global"), default="scatter")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = _images(args.ink, args.batch, g)
    y = torch.randint(0, 10, (args.batch,), generator=g)
    extra = ("neutral full", "neutral now") if args.neutral else ()
    load = os.getloadavg()
    lines = [
        f"ink {args.ink}; batch {args.batch} in pieces of {args.micro_batch}, 1 thread, median (min) of "
        f"{args.repeats} steps "
        f"after one warm-up step; load average at start {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}",
        "",
        "| schedule | r | ReLU ms | ConvAC before ms | ConvAC now ms | before / ReLU | now / ReLU |"
        + "".join(f" {k} ms | {k} / ReLU |" for k in extra),
        "|---|---:|---:|---:|---:|---:|---:|" + "---:|---:|" * len(extra),
    ]
    print("\n".join(lines), flush=True)
    ratios: dict[str, list[float]] = {k: [] for k in ("before", "now", *extra)}
    for name in args.schedules.split(","):
        for r in (int(v) for v in args.rs.split(",")):
            channels = parse_schedule(name).channels(r)
            relu = build_family_model("relu", channels, seed=0)
            convac = build_family_model("convac", channels, seed=0)
            assert isinstance(convac, ConvACImageNet)
            # lr 0: Adam does all its arithmetic but the weights stay put, so the two ConvAC variants
            # (one network, two optimisers) time the same arithmetic on the same values.
            steps = {
                "relu": (relu, torch.optim.Adam(relu.parameters(), lr=0.0)),
                "before": (
                    lambda t, net=convac: convac_logits_before(net, t),
                    torch.optim.Adam(convac.parameters(), lr=0.0),
                ),
                "now": (convac, torch.optim.Adam(convac.parameters(), lr=0.0)),
            }
            if args.neutral:
                neutral = build_family_model("convac", channels, seed=0, convac_weights="neutral")
                assert isinstance(neutral, ConvACImageNet)
                steps["neutral full"] = (
                    lambda t, net=neutral: logits_full(net, t),
                    torch.optim.Adam(neutral.parameters(), lr=0.0),
                )
                steps["neutral now"] = (neutral, torch.optim.Adam(neutral.parameters(), lr=0.0))
            times: dict[str, list[float]] = {k: [] for k in steps}
            for i in range(args.repeats + 1):
                for k, (forward, opt) in steps.items():  # alternate, so load changes hit all alike
                    t = _step_seconds(forward, opt, x, y, args.micro_batch)
                    if i:
                        times[k].append(t)
            med = {k: statistics.median(v) for k, v in times.items()}
            for k in ratios:
                ratios[k].append(med[k] / med["relu"])
            cells = " | ".join(f"{med[k] * 1e3:.1f} ({min(times[k]) * 1e3:.1f})" for k in ("relu", "before", "now"))
            row = f"| {name} | {r} | {cells} | {med['before'] / med['relu']:.2f} | {med['now'] / med['relu']:.2f} |"
            row += "".join(
                f" {med[k] * 1e3:.1f} ({min(times[k]) * 1e3:.1f}) | {med[k] / med['relu']:.2f} |" for k in extra
            )
            lines.append(row)
            print(row, flush=True)
    load = os.getloadavg()
    lines += [
        "",
        f"median ratio ConvAC / ReLU: before {statistics.median(ratios['before']):.2f}, "
        f"now **{statistics.median(ratios['now']):.2f}** (worst row: before {max(ratios['before']):.2f}, "
        f"now {max(ratios['now']):.2f})"
        + "".join(f"; {k} {statistics.median(ratios[k]):.2f} (worst {max(ratios[k]):.2f})" for k in extra)
        + f"; load average at end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}",
    ]
    print(lines[-1])
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
