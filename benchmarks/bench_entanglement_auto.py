"""Benchmark: method="auto" against dense and network (warm minimum of 5), the cost model's check.

Deep 1D (N a power of 2) or shallow ConvACs, M = 2, channels 2/4, left/right or a seeded balanced
partition; prints dense, network and auto times, the method auto chose, auto / min(dense, network)
and the load average. Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entanglement_auto.py
"""

import os
import time

import numpy as np
import torch

import convac

torch.set_num_threads(1)


def t(f, r=5):
    ts = []
    for _ in range(r):
        s = time.perf_counter()
        f()
        ts.append(time.perf_counter() - s)
    return min(ts)


for n, ch, kind in [
    (8, 2, "lr"),
    (12, 2, "lr"),
    (16, 2, "lr"),
    (20, 2, "lr"),
    (16, 4, "lr"),
    (16, 2, "bal"),
    (16, 4, "bal"),
    (20, 2, "bal"),
    (20, 4, "bal"),
    (18, 2, "bal"),
]:
    depth = n.bit_length() - 1
    if 2**depth != n:
        arch = convac.Architecture.shallow(n_inputs=n, n_features=2, hidden=ch)
        model = convac.ShallowConvAC(arch, seed=0, weights="signed").double()
    else:
        arch = convac.Architecture.deep_1d(n_inputs=n, n_features=2, channels=[ch] * depth)
        model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
    part = (
        convac.Partition.left_right(arch)
        if kind == "lr"
        else convac.Partition(n, side_a=sorted(np.random.default_rng(1).permutation(n)[: n // 2].tolist()))
    )
    d = convac.min_cut(arch, part).value
    td = t(lambda model=model, part=part: convac.entanglement(model, part, method="dense"))
    tn = t(lambda model=model, part=part: convac.entanglement(model, part, method="network"))
    ta = t(lambda model=model, part=part: convac.entanglement(model, part))
    which = convac.entanglement(model, part).method
    print(
        n,
        ch,
        kind,
        "D",
        d,
        f"dense {td * 1e3:.1f} ms network {tn * 1e3:.1f} ms ratio net/dense {tn / td:.2f} "
        f"auto ({which}) {ta * 1e3:.1f} ms auto/min {ta / min(td, tn):.2f}",
        "load",
        os.getloadavg()[0],
        flush=True,
    )
