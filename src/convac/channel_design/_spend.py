"""Spending what the constraints leave free: the rules of :data:`SPEND_RULES` and the bounds they build on.

A rule turns the levels' requirements (``ln mincut_l >= required_l``), their measured entanglement and
one extra amount ``x >= 0`` into real widths; :func:`convac.channel_design._feasible.continuous_widths`
finds the ``x`` whose parameter count is the budget. The rules are described in
:mod:`convac.channel_design._feasible` (*Spending what is free*).

Examples
--------
>>> from convac import Architecture
>>> arch = Architecture.deep_1d(16, 4, [1] * 4, shared=True)
>>> req, ent = np.array([0.7, 0.8, 1.0, 0.8]), np.array([0.0, 0.1, 0.3, 0.1])
>>> np.round(SPEND_RULES["proportional"](arch, req, ent, 1.0), 2)  # the most entangled level's own width grows most
array([2.23, 3.11, 7.39, 3.11])
>>> np.round(SPEND_RULES["entanglement"](arch, req, ent, 1.0), 2)  # equal log-slack, on both bonds of each level
array([6.05, 7.39, 7.39, 6.05])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convac.errors import InputError
from convac.spec import Architecture

__all__ = [
    "DEFAULT_SPEND",
    "SPEND_RULES",
    "SpendRule",
    "bonds_inside",
    "input_caps",
    "lower_bounds",
    "needed_widths",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_TOL = 1e-9

SpendRule = Literal["proportional", "entanglement", "uniform"]
DEFAULT_SPEND: SpendRule = "proportional"
"""The default rule for the budget the constraints leave free (module docstring, *Spending what is free*)."""


def bonds_inside(level: int, layer: int, ndim: int) -> int:
    """Count the layer-``layer`` bonds a level-``level`` block must cut to stand alone.

    Its own conv output at ``layer == level``, else one pooling delta per layer-``layer`` window inside it.
    """
    return 1 if layer == level else 2 ** ((level - 1 - layer) * ndim)


def needed_widths(template: Architecture, required: FloatArray) -> FloatArray:
    """Smallest real width per layer with ``ln mincut_l >= required_l`` at every level (module docstring)."""
    d, depth = template.ndim, template.depth
    need = np.ones(depth)
    for level in range(depth):
        inputs = 2 ** (level * d)
        if required[level] > inputs * math.log(template.n_features) + _TOL:
            raise InputError(
                f"level {level} (blocks of side {2**level}) needs ln min-cut >= {required[level]:.4g} nats, but its "
                f"{inputs} input edge(s) of M={template.n_features} features allow at most "
                f"{inputs * math.log(template.n_features):.4g}: no width fits; lower the margin or use more features"
            )
        for k in range(level + 1):
            need[k] = max(need[k], math.exp(required[level] / bonds_inside(level, k, d)))
    return need


def lower_bounds(template: Architecture, required: FloatArray) -> IntArray:
    """Smallest whole width per layer with ``ln mincut_l >= required_l`` at every level."""
    return np.ceil(needed_widths(template, required) * (1 - 1e-12)).astype(np.int64)


def input_caps(template: Architecture) -> FloatArray:
    """Largest ``ln mincut`` per level whatever the widths: its input edges, ``(2^l)^d ln M``."""
    return np.asarray([2 ** (lv * template.ndim) * math.log(template.n_features) for lv in range(template.depth)])


def _equal_slack(template: Architecture, required: FloatArray, entropy: FloatArray, extra: float) -> FloatArray:
    # every level asks ``extra`` nats more (up to what its inputs allow): the max-min slack allocation
    return needed_widths(template, np.minimum(required + extra, input_caps(template)))


def _common_width(template: Architecture, required: FloatArray, entropy: FloatArray, extra: float) -> FloatArray:
    # one common width exp(extra) wherever the constraints ask for less
    return np.maximum(needed_widths(template, required), math.exp(extra))


def _proportional_slack(template: Architecture, required: FloatArray, entropy: FloatArray, extra: float) -> FloatArray:
    # the constraints stay on both bonds of every level (needed_widths); the spare goes to each level's own
    # width, log-slack ``extra * S_l / max S``: one common factor on the measured entanglement (module docstring)
    caps = input_caps(template)
    top = float(entropy.max())
    share = entropy / top if top > 0 else np.ones_like(entropy)
    # once the most entangled level's own width is at its input cap, the rest is spent as equal log-slack
    full = max(float((caps - required)[share >= 1.0 - 1e-12].max()), 0.0)
    own = np.exp(np.minimum(required + extra * share + max(extra - full, 0.0), caps))
    # past ``saturated`` every own width is at its cap; what is left goes to both bonds of every level as
    # equal log-slack, so this rule can spend as much as the entanglement rule (a 4x4 Heisenberg design
    # at 727 parameters could not be reached from the own widths alone)
    saturated = full + max(float((caps - required).max()), 0.0)
    both = _equal_slack(template, required, entropy, max(extra - saturated, 0.0))
    return np.maximum(np.maximum(needed_widths(template, required), own), both)


SPEND_RULES: dict[str, Callable[[Architecture, FloatArray, FloatArray, float], FloatArray]] = {
    "proportional": _proportional_slack,
    "entanglement": _equal_slack,
    "uniform": _common_width,
}
"""Rules that spend the budget the constraints leave free: real widths for an extra amount (module docstring)."""


def param_counts(template: Architecture, channels: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``Architecture.n_params`` of every row of ``channels`` (ints or reals), vectorised."""
    copies = [1 if template.shared else template.positions(layer) for layer in range(template.depth)]
    prev: npt.NDArray[Any] = np.full(channels.shape[0], template.n_features, dtype=channels.dtype)
    total: npt.NDArray[Any] = np.zeros(channels.shape[0], dtype=channels.dtype)
    for layer in range(template.depth):
        total = total + copies[layer] * prev * channels[:, layer]
        prev = channels[:, layer]
    return total + prev * template.n_outputs
