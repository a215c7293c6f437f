"""``convac experiment data-entanglement``: data entanglement against what a CNN learns.

The flags are the fields of ``ValidationConfig``, with its defaults.
"""

from __future__ import annotations

import argparse

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import add_no_progress
from convac.experiments import data_entanglement as experiment

__all__: list[str] = []

DESCRIPTION = (
    "For each dataset and seed, train the same CNN on the features in their natural order, in a random "
    "order and in the order rearrange_features finds, and measure the data entanglement per pooling level "
    "of each order: does lower entanglement at the short scales go with higher test accuracy? Finished "
    "cells are saved in --out/cells, so a re-run resumes; writes table.md, results.csv and figures."
)
EPILOG = (
    "examples:\n"
    "  convac experiment data-entanglement --out de --datasets mnist1d --seeds 0\n"
    "  convac experiment data-entanglement --out de-paper --seeds 0,1,2"
)

# The ValidationConfig fields on the command line; every default is the dataclass's.
FIELDS = {
    "datasets": Field("comma-separated datasets: mnist1d, mnist5k"),
    "seeds": Field("comma-separated seeds"),
    "n_test": Field("test samples per dataset"),
    "epochs_1d": Field("training epochs of the 1D CNN (MNIST-1D)"),
    "epochs_2d": Field("training epochs of the 2D CNN"),
    "batch_size": Field("samples per optimiser step"),
    "lr_1d": Field("learning rate of the 1D CNN"),
    "lr_2d": Field("learning rate of the 2D CNN"),
    "n_entanglement": Field("training samples whose data entanglement is measured"),
    "max_blocks": Field("blocks evaluated per level, drawn at random"),
    "theta": Field("feature map angle: phi(x) = (cos(pi theta x/2), sin(...))"),
    "method": Field("rearrangement: auto, metis or kernighan_lin"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="results directory (resumed if it holds finished cells)")
    add_config_flags(p, experiment.ValidationConfig, FIELDS)
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    config = experiment.ValidationConfig(**config_values(args, FIELDS))
    rows = experiment.run_validation(args.out, config, progress=not args.no_progress)
    print(f"{len(rows)} rows in {args.out}")
    return 0
