"""``convac experiment function-entanglement``: trained ConvACs' entanglement per length scale vs min-cut.

The flags are the fields of ``FunctionEntanglementConfig``, with its defaults; ``--digits`` runs
``run_digits_tracking`` instead, whose own defaults apply to the flags it shares.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import add_no_progress, schedule_list
from convac.experiments import function_entanglement as experiment

__all__: list[str] = []

DESCRIPTION = (
    "Train wide-base and wide-tip ConvACs on the local and global tasks (or, with --digits, the "
    "bundled-digits ConvAC) and measure the entanglement of the function each computes (Schmidt values of "
    "the coefficient tensor with every mode weighted by the square root of the feature Gram) per length "
    "scale, against the min-cut at that scale and through training. Resumable; writes a table and figures."
)
EPILOG = (
    "examples:\n"
    "  convac experiment function-entanglement --out fe --seeds 0,1 --n-train 1000 --epochs 4\n"
    "  convac experiment function-entanglement --digits --seeds 0,1 --epochs 10 --out fe-digits"
)


def _digits_default(name: str) -> Any:
    return inspect.signature(experiment.run_digits_tracking).parameters[name].default


# The FunctionEntanglementConfig fields on the command line; every default is the dataclass's.
FIELDS = {
    "tasks": Field("comma-separated: local, global"),
    "schedules": Field("schedules, ';'-separated", parse=schedule_list),
    "seeds": Field("comma-separated seeds", minimum=0),
    "r": Field("width parameter r"),
    "epochs": Field(f"training epochs (default: {{default}}; {_digits_default('epochs')} with --digits)"),
    "n_train": Field("training images per task"),
    "n_test": Field("test images per task"),
    "lr": Field("Adam learning rate"),
    "batch_size": Field("images per training step"),
    "n_gram": Field("training images that define the feature Gram"),
    "max_cut": Field("probe only partitions with min-cut up to this"),
    "weights": Field("ConvAC weight kind", choices=("signed", "positive", "neutral")),
}
# The flags --digits uses, by run_digits_tracking's parameter names.
DIGITS = ("seeds", "epochs")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration)")
    add_config_flags(p, experiment.FunctionEntanglementConfig, FIELDS)
    p.add_argument(
        "--digits",
        action="store_true",
        help="instead: the bundled-digits ConvAC of 'convac train' (seeds and epochs apply; "
        f"default {_digits_default('epochs')} epochs)",
    )
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    given = config_values(args, FIELDS)
    if args.digits:
        kwargs = {k: v for k, v in given.items() if k in DIGITS}
        records = experiment.run_digits_tracking(args.out, progress=not args.no_progress, **kwargs)
    else:
        config = experiment.FunctionEntanglementConfig(**given)
        records = experiment.run_function_entanglement(config, args.out, progress=not args.no_progress)
    print(f"{len(records)} cells in {args.out}")
    table = Path(args.out) / "table.md"
    if table.exists():
        print(table.read_text(), end="")
    return 0
