"""The arms of the scale-task study: channel shapes, and integer widths at exactly one parameter budget.

Every arm is a deep 1D ConvAC on the same pooling tree (window 2) with the same first width
``r_0 = M`` (the representation's size: a single position has at most ``M`` independent
functions, so a wider first layer adds weights and no capacity). The arms differ in how the
widths of the levels above, block sides ``2, 4, ..., N/2``, share one parameter budget; a
*shape* gives one relative width per level, and :func:`equal_budget_widths` turns it into
integer widths whose :attr:`~convac.Architecture.n_params` equals the budget exactly.

Examples
--------
>>> shape = hand_made_shape("wide_tip", 3)
>>> shape
(1.0, 2.0, 4.0)
>>> budget, widths = equal_budget_widths({"wide_tip": shape, "uniform": (1, 1, 1)}, 120, n_features=3)
>>> [architecture(w, 16, 3).n_params for w in widths.values()] == [budget] * 2
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from convac.errors import InputError
from convac.spec import Architecture

__all__ = [
    "ARMS",
    "HAND_MADE",
    "architecture",
    "canonical_cut_capacities",
    "equal_budget_widths",
    "hand_made_shape",
    "widths_at_budget",
]

HAND_MADE: tuple[str, ...] = ("wide_base", "wide_middle", "wide_tip", "uniform")
"""The hand-made arms, named by where their widths are largest."""

ARMS: tuple[str, ...] = (*HAND_MADE, "designed")
"""Every arm: the hand-made ones and the design from the task's data-entanglement profile."""


def hand_made_shape(arm: str, n_levels: int) -> tuple[float, ...]:
    """Relative widths of the levels above the first (block sides 2, 4, ...) for a hand-made arm.

    ``wide_base`` halves from level to level (the paper's wide-base, largest at short range),
    ``wide_tip`` doubles (largest at the halves), ``wide_middle`` doubles up to the middle level
    and halves after it, ``uniform`` is flat.

    Examples
    --------
    >>> [hand_made_shape(a, 3) for a in HAND_MADE]
    [(4.0, 2.0, 1.0), (2.0, 4.0, 2.0), (1.0, 2.0, 4.0), (1.0, 1.0, 1.0)]
    """
    if arm not in HAND_MADE:
        raise InputError(f"unknown hand-made arm {arm!r}; choose one of {', '.join(HAND_MADE)}")
    if n_levels < 1:
        raise InputError(f"a shape needs at least one level above the first, got {n_levels}")
    if arm == "wide_base":
        return tuple(2.0 ** (n_levels - 1 - k) for k in range(n_levels))
    if arm == "wide_tip":
        return tuple(2.0**k for k in range(n_levels))
    if arm == "wide_middle":
        mid = (n_levels - 1) / 2
        return tuple(2.0 ** (1 + math.floor(mid) - math.ceil(abs(k - mid))) for k in range(n_levels))
    return (1.0,) * n_levels


def architecture(widths: Sequence[int], n_inputs: int, n_features: int, n_outputs: int = 2) -> Architecture:
    """Return the shared-weight deep 1D ConvAC (window 2) with these widths, first layer first.

    Examples
    --------
    >>> arch = architecture((4, 3, 7, 3), 16, 4)
    >>> arch.channels, arch.shared, arch.n_params  # 4*4 + 4*3 + 3*7 + 7*3 + 3*2
    ((4, 3, 7, 3), True, 76)
    """
    return Architecture.deep_1d(n_inputs, n_features, list(widths), n_outputs=n_outputs, shared=True)


def canonical_cut_capacities(widths: Sequence[int], n_inputs: int, n_features: int) -> tuple[int, ...]:
    """Return the min-cut of one block of each side ``1, 2, 4, ..., n_inputs / 2`` against the rest of the input.

    These are the canonical partitions the study's tasks live on: a task whose label needs ``k``
    states of a side-``t`` block needs a min-cut of at least ``k`` there (the theorem's bound on
    the rank). In a tree every block of one level has the same cut, so the first block stands for
    all. Exact, by :func:`convac.min_cut_values`. The cut of a side-``2^l`` block is the smaller
    of its own bond, ``min(w_{l-1}, w_l)``, and its two children's cuts multiplied, so the part of
    a layer's width beyond its wider neighbour adds weights and no capacity at any canonical cut.

    Examples
    --------
    >>> canonical_cut_capacities((4, 6, 10, 5), 16, 4)   # wide_middle at 160 weights
    (4, 4, 6, 5)
    >>> canonical_cut_capacities((4, 7, 8, 6), 16, 4)    # uniform at the same 160: no smaller anywhere
    (4, 4, 7, 6)
    >>> canonical_cut_capacities((4, 2, 5, 6), 16, 4)    # side 8: two side-4 cuts of 2 (2 * 2 < min(5, 6))
    (4, 2, 2, 4)
    """
    import numpy as np

    from convac.datatensor import canonical_levels
    from convac.mincut import min_cut_values

    arch = architecture(widths, n_inputs, n_features)
    levels = canonical_levels(arch.grid)
    masks = np.zeros((len(levels), n_inputs), dtype=bool)
    for row, level in enumerate(levels):
        masks[row, list(level.blocks[0])] = True
    return tuple(int(v) for v in min_cut_values(arch, masks))


def _params(widths: Sequence[int], n_features: int, n_outputs: int) -> int:
    chain = (n_features, *widths)
    return sum(a * b for a, b in itertools.pairwise(chain)) + widths[-1] * n_outputs


