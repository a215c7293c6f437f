"""Benchmark: one 64x64 ConvAC's function-entanglement profile on the network path.

The ConvAC of the inductive-bias experiment (64x64 canvas, 3x3 patches, M = 10, six 2x2 pooling layers,
10 classes) at wide_base / wide_tip r = 2, feature Gram from 256 local-task training images. For every
length-scale partition (checkerboard, blocks(2..32), left_right, up_down) and every single-block probe:
the min-cut, and either the time of ``entanglement(..., output="all", feature_gram=G)`` (warm repeats:
min and median) or the time it takes to refuse with TooLargeError. For comparison in the same run, the
ten outputs one call at a time (what output="all" replaces). Run from the repository root:

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_function_profile.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch

import convac
from convac.analysis._scales import scales
from convac.data.tasks import make_task
from convac.experiments.function_entanglement import probes
from convac.models.digit_nets import ConvACImageNet
from convac.spec._paper import wide_base, wide_tip

torch.set_num_threads(1)


def _times(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out), statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-cut", type=int, default=1024)
    args = parser.parse_args()
    train, _ = make_task("local", 256, 10, seed=0)
    images = train.images(torch.arange(256))
    print("| schedule (r=2) | probe | min-cut | output='all': min / median s | 10 single outputs: min / median s |")
    print("|---|---|---|---|---|")
    for name, schedule in (("wide_base", wide_base), ("wide_tip", wide_tip)):
        model = ConvACImageNet(schedule(2), seed=0)
        model.initialize_from(images, seed=0)
        arch = model.convac.arch
        gram = convac.feature_gram(model, images)
        total = 0.0
        named = [(s.label, s.partition(arch)) for s in scales(arch)]
        named += [(n, p) for n, p in probes(arch, 1 << 60) if n.startswith("block(")]
        for label, part in named:
            cut = convac.min_cut(arch, part)
            size = str(cut.value) if cut.value < 1 << 20 else f"2^{cut.log2:.0f}"
            if cut.value > args.max_cut:
                start = time.perf_counter()
                with contextlib.suppress(convac.TooLargeError):
                    convac.entanglement(model, part, output="all", feature_gram=gram, max_cut=args.max_cut)
                print(
                    f"| {name} | {label} | {size} | refused (TooLargeError) in {time.perf_counter() - start:.2f} s | |"
                )
                continue

            def every(part=part, model=model, gram=gram) -> None:
                convac.entanglement(model, part, output="all", feature_gram=gram, max_cut=args.max_cut)

            def single(part=part, model=model, gram=gram) -> None:
                for y in range(10):
                    convac.entanglement(model, part, output=y, feature_gram=gram, max_cut=args.max_cut)

            a = _times(every, args.repeats)
            b = _times(single, 1)
            total += a[1]
            print(f"| {name} | {label} | {size} | {a[0]:.2f} / {a[1]:.2f} | {b[0]:.2f} / {b[1]:.2f} |", flush=True)
        print(f"| {name} | **whole profile** (median sum) | | {total:.1f} | |", flush=True)


if __name__ == "__main__":
    main()
