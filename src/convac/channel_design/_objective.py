"""Design channel widths for the correlations a task needs (docs/theory.md §5).

**Objective.** A *profile* puts non-negative weights ``w_s`` on probe partitions ``s`` (the
scales of :func:`convac.analysis._scales`: checkerboard, ``blocks(w)``, left/right, up/down).
For a channel vector ``c`` within the parameter budget the objective is

    J(c) = sum_s w_s * log2 mincut_s(c) / best_s,      sum_s w_s = 1,

where ``best_s`` is the largest ``log2 mincut_s`` of any candidate within the budget. Each term
is the fraction of the best correlation capacity the budget allows at that scale (raw log2
min-cuts differ by orders of magnitude between short and long scales, so without the
normalisation the checkerboard would drown every other scale).

**Search.** Exhaustive over a grid: every layer takes a width from ``widths`` (default powers
of two ``1 .. 256``); candidates are built layer by layer and pruned as soon as the parameters
so far plus the cheapest completion exceed the budget. Min-cuts of all candidates come from a
symmetry-reduced DP vectorised over candidates (:mod:`convac.analysis._channel_cuts`); ties
(objective equal to 1e-9) go to fewer parameters, then to the lexicographically smaller vector.
The reported min-cuts of the winner are recomputed exactly with :func:`convac.min_cut`.

**Presets.** ``local``: weight ``1/length`` on every scale (short range dominates);
``global``: weight ``length`` (long range dominates). Both keep every scale in the objective
so that no layer collapses to width 1.

Examples
--------
>>> d = design((16, 16), budget=400, profile="local", n_features=4, shared=True)
>>> d.channels, d.n_params <= 400
((16, 8, 8, 16), True)
>>> design((16, 16), budget=400, profile="global", n_features=4, shared=True).channels
(4, 8, 8, 32)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import instance, integer, positive_int, positive_real, real
from convac.analysis._channel_cuts import binding_layers, log2_min_cuts
from convac.analysis._scales import Scale, parse_scale, scales
from convac.channel_design._probe import probe_architecture
from convac.errors import ConvacError, ConvacTypeError, InputError, TooLargeError
from convac.mincut import min_cut
from convac.spec import Architecture
from convac.spec._paper import (
    N_LAYERS,
    PAPER_R_VALUES,
    PAPER_SCHEDULES,
    SCHEDULES,
    paper_architecture,
    paper_budget,
    paper_schedule,
    parse_schedule,
)

__all__ = [
    "DEFAULT_MULTIPLIERS",
    "DEFAULT_WIDTHS",
    "PRESETS",
    "Design",
    "design",
    "design_schedule",
    "parse_profile",
    "resolve_profile",
]

DEFAULT_WIDTHS: tuple[int, ...] = tuple(2**k for k in range(9))
"""Widths every layer may take in :func:`design`: 1, 2, 4, …, 256."""
#: Multipliers of r searched by :func:`design_schedule`: whole numbers (so ``m * r`` is exact for every r),
#: from 1 (the narrowest layer of both paper schedules) to 8.
DEFAULT_MULTIPLIERS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
"""Multipliers of r that :func:`design_schedule` searches per layer."""
PRESETS: tuple[str, ...] = ("local", "global")
"""The named correlation profiles: ``local`` (weight 1/length per scale) and ``global`` (weight length)."""
MAX_CANDIDATES = 4_000_000
_TIE = 1e-9
#: Data whose mean entanglement (nats) stays below this at every level carry no correlations to design for.
NO_ENTANGLEMENT = 1e-9


def parse_profile(text: str) -> str | dict[str, float]:
    """Return a preset name, or ``"SCALE=WEIGHT,SCALE=WEIGHT"`` (as on the command line) as a mapping.

    Examples
    --------
    >>> parse_profile("local"), parse_profile("checkerboard=1, blocks(4)=0.5")
    ('local', {'checkerboard': 1.0, 'blocks(4)': 0.5})
    """
    text = instance(text, "profile", str, "a preset name or SCALE=WEIGHT,...").strip()
    if "=" not in text:
        return text
    out: dict[str, float] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        try:
            weight = float(value) if sep else None
        except ValueError:
            weight = None
        if weight is None:
            raise InputError(f"bad profile item {item.strip()!r}; write SCALE=WEIGHT, e.g. checkerboard=1,left_right=2")
        out[key.strip()] = weight
    return out


def resolve_profile(profile: Any, target: Architecture | Sequence[int]) -> dict[Scale, float]:
    """Weights per probe scale, summing to 1, from a preset name or a mapping.

    A data profile (:func:`convac.canonical_entanglement`) gives each scale its level's mean data
    entanglement. A mapping's keys are what :func:`convac.analysis.parse_scale` accepts (``"left_right"``,
    ``"blocks(4)"``, ``"blocks"`` for every width, a length such as ``16``); a key naming several
    scales spreads its weight evenly over them.

    Examples
    --------
    >>> w = resolve_profile({"checkerboard": 3, "left_right": 1}, (8,))
    >>> {s.label: v for s, v in w.items()}
    {'checkerboard': 0.75, 'left_right': 0.25}
    >>> resolve_profile("medium", (8,))
    Traceback (most recent call last):
        ...
    convac.errors.InputError: unknown profile preset 'medium'; choose local or global, or give weights per scale
    """
    every = scales(target)
    raw: dict[Scale, float] = {}
    if hasattr(profile, "design_profile"):  # a data profile (convac.datatensor.CanonicalProfile)
        profile = _data_weights(profile, target)
    if isinstance(profile, str):
        if profile == "local":
            raw = {s: 1.0 / s.length for s in every}
        elif profile == "global":
            raw = {s: float(s.length) for s in every}
        else:
            raise InputError(
                f"unknown profile preset {profile!r}; choose {' or '.join(PRESETS)}, or give weights per scale"
            )
    elif isinstance(profile, Mapping):
        for key, weight in profile.items():
            weight = real(weight, f"profile weight for {key!r}", low=0.0)
            found = parse_scale(key, target)
            for s in found:
                raw[s] = raw.get(s, 0.0) + float(weight) / len(found)
    else:
        raise ConvacTypeError(
            f"profile must be a preset name or a mapping of scale -> weight, got {type(profile).__name__}"
        )
    total = sum(raw.values())
    if total <= 0:
        raise InputError("profile weights are all zero; give at least one positive weight")
    order = {s: i for i, s in enumerate(every)}
    return {s: raw[s] / total for s in sorted(raw, key=order.__getitem__) if raw[s] > 0}


def _data_weights(profile: Any, target: Architecture | Sequence[int]) -> dict[str, float]:
    """Weights per scale from a data profile measured on ``target``'s grid, if the data carry correlations."""
    grid = target.grid if isinstance(target, Architecture) else tuple(int(v) for v in target)
    measured = tuple(int(v) for v in profile.grid)
    if measured != grid:
        raise InputError(
            f"the data profile was measured on the grid {_grid_text(measured)}, but the network's grid is "
            f"{_grid_text(grid)}; measure data laid out on {_grid_text(grid)}, or design for {_grid_text(measured)}"
        )
    if max(profile.means, default=0.0) < NO_ENTANGLEMENT:
        raise InputError(
            f"the data carry no correlations (entanglement below {NO_ENTANGLEMENT:g} nats at every pooling "
            "level), so every channel width fits them equally well; there is nothing to design for: give a "
            "preset or weights per scale instead"
        )
    weights: dict[str, float] = profile.design_profile()
    return weights


