"""Experiments built on the library: training runs, sweeps, theorem checks.

Names load on first use (PEP 562): ``convac verify`` imports :mod:`convac.experiments.verify`
through this package, and must not pay for the torch imports of the training experiments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convac._lazy import lazy_attributes

# public name -> module that defines it; resolved on first attribute access
_LAZY: dict[str, str] = {
    "DigitsConfig": "convac.experiments.digits",
    "train_digits": "convac.experiments.digits",
    "Cell": "convac.experiments.inductive_bias",
    "Protocol": "convac.experiments.inductive_bias",
    "Sweep": "convac.experiments.inductive_bias",
    "profile": "convac.experiments.inductive_bias",
    "run_cell": "convac.experiments.inductive_bias",
    "run_sweep": "convac.experiments.inductive_bias",
}

__all__ = ["Cell", "DigitsConfig", "Protocol", "Sweep", "profile", "run_cell", "run_sweep", "train_digits"]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals(), __all__)


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
    from convac.experiments.digits import DigitsConfig, train_digits
    from convac.experiments.inductive_bias import Cell, Protocol, Sweep, profile, run_cell, run_sweep
