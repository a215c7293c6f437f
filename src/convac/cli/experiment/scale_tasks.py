"""``convac experiment scale-tasks``: synthetic tasks whose label lives at one scale, every arm at one budget.

The flags are the fields of ``ScaleTasksConfig``, with its defaults.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import add_no_progress
from convac.experiments.scale_tasks.config import DESIGN_METHODS, ScaleTasksConfig

__all__: list[str] = []

DESCRIPTION = (
    "For each scale (short, middle, long: the label is whether a marked pair of positions at that distance "
    "agrees), train the same ConvAC family with wide-base, wide-middle, wide-tip, uniform and designed widths "
    "at exactly one parameter count, over several seeds; report mean ± sd accuracy, the paired gap to the best "
    "other hand-made arm with a 95% t-interval and a sign test, and whether the design picked the right shape. "
    "Finished cells are saved in --out/results.jsonl, so a re-run resumes; another --design-method reruns only "
    "the designed cells."
)
EPILOG = (
    "examples:\n"
    "  convac experiment scale-tasks --out st --seeds 0,1 --epochs 10\n"
    "  convac experiment scale-tasks --out st --arms designed --design-method objective"
)

# The ScaleTasksConfig fields on the command line; every default is the dataclass's.
FIELDS = {
    "scales": Field("comma-separated scales: short, middle, long"),
    "arms": Field("comma-separated arms: wide_base, wide_middle, wide_tip, uniform, designed"),
    "seeds": Field("comma-separated seeds", minimum=0),
    "n_positions": Field("sequence length (a power of two)"),
    "n_types": Field("mark types (the representation has n_types + 1 symbols)"),
    "n_train": Field("training samples per cell"),
    "n_test": Field("test samples per cell"),
    "budget": Field("target parameter count (the arms share the exact count nearest it that fits them)"),
    "epochs": Field("training epochs"),
    "batch_size": Field("samples per optimiser step"),
    "lr": Field("Adam learning rate"),
    "restarts": Field("trainings per cell; the one with the lowest final training loss is kept (every arm alike)"),
    "design_method": Field("how the designed arm reads the data profile", choices=DESIGN_METHODS),
    "theta": Field("feature map angle of the data profile: phi(x) = (cos(pi theta x/2), sin(...))"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration)")
    add_config_flags(p, ScaleTasksConfig, FIELDS)
    p.add_argument("--restart", action="store_true", help="delete --out's results first")
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    from convac.experiments.scale_tasks import run_scale_tasks

    config = ScaleTasksConfig(**config_values(args, FIELDS))
    rows = run_scale_tasks(args.out, config, progress=not args.no_progress, restart=args.restart)
    print(f"{len(rows)} rows in {args.out}")
    table = Path(args.out) / "table.md"
    if table.exists():
        print(table.read_text(), end="")
    return 0
