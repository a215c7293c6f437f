"""Experiments built on the library: training runs, sweeps, theorem checks.

Names load on first use (PEP 562): ``convac verify`` imports :mod:`convac.experiments.verify`
through this package, and must not pay for the torch imports of the training experiments.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convac.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
    from convac.experiments.digits import DigitsConfig, train_digits
    from convac.experiments.inductive_bias import Cell, Protocol, Sweep, profile, run_cell, run_sweep
