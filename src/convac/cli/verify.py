"""``convac verify``: the exact check lower bound <= generic rank <= min-cut over suites of cases."""

from __future__ import annotations

import argparse
import sys

from convac.cli._flags import add_executor_flags, add_no_progress, add_seed, int_option

# no numpy: keeps --help fast; the verification itself is imported in run
from convac.experiments._suite_info import SUITE_DESCRIPTIONS

__all__: list[str] = []

DESCRIPTION = (
    "Exact check of the min-cut theorem: for every architecture and partition of a suite, "
    "the generic rank (exact, over GF(p) with random weights) must lie between the power-of-p lower "
    "bound and the min-cut. Results are appended to <out>/<suite>.jsonl as they finish, so an "
    "interrupted run resumes; a table is printed and saved at the end. Exit code 1 if a proven "
    "inequality fails. Suites: " + "; ".join(f"{name}: {text}" for name, text in SUITE_DESCRIPTIONS.items())
)
EPILOG = "examples:\n  convac verify --suite shallow\n  convac verify --suite paper --suite 2d --out checks"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--suite",
        action="append",
        choices=[*SUITE_DESCRIPTIONS, "all"],
        help="suite to run; repeat for several (default: all)",
    )
    p.add_argument("--full", action="store_true", help="run every architecture and partition of the grid")
    add_seed(p, "seed of the samples and weights")
    add_executor_flags(
        p,
        None,
        "worker processes, at most the cores this process may use; ray: CPUs of a local Ray (default: one per core)",
    )
    int_option(p, "--cells", 1, help="architectures per suite (default: the suite's sample size)")
    int_option(p, "--partitions", 1, help="partitions per architecture (default: the suite's sample size)")
    int_option(
        p, "--prime", 2, help="field size p, a prime <= 2^31-1 (default: 4194301 < 2^22, the float64 BLAS route)"
    )
    int_option(p, "--redraws", 0, help="fresh weight draws for a case below the min-cut or the bound (default: 2)")
    p.add_argument("--out", default="verify-results", help="directory for results and tables")
    p.add_argument("--restart", action="store_true", help="delete this run's results files in --out and start over")
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    from convac.experiments.verify import VERIFY_PRIME, VERIFY_REDRAWS, verify

    suites = None if not args.suite or "all" in args.suite else args.suite
    report = verify(
        suites,
        full=args.full,
        seed=args.seed,
        out=args.out,
        workers=args.workers,
        cells=args.cells,
        partitions=args.partitions,
        prime=VERIFY_PRIME if args.prime is None else args.prime,
        redraws=VERIFY_REDRAWS if args.redraws is None else args.redraws,
        progress=not args.no_progress,
        echo=print,
        restart=args.restart,
        executor=args.executor,
        address=args.ray_address,
    )
    saved = ", ".join(map(str, report.files[-2:]))
    print(f"wall time {report.wall_seconds:.1f} s; table saved to {saved}")
    if not report.ok:
        print("convac verify: a proven inequality FAILED (see the status column)", file=sys.stderr)
        return 1
    return 0
