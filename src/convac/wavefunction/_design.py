"""Design from the state: entanglement profile -> channel widths, and equal-parameter comparisons.

:func:`entanglement_profile` measures a state's entropy at each probe scale (checkerboard,
blocks, halves); :func:`design_from_state` hands it to :func:`convac.design` as the profile's
weights. :func:`equal_param_channels` finds a wide-base (non-increasing) or wide-tip
(non-decreasing) channel vector with *exactly* a given parameter count, by exhaustive search
over monotone vectors (widths ``1 .. max_width``): of those that hit the count, the one closest
to the geometric shape ``r * 2^-l`` (wide-base) or ``r * 2^l`` (wide-tip) wins, closeness being
the variance over layers of ``log2 c_l - log2 shape_l`` (any scale ``r`` is free).
:func:`compare_designs` trains the three arms at equal parameter count over several seeds.

Examples
--------
>>> equal_param_channels((16,), 298, "wide_base"), equal_param_channels((16,), 298, "wide_tip")
((4, 4, 2, 2), (1, 4, 5, 14))
>>> architecture_for((16,), [1, 4, 5, 14]).n_params
298
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from convac._validation import choice, integer
from convac.architecture import Architecture
from convac.errors import InputError
from convac.wavefunction._entanglement import standard_partitions
from convac.wavefunction._exact import state_entanglement

__all__ = [
    "ARMS",
    "architecture_for",
    "compare_designs",
    "design_from_state",
    "entanglement_profile",
    "equal_param_channels",
]

ARMS: tuple[str, ...] = ("wide_base", "wide_tip", "designed")
"""The arms of :func:`compare_designs`."""


def architecture_for(shape: Sequence[int], channels: Sequence[int], windows: Any = None) -> Architecture:
    """Return a deep ConvAC on the lattice ``shape`` (one-hot spins, one output) with ``channels``."""
    grid = tuple(int(s) for s in shape)
    if len(grid) == 1:
        return Architecture.deep_1d(grid[0], 2, list(channels), windows=windows)
    return Architecture.deep_2d(grid[0], grid[1], 2, list(channels), windows=windows)


def entanglement_profile(state: Any, shape: Sequence[int]) -> dict[str, float]:
    """Entropy (nats) of ``state`` at every probe scale of the lattice, by scale label.

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> {k: round(v, 3) for k, v in entanglement_profile(state, (8,)).items()}
    {'checkerboard': 0.953, 'blocks(2)': 0.81, 'left_right': 0.635}
    """
    return {label: state_entanglement(state, part).entropy for label, part in standard_partitions(shape).items()}


def design_from_state(state: Any, shape: Sequence[int], budget: int, **options: Any) -> Any:
    """:func:`convac.design` with the state's :func:`entanglement_profile` as the profile.

    Options go to :func:`convac.design` (``widths``, ``windows``, ``shared``); ``n_features`` is 2.
    """
    import convac  # channel_design sits on this package's layer; imported lazily, never the other way

    profile = entanglement_profile(state, shape)
    return convac.design(tuple(int(s) for s in shape), budget, profile=profile, n_features=2, **options)


def _template(shape: Sequence[int], windows: Any) -> Architecture:
    """Return the lattice's architecture with every layer 1 wide (window 2 unless ``windows`` is given)."""
    if windows is not None:
        return architecture_for(shape, [1] * len(windows), windows)
    depth = round(math.log2(max(int(s) for s in shape)))
    return architecture_for(shape, [1] * depth)


def _monotone(depth: int, max_width: int, kind: str) -> np.ndarray:
    """Every non-increasing (wide_base) or non-decreasing (wide_tip) vector, most tilted first."""
    combos = np.array(list(itertools.combinations_with_replacement(range(max_width, 0, -1), depth)), dtype=np.int64)
    return combos if kind == "wide_base" else combos[:, ::-1]


def _param_counts(template: Architecture, cands: np.ndarray) -> np.ndarray:
    """``n_params`` of ``template`` with every candidate channel vector, vectorised."""
    copies = [1 if template.shared else template.positions(layer) for layer in range(template.depth)]
    total = cands[:, -1] * template.n_outputs
    previous = np.full(cands.shape[0], template.n_features, dtype=np.int64)
    for layer in range(template.depth):
        total = total + copies[layer] * previous * cands[:, layer]
        previous = cands[:, layer]
    return total


