"""``convac experiment feature-order``: which feature order lets a small weight-sharing CNN learn best.

The flags are the fields of ``FeatureOrderConfig``, with its defaults.
"""

from __future__ import annotations

import argparse

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import add_executor_flags, add_no_progress, str_list
from convac.experiments import feature_order as experiment

__all__: list[str] = []

DESCRIPTION = (
    "For each offline dataset and seed, train the same small CNN on the features in their natural order, "
    "in a random order, and in the order each rearrange_features method finds from the random one; "
    "record test accuracy, the canonical entanglement per pooling level, and the neighbours kept. Finished "
    "cells are saved in --out/results.jsonl, so a re-run resumes; writes table.md, results.csv and accuracy.png. "
    "--report only writes them, from --out/results.jsonl and the results files given to --include."
)
EPILOG = (
    "examples:\n"
    "  convac experiment feature-order --out fo --datasets gunpoint,breast_cancer --seeds 0\n"
    "  convac experiment feature-order --out docs/results/feature_order\n"
    "  convac experiment feature-order --out docs/results/feature_order/ucr_gap --net-1d gap --epochs-small 500 "
    "--lr 0.001 --datasets osuleaf,arrowhead,gunpoint,italypowerdemand --seeds 0,1,2,3,4 --workers 2\n"
    "  convac experiment feature-order --out docs/results/feature_order --report "
    "--include docs/results/feature_order/2d"
)

FIELDS = {
    "datasets": Field("comma-separated datasets: " + ", ".join(experiment.DATASETS)),
    "seeds": Field("comma-separated seeds (permutation, split, initialisation)"),
    "orders": Field(
        "comma-separated orders to run: " + ", ".join(experiment.ORDERS) + ", and methods the suite does not run "
        "unless asked: " + ", ".join(experiment.EXTRA_ORDERS)
    ),
    "epochs_1d": Field("training epochs on MNIST-1D"),
    "epochs_small": Field("training epochs on the UCR sets, breast_cancer and digits"),
    "epochs_2d": Field("training epochs on mnist5k"),
    "batch_size": Field("samples per optimiser step"),
    "lr": Field("learning rate of the 1D CNN (Adam)"),
    "lr_2d": Field("learning rate of the 2D CNN (digits, mnist5k)"),
    "n_entanglement": Field("training samples whose canonical entanglement is measured"),
    "max_blocks": Field("blocks evaluated per canonical level, drawn at random"),
    "theta": Field("feature map angle: phi(x) = (cos(pi theta x/2), sin(...))"),
    "bisector": Field("bisection of the entanglement methods", choices=("auto", "metis", "kernighan_lin")),
    "net_1d": Field(
        "1D network: strided (three strided convolutions and a dense layer over every position) or gap "
        "(fully convolutional, global average pooling; the committed UCR run trains it 500 epochs at lr 0.001: "
        "at 0.01 it fails to fit its training set on some seeds)",
        choices=experiment.NETS_1D,
    ),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="results directory (resumed if it holds finished cells)")
    add_config_flags(p, experiment.FeatureOrderConfig, FIELDS)
    p.add_argument(
        "--report", action="store_true", help="run no cells: only write the table and figure from the results"
    )
    p.add_argument(
        "--include",
        type=str_list,
        default=(),
        metavar="PATHS",
        help="comma-separated results files (or folders holding results.jsonl) of other runs to add to the table",
    )
    add_executor_flags(p, 1, "cells run at once, one thread each (ray: CPUs of a local Ray)")
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    if not args.report:
        config = experiment.FeatureOrderConfig(**config_values(args, FIELDS))
        experiment.run_suite(
            args.out,
            config,
            progress=not args.no_progress,
            workers=args.workers,
            executor=args.executor,
            address=args.ray_address,
        )
    rows = experiment.summarize(args.out, include=args.include)
    print(f"{len(rows)} rows in {args.out}")
    return 0