def _target(shape: tuple[float, ...], budget: int, n_features: int, n_outputs: int) -> list[float]:
    """Real widths ``x * shape`` whose (real) parameter count is ``budget``, by bisection on ``x``."""

    def cost(x: float) -> float:
        w = [x * s for s in shape]
        return (
            float(n_features) * (n_features + w[0]) + sum(a * b for a, b in itertools.pairwise(w)) + w[-1] * n_outputs
        )

    lo, hi = 0.0, 1.0
    while cost(hi) < budget:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cost(mid) < budget else (lo, mid)
    return [lo * s for s in shape]


def _closest(
    shape: tuple[float, ...], budget: int, n_features: int, n_outputs: int, spread: int | None
) -> tuple[float, tuple[int, ...]] | None:
    """Find the integer widths with exactly ``budget`` parameters closest in log to the real ones.

    Every level but the last ranges within ``spread`` of its real width (all widths up to the
    budget when ``spread`` is None); the last is then the one width that meets the budget, if it
    is a whole number: its layer costs ``w_last * (w_before + n_outputs)``.
    """
    target = _target(shape, budget, n_features, n_outputs)
    cap = max(1, budget // n_features)
    ranges = [
        range(1, cap + 1) if spread is None else range(max(1, round(t) - spread), round(t) + spread + 1)
        for t in target[:-1]
    ]
    best: tuple[float, tuple[int, ...]] | None = None
    for head in itertools.product(*ranges):
        chain = (n_features, n_features, *head)
        rest = budget - sum(a * b for a, b in itertools.pairwise(chain))
        last, remainder = divmod(rest, chain[-1] + n_outputs)
        if remainder or last < 1:
            continue
        cand = (*head, last)
        dist = math.sqrt(sum((math.log(c) - math.log(t)) ** 2 for c, t in zip(cand, target, strict=True)))
        if best is None or dist < best[0]:
            best = (dist, cand)
    return best


def equal_budget_widths(
    shapes: Mapping[str, Sequence[float]],
    budget: int,
    n_features: int,
    n_outputs: int = 2,
    *,
    window: float = 0.1,
    spread: int = 2,
) -> tuple[int, dict[str, tuple[int, ...]]]:
    """One parameter budget near ``budget`` and, per named shape, integer widths ``(M, w_1, ...)`` with exactly it.

    A shape's real widths ``x * shape`` meet a budget exactly; integer widths rarely do, and
    near small widths the closest integer vector with the exact count can be far from the shape.
    So the common budget is chosen among ``budget * (1 ± window)``: for each candidate, every
    shape takes the integer widths within ``spread`` of its real ones that have exactly that many
    parameters and are closest in log-widths (Euclidean); the budget whose worst shape is
    closest wins (ties: the one nearest ``budget``, then the smaller). Every arm then has the
    same :attr:`~convac.Architecture.n_params`, exactly. Raises :class:`~convac.errors.InputError`
    when no budget in the window fits every shape.

    Examples
    --------
    >>> shapes = {a: hand_made_shape(a, 3) for a in HAND_MADE}
    >>> budget, widths = equal_budget_widths(shapes, 100, n_features=3)
    >>> budget, widths["wide_base"], widths["wide_tip"]
    (103, (3, 10, 5, 2), (3, 3, 5, 10))
    >>> {architecture(w, 16, 3).n_params for w in widths.values()} == {budget}
    True
    """
    named = {name: tuple(float(v) for v in shape) for name, shape in shapes.items()}
    for name, shape in named.items():
        if not shape or min(shape) <= 0:
            raise InputError(f"shape {name!r} needs positive relative widths, got {shape}")
    lowest = max(_params([n_features] + [1] * len(s), n_features, n_outputs) for s in named.values())
    candidates = sorted(
        range(max(lowest + 1, math.floor(budget * (1 - window))), math.ceil(budget * (1 + window)) + 1),
        key=lambda b: (abs(b - budget), b),
    )
    best: tuple[float, int, dict[str, tuple[int, ...]]] | None = None
    for b in candidates:
        found = {name: _closest(shape, b, n_features, n_outputs, spread) for name, shape in named.items()}
        if any(f is None for f in found.values()):
            continue
        worst = max(f[0] for f in found.values() if f is not None)
        if best is None or worst < best[0] - 1e-12:
            best = (worst, b, {name: f[1] for name, f in found.items() if f is not None})
    if best is None:
        raise InputError(
            f"no budget within {window:.0%} of {budget} fits every shape exactly; raise the budget or the window"
        )
    return best[1], {name: (n_features, *w) for name, w in best[2].items()}


def widths_at_budget(
    shape: Sequence[float], budget: int, n_features: int, n_outputs: int = 2, max_spread: int = 8
) -> tuple[int, ...]:
    """Integer widths ``(M, w_1, ...)`` following one ``shape`` with exactly ``budget`` parameters.

    For an arm that joins a budget already fixed by :func:`equal_budget_widths` (the designed
    arm): the search around the shape's real widths widens from 2 to ``max_spread``, then to every
    width, until some integer vector has exactly ``budget`` parameters (the closest in log-widths
    is taken; the last level's width is solved for, so most budgets have many such vectors).

    Examples
    --------
    >>> w = widths_at_budget((1.0, 3.0, 1.0), 94, n_features=4)
    >>> w, architecture(w, 16, 4).n_params
    ((4, 3, 10, 3), 94)
    """
    shape = tuple(float(v) for v in shape)
    if not shape or min(shape) <= 0:
        raise InputError(f"a shape needs positive relative widths, got {shape}")
    if budget <= _params([n_features] + [1] * len(shape), n_features, n_outputs):
        raise InputError(f"budget {budget} is below the smallest network of this depth; raise it")
    for spread in (2, 4, max_spread, None):
        found = _closest(shape, budget, n_features, n_outputs, spread)
        if found is not None:
            return (n_features, *found[1])
    raise InputError(f"no widths of {len(shape) + 1} layers have exactly {budget} parameters; change the budget")
