"""TEMPORARY re-export shim (delete at merge): the PyTorch-CNN analysis moved to :mod:`convac.fx`.

``load_module`` keeps the old lookup of a ``MODULE:ATTRIBUTE`` in the working directory (without
touching ``sys.path``) until the command line puts the working directory on ``sys.path`` itself
and calls :func:`convac.fx.load_module_object`; ``_example_net`` stays until the command line's
tests name ``tests/fx/cnn_shapes.py:example_net`` instead.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from convac.analysis._analyze import analyze_general
from convac.analysis._twins import pooling_twin, tree_twin
from convac.fx import SUPPORTED_LAYERS, analyze_module, load_module_object, module_architecture

__all__ = [
    "SUPPORTED_LAYERS",
    "analyze_general",
    "analyze_module",
    "load_module",
    "module_architecture",
    "pooling_twin",
    "tree_twin",
]


def load_module(spec: str) -> Any:
    """:func:`convac.fx.load_module_object`, also finding a top-level ``NAME.py`` in the working directory."""
    if isinstance(spec, str):
        location, sep, attr = spec.rpartition(":")
        location = location.strip()
        if sep and location.isidentifier() and importlib.util.find_spec(location) is None:
            candidate = os.path.join(os.getcwd(), f"{location}.py")
            if os.path.isfile(candidate):
                return load_module_object(f"{candidate}:{attr}")
    return load_module_object(spec)


def _example_net() -> Any:
    """Return a small CNN for the command line's tests (a copy of ``tests/fx/cnn_shapes.py:example_net``)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2),
    )  # fmt: skip
