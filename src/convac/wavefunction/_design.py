"""Design from the state: entanglement profile -> channel widths, and equal-parameter comparisons.

:func:`entanglement_profile` measures a state's entropy at each probe scale (checkerboard,
blocks, halves); :func:`design_from_state` hands it to :func:`convac.design` as the profile's
weights. :func:`equal_param_channels` finds a wide-base (non-increasing) or wide-tip
(non-decreasing) channel vector with *exactly* a given parameter count, by exhaustive search
over monotone, non-constant vectors (widths ``2 .. max_width``; a width-1 layer would make the
state a product across its cut): of those that hit the count, the one closest
to the geometric shape ``r * 2^-l`` (wide-base) or ``r * 2^l`` (wide-tip) wins, closeness being
the variance over layers of ``log2 c_l - log2 shape_l`` (any scale ``r`` is free).
:func:`compare_designs` trains the three arms at equal parameter count over several seeds.

Examples
--------
>>> equal_param_channels((16,), 587, "wide_base"), equal_param_channels((16,), 587, "wide_tip")
((6, 5, 5, 5), (3, 3, 8, 19))
>>> architecture_for((16,), [3, 3, 8, 19]).n_params
587
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from convac._validation import choice, integer
from convac.errors import InputError
from convac.spec import Architecture
from convac.wavefunction._entanglement import standard_partitions
from convac.wavefunction._exact import state_entanglement

__all__ = [
    "ARMS",
    "architecture_for",
    "compare_designs",
    "design_from_state",
    "entanglement_profile",
    "equal_arms",
    "equal_param_channels",
]

ARMS: tuple[str, ...] = ("wide_base", "wide_tip", "designed")
"""The arms of :func:`compare_designs`."""


def architecture_for(
    shape: Sequence[int], channels: Sequence[int], windows: Any = None, shared: bool = False
) -> Architecture:
    """Return a deep ConvAC on the lattice ``shape`` (one-hot spins, one output) with ``channels``.

    Examples
    --------
    >>> architecture_for((4, 4), [4, 2]).n_params, architecture_for((12,), [2, 2, 2], windows=[2, 3, 2]).depth
    (162, 3)
    """
    grid = tuple(int(s) for s in shape)
    if len(grid) == 1:
        return Architecture.deep_1d(grid[0], 2, list(channels), shared=shared, windows=windows)
    return Architecture.deep_2d(grid[0], grid[1], 2, list(channels), shared=shared, windows=windows)


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

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> design_from_state(state, (8,), budget=120).n_params <= 120
    True
    """
    from convac.channel_design import design  # a sibling on this layer; it never imports wavefunction

    profile = entanglement_profile(state, shape)
    return design(tuple(int(s) for s in shape), budget, profile=profile, n_features=2, **options)


def _template(shape: Sequence[int], windows: Any) -> Architecture:
    """Return the lattice's architecture with every layer 1 wide (window 2 unless ``windows`` is given)."""
    if windows is not None:
        return architecture_for(shape, [1] * len(windows), windows)
    depth = round(math.log2(max(int(s) for s in shape)))
    return architecture_for(shape, [1] * depth)


def _monotone(depth: int, max_width: int, kind: str) -> np.ndarray:
    """Every non-constant non-increasing (wide_base) or non-decreasing (wide_tip) vector of widths >= 2."""
    # width 1 anywhere makes the state a product across that layer's cut: every arm starts at 2
    combos = np.array(list(itertools.combinations_with_replacement(range(max_width, 1, -1), depth)), dtype=np.int64)
    combos = combos[combos[:, 0] != combos[:, -1]]
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


def _shape_distance(cands: np.ndarray, kind: str) -> np.ndarray:
    """Variance over layers of ``log2 c_l -+ l``: 0 for an exact geometric wide-base / wide-tip shape."""
    slope = -1.0 if kind == "wide_base" else 1.0
    return (np.log2(cands) - slope * np.arange(cands.shape[1])).var(axis=1)


def equal_param_channels(
    shape: Sequence[int], n_params: int, kind: str, *, windows: Any = None, max_width: int = 32
) -> tuple[int, ...]:
    """Return the ``kind`` channel vector closest to its geometric shape with exactly ``n_params`` parameters.

    ``kind`` is ``"wide_base"`` (widths non-increasing from the input, first above last) or
    ``"wide_tip"`` (non-decreasing, first below last). Raises :class:`~convac.errors.InputError`
    when no such vector with widths ``2 .. max_width`` hits the count exactly.

    Examples
    --------
    >>> equal_param_channels((4, 4), architecture_for((4, 4), [12, 6]).n_params, "wide_base")
    (12, 6)
    """
    choice(kind, "kind", ("wide_base", "wide_tip"))
    n_params = integer(n_params, "n_params", minimum=1)
    max_width = integer(max_width, "max_width", minimum=2, maximum=128)
    template = _template(shape, windows)
    cands = _monotone(template.depth, max_width, kind)
    hits = np.flatnonzero(_param_counts(template, cands) == n_params)
    if hits.size == 0:
        raise InputError(
            f"no {kind} channel vector with widths 2..{max_width} has exactly {n_params} parameters on {tuple(shape)}; "
            "try another parameter count"
        )
    best = hits[int(np.argmin(_shape_distance(cands[hits], kind)))]
    return tuple(int(c) for c in cands[best])


