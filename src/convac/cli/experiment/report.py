"""``convac experiment report``: one table and figure from several inductive-bias sweeps."""

from __future__ import annotations

import argparse
from pathlib import Path

from convac.errors import InputError
from convac.experiments.inductive_bias import report

__all__: list[str] = []

DESCRIPTION = (
    "Merge the results of several `convac experiment inductive-bias` runs that used the same "
    "protocol (same digits, images and optimiser) into one table.md, table.csv and figure.png: accuracy "
    "per cell, wide-base minus wide-tip per seed, and every other schedule (a designed net) against the "
    "better of the two on the same seed."
)
EPILOG = "example:\n  convac experiment report runs/paper-r6 runs/paper-r6-designed-local --out runs/r6-all"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="+", help="sweep --out directories or their results.jsonl files")
    p.add_argument("--out", required=True, help="directory for table.md, table.csv and figure.png")


def run(args: argparse.Namespace) -> int:
    records = report.merge_results(args.results)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory for the report")
    files = report.write_report(records, out)
    print(f"{len(records)} cells from {len(args.results)} sources; report in {out}")
    print(files["table_md"].read_text(), end="")
    return 0
