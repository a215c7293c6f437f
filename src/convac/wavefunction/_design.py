"""Design from the state: entanglement profile -> channel widths, and equal-parameter comparisons.

:func:`canonical_profile` measures a state's entropy under every canonical partition of the
ansatz's pooling tree (each block of each level against the rest, exact from the state vector);
:func:`design_from_state` feeds it to :func:`convac.design` with ``method="feasible"``, which meets
``ln c_l >= S_l + margin`` at every level where the budget allows and returns widths with *exactly*
the budget (``method="objective"``: the older rule, the entropy per probe scale of
:func:`entanglement_profile` as weights, within the budget, for any pooling schedule).
:func:`equal_param_channels` finds a wide-base (non-increasing) or wide-tip
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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from convac._validation import choice, integer, real
from convac.datatensor import CanonicalProfile, LevelEntanglement, canonical_levels
from convac.errors import InputError
from convac.partitions import Partition
from convac.schmidt import schmidt_values as normalised
from convac.spec import Architecture
from convac.wavefunction._entanglement import standard_partitions
from convac.wavefunction._exact import state_entanglement

__all__ = [
    "ARMS",
    "architecture_for",
    "canonical_profile",
    "compare_designs",
    "design_from_state",
    "entanglement_profile",
    "equal_arms",
    "equal_param_channels",
    "truncation_rank",
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


MEASURES: tuple[str, ...] = ("entropy", "rank")
"""What :func:`canonical_profile` puts on each block: its entropy, or ``ln`` of the rank it needs."""

DEFAULT_RANK_TOL = 1e-10
"""Default truncation tolerance of ``measure="rank"``: the Schmidt weight a block may drop."""


def truncation_rank(schmidt_values: Any, tol: float = DEFAULT_RANK_TOL) -> int:
    """Return the fewest Schmidt values whose weights leave at most ``tol`` of the norm out (at least 1).

    Keeping that many values at one cut costs an infidelity of at most ``tol`` there (Eckart-Young), so
    a network whose min-cut at that cut is below it cannot get closer than the weight left out.

    Examples
    --------
    >>> truncation_rank([0.8, 0.6]), truncation_rank([0.8, 0.6], tol=0.4), truncation_rank([1.0, 1e-9])
    (2, 1, 1)
    """
    tol = real(tol, "tol", low=0.0, high=1.0)
    weights = normalised(schmidt_values) ** 2  # descending; an empty, negative or all-zero input is an InputError
    # tail[k] = weight left out when k values are kept
    tail = np.concatenate([np.cumsum(weights[::-1])[::-1], [0.0]])
    return max(1, int(np.flatnonzero(tail <= tol)[0]))


def canonical_profile(
    state: Any, shape: Sequence[int], *, measure: str = "entropy", tol: float = DEFAULT_RANK_TOL
) -> CanonicalProfile:
    """Entropy (nats) of ``state``, or the log of the rank it needs, under every canonical partition.

    Level ``l`` (finest first) holds every block of side ``2^l`` (``2^l x 2^l`` on a square
    lattice) against the rest, each exact from the state vector (:func:`state_entanglement`), so
    no level is sampled and every ``ci95`` is 0; a sector state (zeros outside its ``sum sz``, as
    :func:`ground_state` returns it) is decomposed as it is. ``theta`` and ``n_samples`` are 0: a
    state has neither a kernel nor samples. This is the profile ``method="feasible"`` designs for.

    ``measure="rank"``: each block's value is ``ln r``, ``r`` = :func:`truncation_rank` of its Schmidt
    values at ``tol``, the number of states the cut must carry to fit the state within ``tol`` there; with
    margin 0 the feasible design then gives cuts that can hold it (the entropy is at most ``ln r`` and can
    be far below it, so an entropy design can leave a cut short of the rank).

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> prof = canonical_profile(state, (8,))
    >>> [lv.side for lv in prof.levels], [round(m, 4) for m in prof.means]
    ([1, 2, 4], [0.4708, 0.5769, 0.6351])
    >>> [round(float(np.exp(m)), 6) for m in canonical_profile(state, (8,), measure="rank", tol=1e-4).means]
    [2.0, 4.0, 5.0]
    """
    grid = tuple(int(s) for s in shape)
    if choice(measure, "measure", MEASURES) == "rank":
        tol = real(tol, "tol", low=0.0, high=1.0)
    n = int(np.prod(grid))
    levels = []
    for level in canonical_levels(grid):
        blocks = [i for i, block in enumerate(level.blocks) if len(block) < n]
        values = []
        for i in blocks:
            ent = state_entanglement(state, Partition(n, level.blocks[i], grid=grid))
            values.append(ent.entropy if measure == "entropy" else math.log(truncation_rank(ent.schmidt_values, tol)))
        levels.append(LevelEntanglement(level.side, level.depth, len(level.blocks), tuple(blocks), tuple(values)))
    extra = {"source": "state vector", "measure": measure} | ({"tol": tol} if measure == "rank" else {})
    return CanonicalProfile(grid, 0.0, 0, tuple(levels), extra=extra)


def design_from_state(
    state: Any,
    shape: Sequence[int],
    budget: int,
    *,
    method: str = "feasible",
    measure: str = "entropy",
    tol: float = DEFAULT_RANK_TOL,
    **options: Any,
) -> Any:
    """:func:`convac.design` for ``state``'s entanglement on the lattice ``shape`` (``n_features`` 2).

    ``method="feasible"`` (default): the profile is :func:`canonical_profile`, the widths meet
    ``ln mincut_l >= S_l + margin`` at every canonical level and have exactly ``budget``
    parameters (a :class:`convac.channel_design.FeasibleDesign`); a budget too small for every
    level gives the design closest to feasible (``infeasible="closest"``, the levels short of their
    requirement marked ``short``) unless ``infeasible="raise"`` is passed. It needs the canonical
    pooling tree (2 or 2x2 per layer). ``method="objective"``: the entropy per probe scale
    (:func:`entanglement_profile`) as weights, within the budget, for any ``windows``.
    Options go to :func:`convac.design` (``margin``, ``spend``, ``infeasible``, ``shared``;
    ``widths``, ``windows`` for ``objective``).

    ``measure="rank"`` (feasible only): ``S_l`` is ``ln`` of the largest :func:`truncation_rank` at ``tol``
    over the level's blocks and the margin defaults to 0, so every canonical min-cut can carry the states
    a fit within ``tol`` needs at that cut. This is the input for fitting a known state: the entropy with
    its ``ln 2`` margin can ask for too little at one level and too much at another (measured on teacher
    ConvACs in the scale-task findings).

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> d = design_from_state(state, (8,), budget=235)
    >>> d.n_params, d.channels, [lv.status for lv in d.levels]
    (235, (5, 5, 5), ['free', 'free', 'free'])
    >>> design_from_state(state, (8,), budget=235, measure="rank", tol=1e-4).channels
    (5, 5, 5)
    """
    from convac.channel_design import design  # a sibling on this layer; it never imports wavefunction

    grid = tuple(int(s) for s in shape)
    if choice(method, "method", ("feasible", "objective")) == "objective":
        if choice(measure, "measure", MEASURES) != "entropy":
            raise InputError(
                f"measure={measure!r} needs method='feasible'; the objective rule weighs entropies per probe scale"
            )
        return design(grid, budget, profile=entanglement_profile(state, grid), n_features=2, **options)
    profile = canonical_profile(state, grid, measure=measure, tol=tol)
    if measure == "entropy":
        return _feasible_design(profile, grid, budget, **options)
    options.setdefault("margin", 0.0)
    # every block of a level meets the same min-cut, so the level must carry its largest rank
    return _feasible_design([max(lv.entropies) for lv in profile.levels], grid, budget, **options)


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
    state: Any,
    shape: Sequence[int],
    budget: int,
    max_width: int = 16,
    windows: Any = None,
    *,
    method: str = "feasible",
    **design_options: Any,
) -> dict[str, tuple[int, ...]]:
    """Channels of the three arms with one common parameter count, and how they were chosen.

    ``method="feasible"`` (default): the arms share the largest count ``<= budget`` that a
    wide-base and a wide-tip vector (widths 2..max_width) both hit exactly and at which the state's
    feasible design (:func:`design_from_state`, exactly that count, ``design_options`` passed on) is
    neither hand-made vector, so that the comparison has three distinct networks (falling back to
    the largest common count when there is no such count); the designed arm *is* that design.
    ``method="objective"``: the older rule for any pooling schedule ``windows``: the design within
    ``budget`` bounds the count, which is lowered to one that some vector also hits, and the
    designed arm is the vector with that count closest to the design in ``sum (log2 c - log2 d)^2``.
    Wide-base and wide-tip are :func:`equal_param_channels`. The result also holds the design
    itself under ``"design"``.

    Examples
    --------
    >>> from convac.wavefunction import ground_state, tfim
    >>> _, state = ground_state(tfim((8,)))
    >>> arms = equal_arms(state, (8,), budget=150, max_width=8)
    >>> len({architecture_for((8,), arms[a]).n_params for a in ARMS}), arms["designed"] == arms["design"]
    (1, True)
    """
    if choice(method, "method", ("feasible", "objective")) == "feasible":
        return _feasible_arms(state, shape, budget, max_width, **design_options)
    widths = tuple(range(2, max_width + 1))
    design = design_from_state(state, shape, budget, method="objective", widths=widths, windows=windows)
    design = tuple(int(c) for c in design.channels)
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


def _feasible_arms(
    state: Any, shape: Sequence[int], budget: int, max_width: int, **design_options: Any
) -> dict[str, tuple[int, ...]]:
    """Return :func:`equal_arms`'s arms for ``method="feasible"``: the design at a count both hand arms hit."""
    budget = integer(budget, "budget", minimum=1)
    max_width = integer(max_width, "max_width", minimum=2, maximum=128)
    template = _template(shape, None)
    kinds = ("wide_base", "wide_tip")
    hand = {kind: set(_param_counts(template, _monotone(template.depth, max_width, kind)).tolist()) for kind in kinds}
    common = sorted(c for c in hand["wide_base"] & hand["wide_tip"] if c <= budget)
    profile = canonical_profile(state, shape)  # measured once, designed at every candidate count
    first: dict[str, tuple[int, ...]] | None = None
    failure: InputError | None = None
    for count in reversed(common):
        try:
            designed = tuple(int(c) for c in _feasible_design(profile, shape, count, **design_options).channels)
        except InputError as error:  # mostly: no integer widths with exactly this count near the continuous design
            failure = error
            continue
        arms = {
            "wide_base": equal_param_channels(shape, count, "wide_base", max_width=max_width),
            "wide_tip": equal_param_channels(shape, count, "wide_tip", max_width=max_width),
            "designed": designed,
            "design": designed,
        }
        if designed not in (arms["wide_base"], arms["wide_tip"]):
            return arms
        first = first or arms
    if first is None and failure is not None:
        raise failure  # no count could be designed: the design's own reason (geometry, entanglement, ...)
    if first is None:
        raise InputError(
            f"no parameter count up to {budget} is hit by a wide-base and a wide-tip vector (widths 2..{max_width}) "
            f"and a feasible design on {tuple(shape)}; raise the budget or max_width"
        )
    return first


