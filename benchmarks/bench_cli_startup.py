"""Wall time of `convac` commands, this checkout against another (e.g. the commit before lazy imports).

    PYTHONPATH=src python benchmarks/bench_cli_startup.py --base /tmp/base/src [--repeats 7]

Each command runs as a fresh `python -m convac.cli ...` process with PYTHONPATH set to the
tree's src; runs of the two trees alternate so that load on the machine hits both alike. Warm
repeats (the files are in the page cache after a first untimed run); min and median are printed.
An untimed first run of each command under `-X importtime` tells whether it imports torch.
`verify --suite shallow` writes to a fresh directory each run, so it computes every cell.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "analyze (16 inputs)": ["analyze", "--inputs", "16", "--channels", "4,4,2,2"],
    "design, explicit paper geometry": [
        *("design", "--grid", "64x64", "--features", "10", "--outputs", "10", "--shared"),
        *("--budget", "2384", "--profile", "local"),
    ],
    "design --profile local (as typed)": ["design", "--profile", "local"],
    "verify --suite shallow": ["verify", "--suite", "shallow", "--no-progress"],
}


def _run(src: str, argv: list[str], scratch: Path, importtime: bool = False) -> tuple[float, int, bool]:
    if argv[0] == "verify":
        argv = [*argv, "--out", tempfile.mkdtemp(dir=scratch)]
    env = {**os.environ, "PYTHONPATH": src}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "convac.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=scratch,
    )
    seconds = time.perf_counter() - start
    torch = any(line.rsplit("|", 1)[-1].strip() == "torch" for line in proc.stderr.splitlines())
    return seconds, proc.returncode, torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="src folder of the tree to compare with")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per command and tree (default 7)")
    parser.add_argument("--only", help="run only the commands whose label contains this text")
    args = parser.parse_args()
    trees = {"base": args.base, "this": str(Path(__file__).resolve().parents[1] / "src")}
    print(f"python {sys.version.split()[0]}; base = {trees['base']}; this = {trees['this']}; {args.repeats} warm runs")
    print("| command | tree | exit | torch imported | min (s) | median (s) |\n|---|---|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for label, argv in COMMANDS.items():
            if args.only and args.only not in label:
                continue
            times: dict[str, list[float]] = {name: [] for name in trees}
            info: dict[str, tuple[int, bool]] = {}
            for name, src in trees.items():  # untimed: warms the page cache and .pyc files, lists imports
                _, code, torch = _run(src, argv, scratch, importtime=True)
                info[name] = (code, torch)
            for _ in range(args.repeats):
                for name, src in trees.items():
                    times[name].append(_run(src, argv, scratch)[0])
            for name in trees:
                code, torch = info[name]
                print(
                    f"| `convac {' '.join(argv)}` | {name} | {code} | {'yes' if torch else 'no'} | "
                    f"{min(times[name]):.2f} | {statistics.median(times[name]):.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
