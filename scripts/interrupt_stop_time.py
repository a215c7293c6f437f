r"""How long a convac command takes to stop after Ctrl-C (SIGINT) or SIGTERM, workers included.

Starts the command in its own process group (as a terminal starts a job), waits until it is
busy, sends the signal to the whole group (as Ctrl-C does), and prints when each of its
processes (the command, its workers, multiprocessing's resource tracker) is gone.

    PYTHONPATH=src python scripts/interrupt_stop_time.py SIGINT busy=20 -- \\
        convac experiment inductive-bias --workers 2 --out runs/x
    PYTHONPATH=src python scripts/interrupt_stop_time.py SIGTERM lines=verify-results/paper.jsonl,1 -- \\
        convac verify --workers 2

When the signal is sent: ``busy=S`` S seconds after two worker processes exist; ``lines=PATH,H``
once PATH has a line beyond its H header lines (a finished cell is on disk); ``glob=PATTERN``
once a file matches (e.g. a checkpoint).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import signal
import subprocess
import time
from collections.abc import Callable

import psutil


def _ready_check(spec: str, processes: dict[int, str]) -> Callable[[], bool]:
    kind, _, arg = spec.partition("=")
    busy_since: list[float] = []

    def ready() -> bool:
        if kind == "lines":
            path, header = arg.rsplit(",", 1)
            with contextlib.suppress(FileNotFoundError), open(path) as fh:
                return len(fh.read().splitlines()) > int(header)
            return False
        if kind == "glob":
            return bool(glob.glob(arg))
        if kind == "busy":
            if not busy_since and sum("multiprocessing-fork" in c for c in processes.values()) >= 2:
                busy_since.append(time.monotonic())
            return bool(busy_since) and time.monotonic() - busy_since[0] >= float(arg)
        raise SystemExit(f"unknown condition {spec!r}; use busy=S, lines=PATH,H or glob=PATTERN")

    return ready


def main() -> None:
    """Start the command, signal its process group once busy, and print when each process is gone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("signal", choices=["SIGINT", "SIGTERM"])
    parser.add_argument("when", help="busy=SECONDS | lines=PATH,HEADER_LINES | glob=PATTERN")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    signum = getattr(signal, args.signal)

    def default_ctrl_c() -> None:  # a job started from a script has SIGINT ignored; a terminal's has not
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_ctrl_c,
    )
    processes: dict[int, str] = {}

    def scan() -> None:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    processes.setdefault(child.pid, " ".join(child.cmdline()))

    ready = _ready_check(args.when, processes)
    while not ready():
        if proc.poll() is not None:
            raise SystemExit(f"the command ended before the signal: {proc.communicate()[1][-2000:]}")
        scan()
        time.sleep(0.05)
    scan()
    processes[proc.pid] = "the command"
    sent = time.monotonic()
    print(f"busy after {sent - start:.1f} s; sending {args.signal} to its process group", flush=True)
    os.killpg(proc.pid, signum)
    gone: dict[int, float] = {}
    while len(gone) < len(processes) and time.monotonic() - sent < 120:
        for pid in processes.keys() - gone.keys():
            if pid == proc.pid:
                if proc.poll() is not None:
                    gone[pid] = time.monotonic() - sent
                continue
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    gone[pid] = time.monotonic() - sent
            except psutil.NoSuchProcess:
                gone[pid] = time.monotonic() - sent
        time.sleep(0.005)
    _, err = proc.communicate()
    for pid, what in processes.items():
        name = "worker" if "multiprocessing-fork" in what else ("tracker" if "resource_tracker" in what else what)
        print(f"  pid {pid} ({name[:40]}): gone after {gone.get(pid, float('nan')):.2f} s")
    print(f"all gone {max(gone.values()):.2f} s after the signal; exit code {proc.returncode}")
    print("last stderr line:", err.strip().splitlines()[-1] if err.strip() else None)


if __name__ == "__main__":
    main()