def _feasible_design(profile: Any, shape: Sequence[int], budget: int, **options: Any) -> Any:
    """:func:`convac.design` with ``method="feasible"`` for a measured canonical ``profile``."""
    from convac.channel_design import design  # a sibling on this layer; it never imports wavefunction

    options.setdefault("infeasible", "closest")
    return design(tuple(int(s) for s in shape), budget, profile=profile, method="feasible", n_features=2, **options)


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
    method: str = "feasible",
    design_options: Mapping[str, Any] | None = None,
    arms: Sequence[str] = ARMS,
    log: Any = None,
    **optimize_options: Any,
) -> list[dict[str, Any]]:
    """Wide-base vs wide-tip vs designed at equal parameter count, trained over ``seeds``.

    The exact ground state of ``H`` gives the profile for the designed arm and the reference
    energy; every network has ``weights`` (signed by default: positive ConvACs plateau, see
    docs/wavefunction); ``method`` chooses the design rule (:func:`equal_arms`: ``"feasible"``,
    the canonical-level constraints at exactly the common count, by default) and ``windows`` is the
    pooling schedule of every arm (``"objective"`` only); ``design_options`` go to the design
    (e.g. ``{"spend": "entanglement"}``); ``arms`` picks which of :data:`ARMS` to train (e.g. only
    ``("designed",)`` to add a design rule to a comparison already run).
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

    chosen = [choice(arm, "arm", ARMS) for arm in arms]
    if not chosen:
        raise InputError(f"arms is empty; give one or more of {', '.join(ARMS)}")
    magnetization = optimize_options.get("magnetization")
    e0, state = ground_state(H, magnetization)
    widths = equal_arms(state, H.shape, budget, max_width, windows, method=method, **dict(design_options or {}))
    rows: list[dict[str, Any]] = []
    trained: dict[tuple[tuple[int, ...], int], dict[str, Any]] = {}
    for seed in seeds:  # seeds outermost: a run stopped early still holds complete, paired seeds
        for arm in chosen:
            arch = architecture_for(H.shape, widths[arm], windows)
            key = (tuple(arch.channels), seed)
            if key not in trained:  # an arm equal to an earlier one (same channels, same seed) is the same run
                psi = ConvACWaveFunction(arch, weights=weights, seed=integer(seed, "seed", minimum=0))
                result = optimize(psi, H, seed=seed, exact_energy=e0, **optimize_options)
                trained[key] = {"energy": result.energy, "seconds": result.seconds}
            energy = trained[key]["energy"]
            row = {
                "arm": arm,
                "channels": list(arch.channels),
                "design": list(widths["design"]),
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
