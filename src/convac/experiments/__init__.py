"""Experiments built on the library: training runs, sweeps, theorem checks."""

from convac.experiments.digits import DigitsConfig, train_digits

__all__ = ["DigitsConfig", "train_digits"]
