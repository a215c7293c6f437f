"""Why the 64x64 ConvAC family of the inductive-bias experiment stays near chance: two fast diagnostics.

For each model variant on the local (or global) task, single-threaded, seed 0:

* ``dependence``: how much the direction of the centred logit vector varies between 64 training
  images at initialisation, ``mean_i || u_i - mean_j u_j ||`` with ``u`` the unit logit direction
  (0: every image gets the same prediction, an "ordered" net; about 1: unrelated directions, a
  "chaotic" net whose output flips with any patch);
* ``fit64``: training accuracy on 64 images after ``--epochs`` epochs of Adam (batch 16, lr
  ``--lr``, cosine), i.e. whether the optimiser can fit a handful of images at all.

Variants: the ReLU ConvNet (reference), the ConvAC with positive weights (the experiment's), with
signed weights and their default N(0, 1/fan_in) start, and with signed weights started at the
positive model's identity-plus-noise values, and the neutral kind (blank patch -> all-ones features,
column-stochastic positive weights, a class bias).

    PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/convac_image_diagnostics.py [--task local] [--r 4]
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from convac.data.tasks import make_task
from convac.models.digit_nets import ConvACImageNet, build_family_model
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import parse_schedule

VARIANTS = ("relu", "convac-positive", "convac-signed", "convac-signed-identity-start", "convac-neutral")


def _build(variant: str, channels: list[int], probe: torch.Tensor) -> nn.Module:
    if variant == "relu":
        net = build_family_model("relu", channels, seed=0)
        assert isinstance(net, ReLUConvNet)
        net.initialize_from(probe)
        return net
    weights = {"convac-positive": "positive", "convac-neutral": "neutral"}.get(variant, "signed")
    net = build_family_model("convac", channels, seed=0, convac_weights=weights)
    assert isinstance(net, ConvACImageNet)
    net.initialize_from(probe, seed=0)
    if variant == "convac-signed-identity-start":
        twin = build_family_model("convac", channels, seed=0)
        assert isinstance(twin, ConvACImageNet)
        with torch.no_grad():
            for layer in range(net.convac.arch.depth):
                net.convac.conv[layer].copy_(twin.convac.conv_weight(layer))
            net.convac.output_raw.copy_(twin.convac.output)
    return net


def _dependence(net: nn.Module, x: torch.Tensor) -> float:
    with torch.no_grad():
        logits = net(x)
        centred = logits - logits.mean(dim=1, keepdim=True)
        u = centred / centred.norm(dim=1, keepdim=True).clamp_min(1e-30)
        return float((u - u.mean(dim=0)).norm(dim=1).mean())


def _fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, lr: float) -> float:
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * math.ceil(len(y) / 16)
    g = torch.Generator().manual_seed(0)
    step = 0
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=g)
        for start in range(0, len(y), 16):
            for group in opt.param_groups:
                group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
            idx = order[start : start + 16]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).float().mean())


def main() -> None:
    """Run the diagnostics for the chosen task and variants and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="local", choices=["local", "global"])
    parser.add_argument("--r", type=int, default=4)
    parser.add_argument("--schedule", default="wide_tip")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of the variants")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, _ = make_task(args.task, 256, 8, seed=0)
    probe = train.images(torch.arange(256))
    x, y = train.batch(torch.arange(64))
    channels = parse_schedule(args.schedule).channels(args.r)
    blank = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1) == 0  # 3x3 patch around a pixel is blank
    print(f"{args.task} task, {args.schedule} r={args.r} channels {channels}, 64 images, {args.epochs} epochs")
    print(f"blank 3x3 patches: {100 * float(blank.float().mean()):.1f} % of all patches")
    print("| variant | dependence at init | fit64 train accuracy | seconds |")
    print("|---|---:|---:|---:|")
    for variant in args.variants.split(","):
        start = time.perf_counter()
        net = _build(variant, channels, probe)
        dep = _dependence(net, x)
        acc = _fit(net, x, y, args.epochs, args.lr)
        print(f"| {variant} | {dep:.3f} | {100 * acc:.1f} % | {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
