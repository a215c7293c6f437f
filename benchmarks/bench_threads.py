"""Thread oversubscription: CPU time of the parallel commands before and after the per-worker thread limits.

Run from the repository root (not part of the test suite; minutes):

    PYTHONPATH=src python benchmarks/bench_threads.py                 # verify (1 and 2 workers) and demo
    PYTHONPATH=src python benchmarks/bench_threads.py --skip-demo     # verify only
    PYTHONPATH=src python benchmarks/bench_threads.py --before 6bbaedd

Each command runs as ``python -m convac.cli ...`` twice in this one run: on the source tree of the
``--before`` commit (``git archive`` into a temporary folder) and on this tree (``src``), same seed,
same arguments, no thread environment variables set. Reported: CPU seconds of the command and every
worker it spawned (``resource.getrusage(RUSAGE_CHILDREN)``), wall seconds, and for ``verify`` CPU-ms
per case; the ratio is before / after. The machine is shared, so wall times move with the load; CPU
time is what oversubscribed thread pools waste (spinning OpenMP/BLAS threads).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(src: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """CPU and wall seconds of ``python -m convac.cli ARGS`` importing convac from ``src``."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    env["PYTHONPATH"] = str(src)
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "convac.cli", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return children_cpu() - cpu, time.perf_counter() - wall


def verify_cases(out: Path) -> int:
    """Cases verified: each record after a results file's header line is one architecture with its ``cases``."""
    return sum(json.loads(line)["cases"] for f in out.glob("*.jsonl") for line in f.read_text().splitlines()[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="6bbaedd", help="git revision of the 'before' tree")
    parser.add_argument("--skip-demo", action="store_true", help="verify only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        old = tmp / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.before, "src"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        trees = {"before": old / "src", "after": ROOT / "src"}
        commands = [
            ("verify --suite paper --workers 1", ["verify", "--suite", "paper", "--workers", "1", "--no-progress"]),
            ("verify --suite paper --workers 2", ["verify", "--suite", "paper", "--workers", "2", "--no-progress"]),
        ]
        if not args.skip_demo:
            commands.append(("demo --epochs 1", ["demo", "--epochs", "1"]))
        print(f"before = {args.before}, after = this tree; cores this process may use: {len(os.sched_getaffinity(0))}")
        print("\n| command | tree | CPU s | wall s | CPU-ms per case | CPU before / after |")
        print("|---|---|---:|---:|---:|---:|")
        for number, (label, argv) in enumerate(commands):
            cpu: dict[str, float] = {}
            for tree, src in trees.items():
                out = tmp / f"{tree}-{number}"  # a fresh folder per run: nothing to resume
                cpu[tree], wall = run(src, [*argv, "--out", str(out)], tmp)
                per_case = f"{1000 * cpu[tree] / verify_cases(out):.2f}" if argv[0] == "verify" else "-"
                ratio = f"{cpu['before'] / cpu['after']:.2f}x" if tree == "after" else ""
                print(f"| {label} | {tree} | {cpu[tree]:.1f} | {wall:.1f} | {per_case} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