def _grid_text(grid: Sequence[int]) -> str:
    return "x".join(map(str, grid))


def _schedule_name(name: Any) -> str:
    """``name`` if it can be the NAME of an experiment token ``NAME=m1,...,m6``."""
    instance(name, "the schedule name", str, "a string")
    try:
        ok = parse_schedule(f"{name}=" + ",".join(["1"] * N_LAYERS)).name == name
    except ConvacError:
        ok = False
    if not ok:
        raise InputError(
            f"schedule name {name!r} cannot name an experiment token NAME=m1,...,m6: use a letter, then letters, "
            f"digits, '_' or '-' (no spaces, '=' or ','), and not a registered schedule ({', '.join(SCHEDULES)})"
        )
    return name


@dataclass(frozen=True)
class ScaleCut:
    """The exact min-cut of a designed network at one scale, and the layers its cut goes through."""

    label: str
    length: int
    weight: float
    value: int
    log2: float
    score: float
    layers: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scale": self.label,
            "length": self.length,
            "weight": self.weight,
            "min_cut": str(self.value) if self.value.bit_length() > 53 else self.value,
            "log2_min_cut": self.log2,
            "score": self.score,
            "layers": ["input" if lay < 0 else lay for lay in self.layers],
        }


@dataclass(frozen=True)
class Design:
    """A designed architecture and why.

    ``objective`` is ``J`` of the module docstring (1.0 would mean the best possible min-cut at
    every weighted scale at once); ``cuts`` holds the exact min-cut per weighted scale;
    ``multipliers`` is set by :func:`design_schedule` (channels = ``max(1, round(m * r))``), and
    ``baselines`` then holds the objective of the paper's schedules at ``reference_r`` (same
    ``best_s``), for comparison.

    Examples
    --------
    >>> import convac
    >>> d = convac.design((16,), budget=200, profile="global")
    >>> d.channels, d.n_params, d.budget
    ((2, 2, 4, 4), 164, 200)
    >>> convac.design_schedule("local").token("mine")
    'mine=6,2,2,1,1,1'
    """

    arch: Architecture
    budget: int
    profile: dict[str, float]
    objective: float
    cuts: tuple[ScaleCut, ...]
    explanation: str
    n_candidates: int
    multipliers: tuple[float, ...] | None = None
    reference_r: int | None = None
    name: str = "designed"
    baselines: dict[str, float] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[int, ...]:
        """The designed channel numbers, input side first."""
        return self.arch.channels

    @property
    def n_params(self) -> int:
        """The designed architecture's parameter count (hidden and output layers)."""
        return self.arch.n_params

    def token(self, name: str | None = None) -> str:
        """Return the schedule token ``NAME=m1,...,m6`` that ``convac experiment inductive-bias`` accepts."""
        if self.multipliers is None:
            raise InputError("only a design from design_schedule (multipliers of r) has an experiment token")
        return f"{_schedule_name(name or self.name)}=" + ",".join(f"{m:g}" for m in self.multipliers)

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a plain, JSON-serialisable dict (what ``convac design --json`` prints)."""
        out: dict[str, Any] = {
            "architecture": self.arch.to_dict(),
            "channels": list(self.channels),
            "n_params": self.n_params,
            "budget": self.budget,
            "profile": self.profile,
            "objective": self.objective,
            "n_candidates": self.n_candidates,
            "cuts": [c.to_dict() for c in self.cuts],
            "explanation": self.explanation,
        }
        if self.baselines:
            out["baselines"] = dict(self.baselines)
        if self.multipliers is not None:
            out["multipliers"] = list(self.multipliers)
            out["reference_r"] = self.reference_r
            out["token"] = self.token()
        return out

    def __str__(self) -> str:
        head = (
            f"design for profile {_profile_text(self.profile)}: channels {list(self.channels)}, "
            f"{self.n_params} params (budget {self.budget}), objective {self.objective:.4f}"
        )
        rows = [f"  {'scale':<14} {'weight':>7} {'log2 min-cut':>13} {'of best':>8}  cut through"]
        for c in self.cuts:
            rows.append(f"  {c.label:<14} {c.weight:>7.3f} {c.log2:>13.6g} {c.score:>8.3f}  {_layer_text(c.layers)}")
        lines = [head, *rows, "", self.explanation]
        if self.baselines:
            lines.append(
                "Same objective for the paper's schedules: "
                + ", ".join(f"{k} {v:.4f}" for k, v in self.baselines.items())
                + f"; this design {self.objective:.4f}."
            )
        if self.multipliers is not None:
            lines += ["", f"experiment schedule token: {self.token()}"]
        return "\n".join(lines)


def _profile_text(profile: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.3g}" for k, v in profile.items())


def _layer_text(layers: Sequence[int]) -> str:
    return ", ".join("input" if lay < 0 else f"layer {lay}" for lay in layers) or "-"


def _copies(template: Architecture) -> list[int]:
    return [1 if template.shared else template.positions(layer) for layer in range(template.depth)]


def _params(template: Architecture, channels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    copies = _copies(template)
    prev = np.full(channels.shape[0], template.n_features, dtype=np.int64)
    total = np.zeros(channels.shape[0], dtype=np.int64)
    for layer in range(template.depth):
        total += copies[layer] * prev * channels[:, layer]
        prev = channels[:, layer]
    return total + prev * template.n_outputs


def _enumerate(template: Architecture, widths: Sequence[int], budget: int) -> npt.NDArray[np.int64]:
    """All width vectors within budget, built layer by layer with a cheapest-completion bound."""
    w = np.asarray(sorted(set(widths)), dtype=np.int64)
    w_min = int(w[0])
    copies = _copies(template)
    depth = template.depth
    # cheapest cost of layers k+1 .. L-1 plus the output, all at w_min, given layer k's width
    tail = [0] * depth
    for k in range(depth - 1):
        tail[k] = sum(copies[i] * w_min * w_min for i in range(k + 2, depth)) + w_min * template.n_outputs
    cands = np.zeros((1, 0), dtype=np.int64)
    spent = np.zeros(1, dtype=np.int64)
    prev = np.full(1, template.n_features, dtype=np.int64)
    for k in range(depth):
        new = np.repeat(cands, len(w), axis=0)
        width = np.tile(w, cands.shape[0])
        cost = np.repeat(spent, len(w)) + copies[k] * np.repeat(prev, len(w)) * width
        nxt = width * (copies[k + 1] * w_min if k + 1 < depth else template.n_outputs)
        keep = cost + nxt + tail[k] <= budget
        cands = np.concatenate([new, width[:, None]], axis=1)[keep]
        spent, prev = cost[keep], width[keep]
        if cands.shape[0] > MAX_CANDIDATES:
            raise TooLargeError(
                f"more than {MAX_CANDIDATES} candidate width vectors after layer {k}; give fewer widths "
                "or a smaller budget"
            )
    return cands


def _search(
    template: Architecture,
    channels: npt.NDArray[np.int64],
    params: npt.NDArray[np.int64],
    weights: Mapping[Scale, float],
) -> tuple[int, npt.NDArray[np.float64], dict[Scale, float]]:
    """Index of the best candidate, all objectives, and ``best_s`` per scale."""
    objective = np.zeros(channels.shape[0])
    best: dict[Scale, float] = {}
    for s, w in weights.items():
        cuts = log2_min_cuts(template, s.partition(template).mask, channels)
        best[s] = float(cuts.max())
        objective += w * (cuts / best[s] if best[s] > 0 else 1.0)
    top = objective.max()
    tied = np.flatnonzero(objective >= top - _TIE)
    # fewer parameters, then the lexicographically smaller channel vector
    order = np.lexsort((*channels[tied].T[::-1], params[tied]))
    return int(tied[order[0]]), objective, best


def _explain(arch: Architecture, cuts: Sequence[ScaleCut], multipliers: Sequence[float] | None) -> str:
    def width(layer: int) -> str:
        return f"{multipliers[layer]:g}r" if multipliers is not None else str(arch.channels[layer])

    by_layer: dict[int, list[str]] = {}
    for c in cuts:
        for lay in c.layers:
            by_layer.setdefault(lay, []).append(f"{c.label} (length {c.length}, weight {c.weight:.2f})")
    groups: list[tuple[int, int]] = []
    for layer in range(arch.depth):
        same = groups and arch.channels[groups[-1][1]] == arch.channels[layer]
        if same and bool(by_layer.get(groups[-1][1])) == bool(by_layer.get(layer)):
            groups[-1] = (groups[-1][0], layer)
        else:
            groups.append((layer, layer))
    widest, narrowest = max(arch.channels), min(arch.channels)
    lines = ["Why: a layer binds a scale when narrowing it would lower that scale's min-cut."]
    for lo, hi in groups:
        span, verb = (f"layer {lo}", "gets") if lo == hi else (f"layers {lo}-{hi}", "get")
        binding = [s for lay in range(lo, hi + 1) for s in by_layer.get(lay, [])]
        tag = {narrowest: " (the narrowest)", widest: " (the widest)"}.get(arch.channels[lo], "")  # widest wins a tie
        if binding:
            where = "there" if lo == hi else "across them"
            reason = f"the cut at {', '.join(dict.fromkeys(binding))} runs {where}"
        elif arch.channels[lo] == narrowest:
            reason = "no weighted scale is cut there, so it stays as narrow as allowed"
        else:
            reason = (
                "no scale is cut there; it is wide so the next layer's cut does not shortcut through it "
                "(or because the budget left room)"
            )
        lines.append(f"- {span} {verb} {width(lo)}{tag}: {reason}.")
    if by_layer.get(-1):
        lines.append(
            f"- the input edges (M={arch.n_features}) bind {', '.join(by_layer[-1])}: no channel number helps "
            "there, the representation is the limit."
        )
    heavy = max(cuts, key=lambda c: c.weight)
    lines.append(
        f"The profile weighs {heavy.label} most ({heavy.weight:.2f}); the design reaches "
        f"{heavy.score:.0%} of the best log2 min-cut that any network within the budget has there."
    )
    return "\n".join(lines)


def _finish(
    arch: Architecture,
    budget: int,
    weights: Mapping[Scale, float],
    objective: float,
    best: Mapping[Scale, float],
    n_candidates: int,
    multipliers: Sequence[float] | None = None,
    reference_r: int | None = None,
    name: str = "designed",
    baselines: Mapping[str, float] | None = None,
) -> Design:
    cuts = []
    for s, w in weights.items():
        part = s.partition(arch)
        cut = min_cut(arch, part)
        layers = binding_layers(arch, part.mask)
        score = cut.log2 / best[s] if best[s] > 0 else 1.0
        cuts.append(ScaleCut(s.label, s.length, w, cut.value, cut.log2, score, layers))
    explanation = _explain(arch, cuts, multipliers)
    return Design(
        arch=arch,
        budget=budget,
        profile={s.label: w for s, w in weights.items()},
        objective=objective,
        cuts=tuple(cuts),
        explanation=explanation,
        n_candidates=n_candidates,
        multipliers=None if multipliers is None else tuple(multipliers),
        reference_r=reference_r,
        name=name,
        baselines=dict(baselines or {}),
    )


def design(
    grid: Sequence[int] | int,
    budget: int,
    profile: Any = "local",
    *,
    n_features: int = 2,
    window: int | None = None,
    n_outputs: int = 1,
    shared: bool = False,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    windows: Sequence[Any] | None = None,
) -> Design:
    """Channel numbers for a deep ConvAC on ``grid`` that maximise ``profile``'s objective.

    ``budget`` bounds ``Architecture.n_params`` (hidden and output weights; with ``shared`` it
    counts one matrix per layer). ``profile`` is ``"local"``, ``"global"`` or a mapping of scale
    to weight (see :func:`resolve_profile`). The pooling is ``window`` (default 2) at every layer,
    or any schedule ``windows`` (see :meth:`Architecture.deep_1d` / :meth:`~Architecture.deep_2d`).
    Raises :class:`~convac.errors.InputError` (a ``ValueError``) when no network with widths from ``widths``
    fits the budget.

    Examples
    --------
    >>> d = design((8, 8), budget=400, profile={"checkerboard": 1}, n_features=4, shared=True)
    >>> d.channels, d.cuts[0].log2  # min(r_0, M^2)^(N/4): r_0 = 16 saturates it, the rest is cheapest
    ((16, 1, 1), 64.0)
    >>> d = design((28, 28), budget=2000, profile="global", windows=[2, 2, 7], shared=True)
    >>> d.arch.windows, d.cuts[-1].label
    (((2, 2), (2, 2), (7, 7)), 'up_down')
    """
    budget = integer(budget, "budget")
    widths = tuple(positive_int(w, f"widths[{i}]") for i, w in enumerate(widths))
    if not widths:
        raise InputError("widths must list at least one candidate width")
    probe = probe_architecture(grid, n_features, window, n_outputs, shared, windows)
    cheapest = probe.with_channels([min(widths)] * probe.depth).n_params
    if budget < cheapest:
        raise InputError(
            f"budget {budget} is below the cheapest network on this grid ({cheapest} parameters with every "
            f"layer {min(widths)} wide); raise the budget"
        )
    weights = resolve_profile(profile, probe)
    cands = _enumerate(probe, widths, budget)
    params = _params(probe, cands)
    idx, objective, best = _search(probe, cands, params, weights)
    arch = probe.with_channels(cands[idx].tolist())
    return _finish(arch, budget, weights, float(objective[idx]), best, cands.shape[0])


def design_schedule(
    profile: Any = "local",
    *,
    r_values: Sequence[int] = PAPER_R_VALUES,
    reference_r: int = 8,
    multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
    name: str | None = None,
) -> Design:
    """Multipliers of ``r`` for the paper's geometry, within ``31 r^2 + 50 r`` parameters at every r.

    The objective is evaluated at ``reference_r``; every candidate must fit the paper's budget
    (that of wide-base and wide-tip) at each ``r`` in ``r_values`` with channels
    ``max(1, round(m * r))`` and, for whole multipliers, have an ``r^2`` coefficient of at most
    31, so it fits at every ``r >= min(r_values)``: the designed arm never has more parameters
    than the two hand-made ones. :meth:`Design.token` gives the ``NAME=m1,...,m6`` token for
    ``convac experiment inductive-bias``.

    Examples
    --------
    >>> design_schedule("global").token()
    'designed_global=1,1,1,2,2,6'
    """
    r_values = tuple(positive_int(r, f"r_values[{i}]") for i, r in enumerate(r_values))
    mults = np.asarray(sorted({positive_real(m, f"multipliers[{i}]") for i, m in enumerate(multipliers)}))
    if not r_values or mults.size == 0:
        raise InputError("r_values and multipliers must each list at least one value")
    reference_r = positive_int(reference_r, "reference_r")
    if name is not None:
        name = _schedule_name(name)
    depth = N_LAYERS
    grid_m = np.stack(np.meshgrid(*([mults] * depth), indexing="ij"), axis=-1).reshape(-1, depth)
    probe = paper_architecture([1] * depth)
    fits = np.ones(grid_m.shape[0], dtype=bool)
    for r in r_values:
        ch = np.maximum(1, np.rint(grid_m * r)).astype(np.int64)
        fits &= _params(probe, ch) <= paper_budget(r)
    if np.all(grid_m == np.rint(grid_m)):
        # whole multipliers: params = Q r^2 + L r exactly, so fitting at the smallest r and Q <= 31
        # (the r^2 coefficient of the budget) means fitting at every larger r too
        fits &= _params(probe, grid_m.astype(np.int64) * 2) - 2 * _params(probe, grid_m.astype(np.int64)) <= 2 * 31
    if not fits.any():
        raise InputError(f"no multiplier vector fits the paper budget 31r^2+50r at r in {list(r_values)}")
    grid_m = grid_m[fits]
    ref = np.maximum(1, np.rint(grid_m * reference_r)).astype(np.int64)
    weights = resolve_profile(profile, probe)
    idx, objective, best = _search(probe, ref, _params(probe, ref), weights)
    arch = probe.with_channels(ref[idx].tolist())
    label = name or (f"designed_{profile}" if isinstance(profile, str) else "designed")
    baselines = {}
    for sched in PAPER_SCHEDULES:
        ch = np.asarray([paper_schedule(sched, reference_r)])
        baselines[f"{sched}({reference_r})"] = float(
            sum(w * log2_min_cuts(probe, s.partition(probe).mask, ch)[0] / best[s] for s, w in weights.items())
        )
    return _finish(
        arch,
        paper_budget(reference_r),
        weights,
        float(objective[idx]),
        best,
        grid_m.shape[0],
        multipliers=grid_m[idx].tolist(),
        reference_r=reference_r,
        name=label,
        baselines=baselines,
    )
