"""``convac demo``: the tour of every capability, written as a markdown report."""

from __future__ import annotations

import argparse

from convac.cli._flags import add_seed, add_threads, int_option

__all__: list[str] = []

DESCRIPTION = (
    "Walk through every capability on a 16-input deep 1D ConvAC: its architecture and tensor "
    "network, entanglement against min-cut for several partitions, channel designs and a short training "
    "run on the bundled digits. Writes a markdown report with figures; exit code 1 if the network "
    "contraction disagrees with the dense coefficient tensor."
)
EPILOG = "example:\n  convac demo --out convac-report --epochs 3"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="convac-report", help="report folder (created)")
    add_seed(p, "seed for every weight, input and split")
    int_option(p, "--epochs", 1, default=3, help="epochs of the short training run")
    add_threads(p, 1, "its networks are small, and two threads took 5x the CPU time of one on a shared 2-core machine")


def run(args: argparse.Namespace) -> int:
    from convac._threads import thread_limit
    from convac.experiments.tour import run_tour

    with thread_limit(args.threads):
        result = run_tour(out_dir=args.out, seed=args.seed, epochs=args.epochs)
    return 0 if result.max_relative_error < 1e-8 else 1
