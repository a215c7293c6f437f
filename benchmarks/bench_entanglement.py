"""Benchmark (a): Schmidt values across a bipartition, three ways.

- network: ``convac.entanglement(..., method="network")`` (cost exponential in the min-cut only);
- dense:   ``convac.entanglement(..., method="dense")`` (coefficient tensor + SVD);
- quimb:   quimb's own general route: ``tn.to_quimb()``, contract the quimb network to one
           dense tensor (cotengra greedy path) and ``Tensor.singular_values(left_inds)``.

Two families, left/right partition: deep 1D ConvACs (M=2, every channel 2, N = 4 .. 2^k)
and shallow ConvACs (M=2, Z=4, any N). For each method the sizes grow until one run takes
over 10 s (or the tensor cannot be allocated: over 4 GiB is not attempted); the table gives
every timing, the largest N each finishes in 10 s, and the ratios at the largest N all
methods can do. Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entanglement.py [--limit 10] [--readme benchmarks/README.md]
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


def bench(limit: float) -> list[str]:
    lines = []
    for family, make in families().items():
        times: dict[str, dict[int, float]] = {m: {} for m in METHODS}
        values: dict[tuple[str, int], np.ndarray] = {}
        for name, fn in METHODS.items():
            for n in sizes(family):
                arch = make(n)
                model = _model(arch)
                part = convac.Partition.left_right(arch)
                try:
                    seconds, s = timed(lambda fn=fn, model=model, part=part: fn(model, part))
                except (MemoryError, convac.TooLargeError) as exc:
                    print(f"  {family:28s} {name:8s} N={n:6d}: stops ({type(exc).__name__})", flush=True)
                    break
                times[name][n] = seconds
                values[(name, n)] = s
                print(f"  {family:28s} {name:8s} N={n:6d}: {seconds:8.3f} s", flush=True)
                if seconds > limit:
                    break
        # Agreement where methods overlap.
        worst = 0.0
        for n in sizes(family):
            got = [values[(m, n)] for m in METHODS if (m, n) in values]
            for other in got[1:]:
                k = max(len(got[0]), len(other))
                a, b = np.pad(got[0], (0, k - len(got[0]))), np.pad(other, (0, k - len(other)))
                worst = max(worst, float(np.abs(a - b).max()))
        best = {m: max((n for n, t in times[m].items() if t <= limit), default=0) for m in METHODS}
        # A method that never went over the limit only reached the end of the size list.
        label = {m: (f">= {best[m]}" if best[m] == sizes(family)[-1] else str(best[m])) for m in METHODS}
        common = min(best.values())
        lines.append(
            f"\n**{family}**, left/right partition (max |Δλ| between methods where they overlap: {worst:.1e})\n"
        )
        lines.append(
            "| method | largest N in 10 s | time there (s) | time at N = "
            + f"{common} (s) | ratio to network at N = {common} |"
        )
        lines.append("|---|---|---|---|---|")
        base = times["network"].get(common, float("nan"))
        for m in METHODS:
            t_best = times[m].get(best[m], float("nan"))
            t_common = times[m].get(common, float("nan"))
            lines.append(f"| {m} | {label[m]} | {t_best:.3f} | {t_common:.4f} | {t_common / base:.1f}x |")
        all_n = sorted({n for m in METHODS for n in times[m]})
        lines.append("\nAll timings (s):\n")
        lines.append("| N | " + " | ".join(METHODS) + " |")
        lines.append("|---|" + "---|" * len(METHODS))
        for n in all_n:
            cells = [f"{times[m][n]:.4f}" if n in times[m] else "-" for m in METHODS]
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
        "have 2^32 entries); each method's sizes grow until one run takes over 10 s.",
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
    args = parser.parse_args()
    body = bench(args.limit)
    print("\n".join(body))
    if args.readme is not None:
        write_readme(
            args.readme,
            body,
            "PYTHONPATH=src python benchmarks/bench_entanglement.py --readme benchmarks/README.md",
        )


if __name__ == "__main__":
    main()
