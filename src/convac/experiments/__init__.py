"""Experiments built on the library: training runs, sweeps, theorem checks."""

from convac.experiments.digits import DigitsConfig, train_digits
from convac.experiments.inductive_bias import Cell, Protocol, Sweep, profile, run_cell, run_sweep

__all__ = ["Cell", "DigitsConfig", "Protocol", "Sweep", "profile", "run_cell", "run_sweep", "train_digits"]
