"""``convac train``: a deep 2D ConvAC on the bundled 8x8 digits; flags and defaults are DigitsConfig's."""

from __future__ import annotations

import argparse
import json

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import add_json, add_no_progress
from convac.experiments import digits as experiment

__all__: list[str] = []

DESCRIPTION = (
    "Train a deep 2D ConvAC (Gaussian representation, 2x2 product pooling, three hidden "
    "layers) on the 8x8 digits bundled with scikit-learn, and print the loss and accuracies per epoch."
)
EPILOG = "examples:\n  convac train --epochs 5\n  convac train --channels 16,16,16 --weights signed --json"

# The DigitsConfig fields on the command line; every default is the dataclass's.
FIELDS = {
    "epochs": Field("passes over the training split"),
    "seed": Field("seed of the weights and of the train/test split", minimum=0),
    "channels": Field("three comma-separated layer widths"),
    "n_features": Field("number M of Gaussian features", flag="--features"),
    "lr": Field("learning rate"),
    "weights": Field(
        "positive (each weight exp of a parameter; logits log h_y) or signed (plain real; logits: unit score "
        "vector times a learned temperature)",
        choices=("positive", "signed"),
    ),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_flags(p, experiment.DigitsConfig, FIELDS)
    add_json(p, "print the configuration and history as JSON")
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    config = experiment.DigitsConfig(**config_values(args, FIELDS))
    model, result = experiment.train_digits(config, progress=not args.no_progress)
    if args.json:
        print(json.dumps({"config": config.to_dict(), "history": result.history}, indent=1))
        return 0
    print(model.arch.summary())
    for rec in result.history:
        print(
            f"epoch {rec['epoch']:3d}  loss {rec['loss']:.4f}  train {rec['train_accuracy']:.4f}  "
            f"test {rec['test_accuracy']:.4f}  ({rec['seconds']:.1f} s)"
        )
    print(f"test accuracy {result.test_accuracy:.4f}")
    return 0
