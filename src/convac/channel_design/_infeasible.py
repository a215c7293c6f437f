"""What a feasibility design does when the budget cannot meet every level: refuse, fall short evenly, or drop.

Below the smallest feasible budget (the count of the narrowest widths that meet every level) there are
two ways to give a design anyway. ``closest`` lowers every requirement by one common amount, the largest
that fits (the max-min slack, now negative): every level falls short by the same nats, and the free
levels are narrowed to pay for it. ``drop`` leaves the fewest most demanding levels without a floor and
meets every other one in full, so no layer is narrowed to approach a requirement the budget cannot meet
anyway. A ConvAC's rank bound on a short cut grows with every width there, which ``closest`` buys; a
ReLU net measured better with ``drop`` (the findings on the paper's global task).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from convac.channel_design._spend import lower_bounds, param_counts
from convac.errors import InputError
from convac.spec import Architecture

__all__ = ["INFEASIBLE", "fall_short"]

INFEASIBLE: tuple[str, ...] = ("raise", "closest", "drop")
"""What :func:`~convac.channel_design.design_feasible` does below the smallest feasible budget."""

FloatArray = npt.NDArray[np.float64]


def fall_short(template: Architecture, required: FloatArray, budget: int, mode: str) -> tuple[float, tuple[int, ...]]:
    """Return ``(shortfall, dropped)`` for ``budget``: ``(0.0, ())`` when every level fits, else per ``mode``.

    ``mode`` is ``"raise"`` (refuse, naming the most demanding level), ``"closest"`` (a negative common
    shortfall) or ``"drop"`` (the indices of the levels left without a floor).

    Examples
    --------
    >>> from convac.spec._paper import paper_architecture
    >>> t = paper_architecture([1] * 6)
    >>> fall_short(t, np.array([0.8, 0.9, 1.1, 1.5, 2.2, 3.9]), 1416, "drop")
    (0.0, (5,))
    >>> round(fall_short(t, np.array([0.8, 0.9, 1.1, 1.5, 2.2, 3.9]), 1416, "closest")[0], 3)
    -0.533
    """
    lo = lower_bounds(template, required)
    floor = _floor_count(template, required)
    if floor <= budget:
        return 0.0, ()
    if mode == "raise":
        worst = int(np.argmax(required))
        raise InputError(
            f"the widths the entanglement requires ({lo.tolist()}) need {floor} parameters, above the budget "
            f"{budget}; the most demanding is level {worst} (blocks of side {2**worst}, S + margin = "
            f"{required[worst]:.3f} nats, width >= {lo[worst]}): raise the budget, lower the margin, or ask "
            "for the closest design (infeasible='closest', --closest) or one that drops the levels the "
            "budget cannot carry (infeasible='drop', --drop-unmet)"
        )
    if mode == "closest":
        return _shortfall(template, required, budget), ()
    return 0.0, _dropped(template, required, budget)


def _dropped(template: Architecture, required: FloatArray, budget: int) -> tuple[int, ...]:
    """Return the fewest most demanding levels whose dropping lets the other levels' floors fit the budget."""
    order = np.argsort(-required, kind="stable")
    for k in range(1, len(order) + 1):
        kept = required.copy()
        kept[order[:k]] = 0.0
        if _floor_count(template, kept) <= budget:
            return tuple(sorted(int(i) for i in order[:k]))
    raise InputError(f"the budget {budget} is below the cheapest network (every width 1) on this grid")


def _shortfall(template: Architecture, required: FloatArray, budget: int) -> float:
    """Return the largest ``x <= 0`` whose requirements ``required + x`` fit the budget: the max-min slack."""

    def fits(x: float) -> bool:
        return _floor_count(template, np.maximum(required + x, 0.0)) <= budget

    low, high = -float(required.max()), 0.0
    if not fits(low):
        raise InputError(f"the budget {budget} is below the cheapest network (every width 1) on this grid")
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


def _floor_count(template: Architecture, required: FloatArray) -> int:
    """Return the parameter count of the narrowest widths meeting ``required`` at every level."""
    return int(param_counts(template, lower_bounds(template, required)[None, :])[0])