def equal_param_channels(
    shape: Sequence[int], n_params: int, kind: str, *, windows: Any = None, max_width: int = 32
) -> tuple[int, ...]:
    """Return the ``kind`` channel vector closest to its geometric shape with exactly ``n_params`` parameters.

    ``kind`` is ``"wide_base"`` (widths non-increasing from the input) or ``"wide_tip"``
    (non-decreasing). Raises :class:`~convac.errors.InputError` when no monotone vector with
    widths up to ``max_width`` hits the count exactly.
    """
    choice(kind, "kind", ("wide_base", "wide_tip"))
    n_params = integer(n_params, "n_params", minimum=1)
    max_width = integer(max_width, "max_width", minimum=1, maximum=128)
    template = _template(shape, windows)
    cands = _monotone(template.depth, max_width, kind)
    hits = np.flatnonzero(_param_counts(template, cands) == n_params)
    if hits.size == 0:
        raise InputError(
            f"no {kind} channel vector with widths 1..{max_width} has exactly {n_params} parameters on {tuple(shape)}; "
            "try another parameter count"
        )
    slope = -1.0 if kind == "wide_base" else 1.0
    deviation = np.log2(cands[hits]) - slope * np.arange(template.depth)
    best = hits[int(np.argmin(deviation.var(axis=1)))]
    return tuple(int(c) for c in cands[best])


def _equal_arms(state: Any, shape: Sequence[int], budget: int, max_width: int) -> dict[str, tuple[int, ...]]:
    """Designed channels within ``budget``, then wide-base and wide-tip with exactly its count.

    When either family cannot hit the designed count, the budget steps down by one and the
    design is redone, so all three arms always have identical parameter counts.
    """
    widths = tuple(range(1, max_width + 1))
    for target in range(budget, 0, -1):
        designed = design_from_state(state, shape, target, widths=widths)
        count = designed.n_params
        try:
            return {
                "wide_base": equal_param_channels(shape, count, "wide_base", max_width=max_width),
                "wide_tip": equal_param_channels(shape, count, "wide_tip", max_width=max_width),
                "designed": tuple(designed.channels),
            }
        except InputError:
            continue
    raise InputError(f"no parameter count up to {budget} is reachable by all three arms")


def compare_designs(
    H: Any,
    budget: int,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    max_width: int = 16,
    log: Any = None,
    **optimize_options: Any,
) -> list[dict[str, Any]]:
    """Wide-base vs wide-tip vs designed at equal parameter count, trained over ``seeds``.

    The exact ground state of ``H`` gives the profile for the designed arm and the reference
    energy. Each row: arm, channels, n_params, seed, energy, relative error, seconds.
    ``optimize_options`` go to :func:`~convac.wavefunction.optimize` (``steps``, ``lr``,
    ``optimizer``, ``magnetization``, ...); ``log(row)`` is called after every run.
    """
    from convac.wavefunction._ansatz import ConvACWaveFunction
    from convac.wavefunction._exact import ground_state
    from convac.wavefunction._optimize import optimize

    magnetization = optimize_options.get("magnetization")
    e0, state = ground_state(H, magnetization)
    arms = _equal_arms(state, H.shape, budget, max_width)
    rows = []
    for arm in ARMS:
        arch = architecture_for(H.shape, arms[arm])
        for seed in seeds:
            psi = ConvACWaveFunction(arch, seed=integer(seed, "seed", minimum=0))
            result = optimize(psi, H, seed=seed, exact_energy=e0, **optimize_options)
            row = {
                "arm": arm,
                "channels": list(arch.channels),
                "n_params": arch.n_params,
                "seed": seed,
                "energy": result.energy,
                "exact_energy": e0,
                "relative_error": abs(result.energy - e0) / abs(e0),
                "log10_relative_error": math.log10(max(abs(result.energy - e0) / abs(e0), 1e-16)),
                "seconds": result.seconds,
            }
            rows.append(row)
            if log is not None:
                log(row)
    return rows
