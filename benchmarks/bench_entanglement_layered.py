"""Benchmark: the network path's SVD route, layer at a time, against the per-node route it replaced.

Issue 24, item 5. Compared in one run, one thread, warm repeats taken round-robin (so load bursts hit
every method alike), min and median, ratios of medians:

- **new**: ``convac.entanglement(model, part, method="network", solver="svd")`` (clean subtrees of a
  layer in one batched step, the nodes near the cut one by one);
- **old**: the same call with the network path of before (benchmarks/_network_before.py: one merge
  and QR per node), everything else equal;
- **reference**: a plain layer-at-a-time numpy version. On a left/right cut the issue's reference
  (benchmarks/_layered_reference.py, the one-sided square-root recursion); on the families whose
  dense tensor fits (N = 16), the dense path (``method="dense"``), itself a layer-at-a-time numpy
  contraction and one SVD.
- **dense N = 8**: ``method="dense"`` against the general contraction it replaced and a plain numpy
  contraction of the same tensor (the fixed cost per call).

Every case checks that new, old and the reference give the same Schmidt values (rtol 1e-10 on the
values above 1e-6 of the largest). Run from the repository root:

    OMP_NUM_THREADS=1 PYTHONPATH=src nice -n 10 python benchmarks/bench_entanglement_layered.py [--repeats 5]
        [--out docs/results/netpath/bench_entanglement_layered.md] [--dense-only]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import convac
from convac.schmidt import _core

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _network_before
from _layered_reference import one_sided

torch.set_num_threads(1)


def _new(model: object, part: convac.Partition) -> np.ndarray:
    return convac.entanglement(model, part, method="network", solver="svd").schmidt_values


def _old(model: object, part: convac.Partition) -> np.ndarray:
    tn = _core._as_network(model)
    s, _ = _network_before.network_singular_values(tn, part)
    return np.asarray(s) / np.linalg.norm(s)


def _dense(model: object, part: convac.Partition) -> np.ndarray:
    return convac.entanglement(model, part, method="dense").schmidt_values


def _one_sided(model: object, part: convac.Partition) -> np.ndarray:
    tn = convac.to_tensor_network(model)  # type: ignore[arg-type]
    return one_sided(list(tn.weights), part.n_inputs // 2)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    keep = b > 1e-6 * b[0]
    k = int(keep.sum())
    return len(a) >= k and bool(np.allclose(a[:k], b[:k], rtol=1e-10, atol=1e-13))


def _time(methods: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    for f in methods.values():
        f()  # cold call (caches, imports)
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(repeats):
        for name, f in methods.items():
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    return times


def cases() -> list[tuple[str, convac.Architecture, convac.Partition, str]]:
    """(label, architecture, partition, reference kind) for every partition family."""
    a16 = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4] * 4)
    g16 = convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[2, 2])
    a4k = convac.Architecture.deep_1d(n_inputs=4096, n_features=2, channels=[4] * 12)
    a64k = convac.Architecture.deep_1d(n_inputs=65536, n_features=2, channels=[4] * 16)
    g64 = convac.Architecture.deep_2d(height=64, width=64, n_features=2, channels=[2] * 6)
    P = convac.Partition
    return [
        ("1D N=16 ch 4", a16, P.left_right(a16), "dense"),
        ("1D N=16 ch 4", a16, P.interleaved(a16), "dense"),
        ("1D N=16 ch 4", a16, P.random(a16, seed=0), "dense"),
        ("1D N=16 ch 4", a16, P.blocks(a16, 4), "dense"),
        ("2D 4x4 ch 2", g16, P.left_right(g16), "dense"),
        ("2D 4x4 ch 2", g16, P.checkerboard(g16), "dense"),
        ("2D 4x4 ch 2", g16, P.blocks(g16, 2), "dense"),
        ("1D N=4096 ch 4", a4k, P.left_right(a4k), "one-sided"),
        ("1D N=4096 ch 4", a4k, P.blocks(a4k, 1024), ""),
        ("2D 64x64 ch 2", g64, P.left_right(g64), ""),
        ("2D 64x64 ch 2", g64, P.blocks(g64, 32), ""),
        ("1D N=65536 ch 4", a64k, P.left_right(a64k), "one-sided"),
    ]


def _row(label: str, part: convac.Partition, times: dict[str, list[float]]) -> str:
    med = {k: float(np.median(v)) for k, v in times.items()}
    mins = {k: min(v) for k, v in times.items()}
    ref = next((k for k in ("dense", "one-sided") if k in med), None)
    cells = " | ".join(
        f"{1e3 * mins[k]:.2f} / {1e3 * med[k]:.2f}" if k in med else "–" for k in ("new", "old", ref or "-")
    )
    speedup = med["old"] / med["new"]
    vs_ref = f"{med['new'] / med[ref]:.2f}× ({ref})" if ref else "–"
    return f"| {label} | {part.name} | {cells} | {speedup:.1f}× | {vs_ref} | {os.getloadavg()[0]:.1f} |"


def _dense_overhead(repeats: int) -> str:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2] * 3)
    model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
    part = convac.Partition.left_right(arch)
    w = [m.detach().numpy() for m in (model.weight_matrices(layer) for layer in range(arch.depth + 1))]

    def plain() -> np.ndarray:
        # The coefficient tensor by three pairwise Kronecker-and-matmul steps and the output weights.
        t = w[0]
        for layer in (1, 2):
            t = np.einsum("kac,kbc->kabc", t[0::2], t[1::2]).reshape(len(t) // 2, -1, t.shape[-1]) @ w[layer]
        a = np.einsum("ac,bc,c->ab", t[0], t[1], w[3][0][:, 0]).reshape(16, 16)
        return np.linalg.svd(a, compute_uv=False)

    def before() -> np.ndarray:
        # The dense path before: the network's named tensors, a path search and one einsum per tensor.
        tn = convac.to_tensor_network(model)
        _ = tn.bonds
        a = tn.contract(output=0)
        return np.linalg.svd(a.reshape(16, 16), compute_uv=False)

    s = plain()
    for f in (lambda: _dense(model, part), before):
        if not _same(np.asarray(f()) / np.linalg.norm(f()), s / np.linalg.norm(s)):
            raise SystemExit("dense path and plain numpy disagree at N = 8")
    times = _time({"dense": lambda: _dense(model, part), "before": before, "plain": plain}, max(repeats * 40, 200))
    med = {k: float(np.median(v)) for k, v in times.items()}
    cells = " | ".join(f"{1e3 * min(times[k]):.3f} / {1e3 * med[k]:.3f} ms" for k in ("dense", "before", "plain"))
    return f"| dense path, N = 8 left/right | {cells} | {med['dense'] / med['plain']:.2f}× |"


def _methods(model: object, part: convac.Partition, ref: str) -> dict[str, Callable[[], object]]:
    methods: dict[str, Callable[[], object]] = {"new": lambda: _new(model, part), "old": lambda: _old(model, part)}
    if ref == "dense":
        methods["dense"] = lambda: _dense(model, part)
    elif ref == "one-sided":
        methods["one-sided"] = lambda: _one_sided(model, part)
    return methods


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--dense-only", action="store_true", help="only the dense path's fixed cost")
    args = ap.parse_args()
    lines = [
        "| case | partition | new min / median ms | old min / median ms | reference min / median ms "
        "| old / new | new / reference | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for label, arch, part, ref in cases() if not args.dense_only else []:
        model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
        methods = _methods(model, part, ref)
        values = {k: np.asarray(f()) for k, f in methods.items()}
        bad = [k for k, v in values.items() if not _same(v, values["new"]) or not _same(values["new"], v)]
        if bad:
            raise SystemExit(f"{label} {part.name}: {bad} disagree with the new route")
        repeats = 2 if arch.n_inputs > 10_000 else args.repeats
        row = _row(label, part, _time(methods, repeats))
        lines.append(row)
        print(row, flush=True)
    lines += [
        "",
        "| fixed cost | dense path | plain numpy | ratio |",
        "|---|---|---|---|",
        _dense_overhead(args.repeats),
    ]
    print("\n".join(lines[-4:]), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