def equal_arms(
    state: Any, shape: Sequence[int], budget: int, max_width: int = 16, windows: Any = None
) -> dict[str, tuple[int, ...]]:
    """Channels of the three arms with one common parameter count, and how they were chosen.

    The state's design within ``budget`` (:func:`design_from_state`) bounds the count: the arms
    share the largest count ``<= P`` (the design's count) that a wide-base, a wide-tip and *some*
    vector (widths 2..max_width) all hit exactly and at which the vector closest to the design
    (in ``sum (log2 c - log2 d)^2``) is neither hand-made arm, so that the comparison has three
    distinct networks (falling back to the largest common count when there is no such count). Wide-base and wide-tip are
    :func:`equal_param_channels`; the designed arm is that closest vector. The result also holds
    the design itself under ``"design"``. ``windows``: a pooling schedule (default 2 per layer).

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> arms = equal_arms(state, (8,), budget=150, max_width=8)
    >>> len({architecture_for((8,), arms[a]).n_params for a in ARMS})
    1
    """
    widths = tuple(range(2, max_width + 1))
    design = tuple(int(c) for c in design_from_state(state, shape, budget, widths=widths, windows=windows).channels)
    template = _template(shape, windows)
    every = np.array(list(itertools.product(widths, repeat=template.depth)), dtype=np.int64)
    families = {kind: _monotone(template.depth, max_width, kind) for kind in ("wide_base", "wide_tip")}
    counts = {kind: _param_counts(template, c) for kind, c in families.items()}
    every_counts = _param_counts(template, every)
    target = architecture_for(shape, design, windows).n_params
    common = set(counts["wide_base"].tolist()) & set(counts["wide_tip"].tolist()) & set(every_counts.tolist())
    below = [c for c in common if c <= target]
    if not below:
        raise InputError(f"no parameter count up to {target} is reachable by wide-base, wide-tip and a designed vector")
    count, designed = _designed_arm(shape, sorted(below, reverse=True), design, windows, max_width)
    return {
        "wide_base": equal_param_channels(shape, count, "wide_base", windows=windows, max_width=max_width),
        "wide_tip": equal_param_channels(shape, count, "wide_tip", windows=windows, max_width=max_width),
        "designed": designed,
        "design": design,
    }


def _designed_arm(
    shape: Sequence[int], counts: Sequence[int], design: tuple[int, ...], windows: Any, max_width: int
) -> tuple[int, tuple[int, ...]]:
    """Return the first count whose vector closest to ``design`` is no hand-made arm, with that vector.

    When every count's closest vector is a hand-made one: the first count and its vector.
    """
    template = _template(shape, windows)
    every = np.array(list(itertools.product(range(2, max_width + 1), repeat=template.depth)), dtype=np.int64)
    every_counts = _param_counts(template, every)
    chosen: list[tuple[int, tuple[int, ...]]] = []
    for count in counts:
        hits = np.flatnonzero(every_counts == count)
        distance = ((np.log2(every[hits]) - np.log2(np.asarray(design))) ** 2).sum(axis=1)
        chosen.append((count, tuple(int(c) for c in every[hits[int(np.argmin(distance))]])))
        kinds = ("wide_base", "wide_tip")
        if chosen[-1][1] not in {
            equal_param_channels(shape, count, k, windows=windows, max_width=max_width) for k in kinds
        }:
            return chosen[-1]
    return chosen[0]


def compare_designs(
    H: Any,
    budget: int,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    max_width: int = 16,
    weights: str = "signed",
    windows: Any = None,
    log: Any = None,
    **optimize_options: Any,
) -> list[dict[str, Any]]:
    """Wide-base vs wide-tip vs designed at equal parameter count, trained over ``seeds``.

    The exact ground state of ``H`` gives the profile for the designed arm and the reference
    energy; every network has ``weights`` (signed by default: positive ConvACs plateau, see
    docs/wavefunction); ``windows`` is the pooling schedule of every arm.
    Each row: arm, channels, n_params, seed, energy, relative error, seconds.
    ``optimize_options`` go to :func:`~convac.wavefunction.optimize` (``steps``, ``lr``,
    ``optimizer``, ``magnetization``, ...); ``log(row)`` is called after every run.

    Examples
    --------
    >>> from convac.wavefunction import tfim
    >>> rows = compare_designs(tfim((8,)), budget=120, seeds=(0,), max_width=8, steps=2, threads=1)
    >>> [r["arm"] for r in rows], len({r["n_params"] for r in rows})
    (['wide_base', 'wide_tip', 'designed'], 1)
    """
    from convac.wavefunction._ansatz import ConvACWaveFunction
    from convac.wavefunction._exact import ground_state
    from convac.wavefunction._optimize import optimize

    magnetization = optimize_options.get("magnetization")
    e0, state = ground_state(H, magnetization)
    arms = equal_arms(state, H.shape, budget, max_width, windows)
    rows: list[dict[str, Any]] = []
    trained: dict[tuple[tuple[int, ...], int], dict[str, Any]] = {}
    for seed in seeds:  # seeds outermost: a run stopped early still holds complete, paired seeds
        for arm in ARMS:
            arch = architecture_for(H.shape, arms[arm], windows)
            key = (tuple(arch.channels), seed)
            if key not in trained:  # an arm equal to an earlier one (same channels, same seed) is the same run
                psi = ConvACWaveFunction(arch, weights=weights, seed=integer(seed, "seed", minimum=0))
                result = optimize(psi, H, seed=seed, exact_energy=e0, **optimize_options)
                trained[key] = {"energy": result.energy, "seconds": result.seconds}
            energy = trained[key]["energy"]
            row = {
                "arm": arm,
                "channels": list(arch.channels),
                "design": list(arms["design"]),
                "n_params": arch.n_params,
                "seed": seed,
                "energy": energy,
                "exact_energy": e0,
                "relative_error": abs(energy - e0) / abs(e0),
                "log10_relative_error": math.log10(max(abs(energy - e0) / abs(e0), 1e-16)),
                "seconds": trained[key]["seconds"],
            }
            rows.append(row)
            if log is not None:
                log(row)
    return rows
