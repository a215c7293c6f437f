"""Benchmark (a): Schmidt values across a bipartition, three ways.

- network: ``convac.entanglement(..., method="network")`` (cost exponential in the min-cut only);
- dense:   ``convac.entanglement(..., method="dense")`` (coefficient tensor + SVD);
- quimb:   quimb's own general route: ``tn.to_quimb()``, contract the quimb network to one
           dense tensor (cotengra greedy path) and ``Tensor.singular_values(left_inds)``.

Two families, left/right partition: deep 1D ConvACs (M=2, every channel 2, N = 4 .. 2^k)
and shallow ConvACs (M=2, Z=4, any N). At every size each method gets a cold first call (a
fresh model in a warmed-up process: path and min-cut caches are filled here), then warm repeats
(default 7, at least 3) taken round-robin across the methods, so they are measured side by side
under the same load. Sizes grow until a method's warm median takes over 10 s (or the tensor
cannot be allocated: over 4 GiB is not attempted). The tables give warm min and median, cold
times apart, the largest N each method finishes in 10 s, and the ratios at the largest N all
methods can do. Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entanglement.py [--limit 10] [--repeats 7] [--readme benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import convac

torch.set_num_threads(1)

MAX_DENSE_BYTES = 4 << 30


def _model(arch: convac.Architecture) -> convac.models.base.ConvACBase:
    cls = convac.ShallowConvAC if arch.kind == "shallow" else convac.DeepConvAC
    return cls(arch, seed=0, weights="signed").double()


def run_network(model: object, part: convac.Partition) -> np.ndarray:
    return convac.entanglement(model, part, method="network").schmidt_values


def run_dense(model: object, part: convac.Partition) -> np.ndarray:
    return convac.entanglement(model, part, method="dense", max_bytes=MAX_DENSE_BYTES).schmidt_values


def run_quimb(model: object, part: convac.Partition) -> np.ndarray:
    q = convac.to_tensor_network(model).to_quimb(output=0)  # type: ignore[arg-type]
    inds = [f"x{p}" for p in range(part.n_inputs)]
    arch = model.arch  # type: ignore[attr-defined]
    if arch.n_features**arch.n_inputs * 8 > MAX_DENSE_BYTES:
        raise MemoryError("dense tensor over 4 GiB")
    t = q.contract(output_inds=inds, optimize="greedy")
    s = t.singular_values([f"x{p}" for p in part.side_a])
    return np.asarray(s) / np.linalg.norm(s)


METHODS: dict[str, Callable[[object, convac.Partition], np.ndarray]] = {
    "network": run_network,
    "dense": run_dense,
    "quimb": run_quimb,
}


def families() -> dict[str, Callable[[int], convac.Architecture]]:
    return {
        "deep 1D, M=2, channels 2": lambda n: convac.Architecture.deep_1d(
            n_inputs=n, n_features=2, channels=[2] * (n.bit_length() - 1)
        ),
        "shallow, M=2, Z=4": lambda n: convac.Architecture.shallow(n_inputs=n, n_features=2, hidden=4),
    }


def sizes(family: str) -> list[int]:
    if family.startswith("deep"):
        return [2**k for k in range(2, 21)]
    return [*range(4, 33, 2), 64, 256, 1024, 4096, 16384, 65536, 262144]


def timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _measure_size(
    family: str, n: int, active: list[str], limit: float, repeats: int
) -> tuple[dict[str, float], dict[str, list[float]], dict[str, np.ndarray], list[str]]:
    """Cold first call of every active method at size ``n``, then warm repeats taken round-robin.

    Round-robin keeps the methods side by side: a burst of load on the shared machine hits all of
    them instead of whichever happened to run then. Returns cold times, warm times, Schmidt values and
    the methods that stopped (too large, or a cold call over the limit).
    """
    arch = families()[family](n)
    part = convac.Partition.left_right(arch)
    models = {m: _model(arch) for m in active}
    cold: dict[str, float] = {}
    warm: dict[str, list[float]] = {}
    values: dict[str, np.ndarray] = {}
    stopped = []
    for m in active:
        try:
            cold[m], values[m] = timed(lambda m=m: METHODS[m](models[m], part))
        except (MemoryError, convac.TooLargeError) as exc:
            print(f"  {family:28s} {m:8s} N={n:6d}: stops ({type(exc).__name__})", flush=True)
            stopped.append(m)
    # A slow cold call (cache filling) still gets warm repeats unless it took over three limits.
    running = [m for m in cold if cold[m] <= 3 * limit]
    stopped += [m for m in cold if cold[m] > 3 * limit]
    for m in running:
        warm[m] = []
    spent = 0.0
    for rep in range(repeats):
        # At least 3 repeats; beyond that stop once the repeats of this size have taken 3 limits.
        if rep >= 3 and spent > 3 * limit:
            break
        for m in running:
            seconds, _ = timed(lambda m=m: METHODS[m](models[m], part))
            warm[m].append(seconds)
            spent += seconds
    for m in cold:
        ws = warm.get(m, [])
        w = f"warm min {min(ws):8.4f} median {float(np.median(ws)):8.4f} s ({len(ws)})" if ws else "no warm repeats"
        print(f"  {family:28s} {m:8s} N={n:6d}: cold {cold[m]:8.4f} s, {w}", flush=True)
    # Stop growing once the warm median is over the limit too.
    stopped += [m for m in running if float(np.median(warm[m])) > limit]
    return cold, warm, values, stopped


def bench(limit: float, repeats: int) -> list[str]:
    # One untimed call per method first: the process's one-off imports and JIT (about 1-3 s here)
    # belong to no size, so "cold" below means a fresh model in a warm process.
    tiny = families()["deep 1D, M=2, channels 2"](4)
    for fn in METHODS.values():
        fn(_model(tiny), convac.Partition.left_right(tiny))
    lines = []
    for family in families():
        cold: dict[str, dict[int, float]] = {m: {} for m in METHODS}
        warm: dict[str, dict[int, list[float]]] = {m: {} for m in METHODS}
        values: dict[tuple[str, int], np.ndarray] = {}
        active = list(METHODS)
        for n in sizes(family):
            if not active:
                break
            c, w, v, stopped = _measure_size(family, n, active, limit, repeats)
            for m in c:
                cold[m][n] = c[m]
                values[(m, n)] = v[m]
            for m in w:
                warm[m][n] = w[m]
            active = [m for m in active if m not in stopped]
        lines += _tables(family, cold, warm, values, limit)
    return lines


def _tables(
    family: str,
    cold: dict[str, dict[int, float]],
    warm: dict[str, dict[int, list[float]]],
    values: dict[tuple[str, int], np.ndarray],
    limit: float,
) -> list[str]:
    # Agreement where methods overlap.
    worst = 0.0
    for n in sizes(family):
        got = [values[(m, n)] for m in METHODS if (m, n) in values]
        for other in got[1:]:
            k = max(len(got[0]), len(other))
            a, b = np.pad(got[0], (0, k - len(got[0]))), np.pad(other, (0, k - len(other)))
            worst = max(worst, float(np.abs(a - b).max()))

    def med(m: str, n: int) -> float:
        return float(np.median(warm[m][n])) if warm[m].get(n) else float("nan")

    def low(m: str, n: int) -> float:
        return min(warm[m][n]) if warm[m].get(n) else float("nan")

    best = {m: max((n for n in warm[m] if med(m, n) <= limit), default=0) for m in METHODS}
    # A method that never went over the limit only reached the end of the size list.
    label = {m: (f">= {best[m]}" if best[m] == sizes(family)[-1] else str(best[m])) for m in METHODS}
    common = min(best.values())
    lines = [
        f"\n**{family}**, left/right partition (max |Δλ| between methods where they overlap: {worst:.1e})\n",
        f"| method | largest N, warm median <= {limit:g} s | warm median there (s) | at N = {common}: warm min (s) "
        f"| warm median (s) | cold first call (s) | median / network's median | min / network's min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in METHODS:
        lines.append(
            f"| {m} | {label[m]} | {med(m, best[m]):.4f} | {low(m, common):.4f} | {med(m, common):.4f} "
            f"| {cold[m].get(common, float('nan')):.4f} | {med(m, common) / med('network', common):.1f}x "
            f"| {low(m, common) / low('network', common):.1f}x |"
        )
    all_n = sorted({n for m in METHODS for n in cold[m]})
    lines.append("\nAll timings (s), warm median [warm min] / cold first call:\n")
    lines.append("| N | " + " | ".join(METHODS) + " |")
    lines.append("|---|" + "---|" * len(METHODS))
    for n in all_n:
        cells = []
        for m in METHODS:
            if n not in cold[m]:
                cells.append("-")
            elif warm[m].get(n):
                cells.append(f"{med(m, n):.4f} [{low(m, n):.4f}] / {cold[m][n]:.4f}")
            else:
                cells.append(f"- / {cold[m][n]:.4f}")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    return (
        f"{cpu}, {os.cpu_count()} cores shared with other jobs (1 torch thread), "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def write_readme(path: Path, body: list[str], command: str) -> None:
    section = [
        "## Entanglement",
        "",
        "Benchmark (a): Schmidt values of a bipartition by the network path, the dense path",
        "and quimb (export, contract to a dense tensor, `Tensor.singular_values`).",
        "Dense and quimb are not attempted past a 4 GiB coefficient tensor (deep 1D: N = 32 would",
        "have 2^32 entries); each method's sizes grow until its warm median takes over the limit.",
        "Every size: one cold first call per method (fresh model), then warm repeats taken",
        "round-robin across the methods (side by side, same load); ratios use the warm times.",
        f"Machine: {machine()}. Command: `{command}`.",
        *body,
        "",
    ]
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## Entanglement")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + ("\n".join(section) + "\n" + (text[end + 1 :] if end >= 0 else ""))
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per run before a method stops growing N")
    parser.add_argument(
        "--readme", type=Path, default=None, help="write the table into this README's Entanglement section"
    )
    parser.add_argument("--repeats", type=int, default=7, help="warm repeats per size and method (at least 3)")
    args = parser.parse_args()
    body = bench(args.limit, args.repeats)
    print("\n".join(body))
    if args.readme is not None:
        write_readme(
            args.readme,
            body,
            "PYTHONPATH=src python benchmarks/bench_entanglement.py --readme benchmarks/README.md"
            + (f" --limit {args.limit:g}" if args.limit != 10.0 else "")
            + (f" --repeats {args.repeats}" if args.repeats != 7 else ""),
        )


if __name__ == "__main__":
    main()
