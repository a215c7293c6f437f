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
    "per cell, wide-base minus wide-tip per seed (paired mean, 95 % CI, t and sign tests, task x schedule "
    "interaction), and every other schedule (a designed net) against each baseline and their mean on the same "
    "seeds."
)
EPILOG = (
    "examples:\n  convac experiment report runs/paper-r6 runs/paper-r6-designed-local --out runs/r6-all\n"
    "  convac experiment report runs/r6 runs/r6-uniform runs/r6-designed --baselines wide_base,wide_tip,uniform "
    "--out runs/r6-vs-three"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="+", help="sweep --out directories or their results.jsonl files")
    p.add_argument("--out", required=True, help="directory for table.md, table.csv and figure.png")
    p.add_argument(
        "--baselines",
        help="comma-separated schedules every other schedule is compared with, each and their mean "
        "(default: wide_base,wide_tip)",
    )


def run(args: argparse.Namespace) -> int:
    records = report.merge_results(args.results)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory for the report")
    baselines = None if args.baselines is None else [n.strip() for n in args.baselines.split(",") if n.strip()]
    files = report.write_report(records, out, baselines)
    print(f"{len(records)} cells from {len(args.results)} sources; report in {out}")
    print(files["table_md"].read_text(), end="")
    return 0
