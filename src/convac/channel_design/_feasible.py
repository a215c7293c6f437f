"""Channel widths as feasibility: ``ln c_l >= S_l + margin`` at every canonical level, at exactly the budget.

**The partitions.** At level ``l`` of the pooling tree each block of the level-``l`` pooling window (side
``2^l``: one position at level 0, the 2x2 squares of the first pooling at level 1, ...) stands against the
rest of the input; these are the *canonical partitions* (:func:`convac.datatensor.canonical_partitions`).
Alexander et al. (NeurIPS 2023, docs/theory.md) state their condition on exactly these: a locally
connected network fits the data tensor roughly iff its entanglement ``S_l`` under every canonical
partition of level ``l`` is at most ``ln c_l``, the log of the width of the bond that carries the block out.

**The constraints.** A block of level ``l`` leaves the network through its own layer-``l`` conv output
(``c_l``), the pooling delta that joined its parts (``c_(l-1)``), the ``(2^(l-1-k))^d`` pooling deltas of
layer ``k < l - 1`` inside it, or its ``M``-dimensional input edges, so its exact min-cut is
``min(c_l, c_(l-1), c_(l-2)^(2^d), ..., M^(2^(l d)))``: both bonds of level ``l`` (in and out of layer
``l``) carry the block alone. The design asks
``ln mincut_l >= S_l + margin`` at every level, which gives every layer ``k`` the lower bound
``lo_k = max_(l>=k) ceil(exp((S_l + margin) / n_(l,k)))`` with ``n_(l,k)`` those bond counts.
``S_l`` is the level's mean entanglement plus its 95 % confidence half-width when blocks were
sampled (the upper confidence bound), so a design does not hinge on which blocks were drawn.

**The margin.** ``ln c >= S`` is the rank condition: a bond of width ``c`` carries at most ``ln c``
nats, so margin 0 is the bare theorem, exact only if the measured spectrum were the task's. The
default :data:`DEFAULT_MARGIN` is ``ln 2``: one bit, i.e. every bond at least twice the width the
entanglement needs, because the theorem holds "roughly" (its accuracy term is not zero) and the
entanglement of ``n`` samples is capped at ``ln n``, so it under-reads a task's. The requirement stops
at the input cap ``(2^l)^d ln M`` (input edges are no width to design); entanglement above the cap is
an error naming the level.

**Spending what is free.** The constraints leave budget over; a rule from :data:`SPEND_RULES` spends
it. ``"proportional"`` (default, :data:`DEFAULT_SPEND`): the constraints stay as stated on both bonds
of every level, and each level's *own* width (layer ``l``, the bond that carries its block to the
pooling above) gets log-slack in proportion to its entanglement, ``ln c_l = S_l + margin + x S_l /
max S``, one common ``x`` for all: the design is the largest common factor ``1 + x / max S`` on the
measured entanglement that the budget buys. Why a factor: the measured ``S_l`` under-reads the
task's (it is capped at ``ln n`` for ``n`` samples and depends on the feature map), plausibly by a
common factor, so the budget goes where the entanglement is largest, and nothing goes to a level of
zero entanglement. Why the own width only: raising both bonds of a level makes neighbouring layers
equally wide, so the shape could not say which scale the data need (measured on the known-scale
tasks, docs/findings/scale-tasks.md). Once the most entangled level's width reaches its input cap,
the rest is spent as equal log-slack. ``"entanglement"`` raises every level's requirement (both
bonds) by one common amount ``x`` (each capped at what its inputs allow, ``(2^l)^d ln M``) and takes
the widths that just meet it, so every level gets the same log-slack and the smallest slack is as
large as the budget allows (max-min); it spreads a budget evenly where the entanglement is far below
every width's capacity. ``"uniform"`` raises every layer to one common width above its lower bound.
The widths are lifted to their smallest valley-free envelope (``min(max before, max after)``), so no
layer sits below both neighbours (a bottleneck for a ReLU net) unless the lower bounds themselves ask
for one.

**Exactly the budget.** The real widths meet the budget for one ``x`` (bisection; the count rises
with ``x``). Integers then come from an exact search: the
parameter count is linear in each single width, so for every layer ``j`` and every choice of the other
widths within a radius of the continuous ones (2, then 4, then 6), ``c_j`` is solved for and kept if it
is a whole number at or above ``lo_j``. Among the vectors whose count *equals* the budget, the one
closest to the continuous widths in log scale wins (ties: the lexicographically smaller); no remainder
is ever padded.

Examples
--------
>>> from convac.spec._paper import paper_architecture, paper_budget
>>> d = design_feasible(paper_architecture([1] * 6), paper_budget(6), [0.02, 0.06, 0.08, 0.23, 0.58, 1.14])
>>> d.n_params == paper_budget(6), [lv.binding for lv in d.levels]  # the four finest levels at their bound
(True, [True, True, True, True, False, False])
>>> d.channels  # the spare budget goes where the entanglement is largest (spend="proportional")
(3, 3, 3, 5, 13, 56)
>>> design_feasible(d.arch, paper_budget(6), [0.02, 0.06, 0.08, 0.23, 0.58, 1.14], spend="entanglement").channels
(7, 9, 9, 14, 22, 24)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convac._validation import choice, real
from convac.analysis._channel_cuts import binding_layers
from convac.channel_design._infeasible import INFEASIBLE, fall_short
from convac.channel_design._solver import closest_exact, scale_to_budget
from convac.channel_design._spend import (
    _TOL,
    DEFAULT_SPEND,
    SPEND_RULES,
    SpendRule,
    bonds_inside,
    input_caps,
    lower_bounds,
    needed_widths,
    param_counts,
)
from convac.datatensor import canonical_levels
from convac.errors import ConvacTypeError, InputError, InternalError
from convac.mincut import min_cut
from convac.partitions import Partition
from convac.spec import Architecture

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_SPEND",
    "SPEND_RULES",
    "FeasibleDesign",
    "LevelConstraint",
    "SpendRule",
    "design_feasible",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_MARGIN = math.log(2)
"""Nats every level must clear beyond its entanglement: one bit, each bond twice the width the data need."""
NO_ENTANGLEMENT = 1e-9
"""Data whose mean entanglement (nats) stays below this at every level carry no correlations to design for."""


@dataclass(frozen=True)
class LevelConstraint:
    """One canonical level of a feasible design: its entanglement, its constraint and the designed min-cut.

    ``required`` is what ``ln mincut`` must reach (entropy + CI half-width + margin, nats); ``slack`` is
    ``log_min_cut - required``; the level is ``binding`` when narrowing any one width by one would break it.

    Examples
    --------
    >>> from convac.spec._paper import paper_architecture, paper_budget
    >>> lv = design_feasible(paper_architecture([1] * 6), paper_budget(2), [1.5] + [0.1] * 5).levels[0]
    >>> lv.width, lv.lower_bound, lv.binding, round(lv.slack, 3)  # ln 9 >= 1.5 + ln 2 > ln 8
    (9, 9, True, 0.004)
    """

    side: int
    layer: int
    entropy: float
    ci95: float
    required: float
    lower_bound: int
    width: int
    log_min_cut: float
    binding: bool
    cut_layers: tuple[int, ...]

    @property
    def slack(self) -> float:
        return self.log_min_cut - self.required

    @property
    def status(self) -> str:
        """``short`` (below its requirement: an infeasible budget's closest design), ``binding`` or ``free``."""
        return "short" if self.slack < -_TOL else "binding" if self.binding else "free"

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "layer": self.layer,
            "entropy": self.entropy,
            "ci95": self.ci95,
            "required": self.required,
            "lower_bound": self.lower_bound,
            "width": self.width,
            "log_width": math.log(self.width),
            "log_min_cut": self.log_min_cut,
            "slack": self.slack,
            "status": self.status,
            "cut_layers": ["input" if lay < 0 else lay for lay in self.cut_layers],
        }


@dataclass(frozen=True)
class FeasibleDesign:
    """Widths meeting ``ln mincut_l >= S_l + margin`` at every canonical level, with exactly ``budget`` parameters.

    ``continuous`` holds the real widths the spending rule asks for; ``bottlenecks`` the layers narrower
    than both neighbours (empty unless the lower bounds force one).

    Examples
    --------
    >>> from convac.spec._paper import paper_architecture, paper_budget
    >>> d = design_feasible(paper_architecture([1] * 6), paper_budget(4), [0.1] * 4 + [0.5, 1.5], reference_r=4)
    >>> d.channels, d.n_params, d.token("tip")
    ((4, 4, 4, 6, 10, 27), 696, 'tip=1,1,1,1.5,2.5,6.75')
    """

    arch: Architecture
    budget: int
    margin: float
    spend: str
    levels: tuple[LevelConstraint, ...]
    continuous: tuple[float, ...]
    bottlenecks: tuple[int, ...] = ()
    reference_r: int | None = None
    name: str = "designed"
    shortfall: float = 0.0
    floor: tuple[int, ...] = ()
    """The narrowest widths that meet every level's requirement; their count is the smallest feasible budget."""
    dropped: tuple[int, ...] = ()
    """Levels left without a floor (``infeasible="drop"``): the most demanding ones the budget cannot carry."""

    @property
    def feasible_from(self) -> int | None:
        """Return the smallest parameter count that meets every level (the count of :attr:`floor`)."""
        return None if not self.floor else self.arch.with_channels(list(self.floor)).n_params

    @property
    def channels(self) -> tuple[int, ...]:
        return self.arch.channels

    @property
    def n_params(self) -> int:
        return self.arch.n_params

    @property
    def multipliers(self) -> tuple[float, ...] | None:
        """Widths over ``reference_r`` (exact at that r only: ``round(m * r)`` gives the widths back)."""
        if self.reference_r is None:
            return None
        return tuple(float(f"{c / self.reference_r:.6g}") for c in self.channels)

    def token(self, name: str | None = None) -> str:
        """Return the ``NAME=m1,...,m6`` token for ``convac experiment inductive-bias``, exact at ``reference_r``."""
        from convac.channel_design._objective import _schedule_name

        if self.multipliers is None:
            raise InputError("only a design for the paper's geometry at a given r has an experiment token")
        return f"{_schedule_name(name or self.name)}=" + ",".join(f"{m:g}" for m in self.multipliers)

    @property
    def spent(self) -> str:
        """Where the budget the constraints left free went (for ``spend="proportional"``: the common factor)."""
        if self.spend != "proportional":
            return f"The rest of the budget spent by '{self.spend}'."
        ent = [lv.entropy + lv.ci95 for lv in self.levels]
        top = self.levels[int(np.argmax(ent))]
        extra = math.log(self.continuous[top.layer]) - max(top.required + self.shortfall, 0.0)
        if extra < 1e-6:
            return "No budget was left over to spend."
        return (
            f"The rest of the budget spent by 'proportional': each level's own width got log-slack in proportion to "
            f"its entanglement, {extra:.3f} nats at the most entangled level (side {top.side}, width {top.width})."
        )

    @property
    def explanation(self) -> str:
        if self.dropped:
            gone = [self.levels[i] for i in self.dropped]
            return (
                f"Infeasible at {self.budget} parameters: no widths meet S + margin ({self.margin:.3g} nats) at "
                "every level. Dropped the most demanding level(s), which the budget cannot carry: "
                + ", ".join(f"level side {lv.side} (needs {lv.required:.3f}, slack {lv.slack:.3f})" for lv in gone)
                + "; they have no floor, so their widths come from the spend rule alone, and every other level is "
                "met. " + self.spent + self._feasible_budget()
            )
        if self.shortfall < 0:
            short = [lv for lv in self.levels if lv.slack < -_TOL]
            return (
                f"Infeasible at {self.budget} parameters: no widths meet S + margin ({self.margin:.3g} nats) at "
                f"every level. Closest design: every requirement lowered by {-self.shortfall:.3f} nats (the largest "
                f"smallest slack); short: "
                + ", ".join(f"level side {lv.side} (slack {lv.slack:.3f})" for lv in short)
                + ". "
                + self.spent
                + self._feasible_budget()
            )
        binding = [lv for lv in self.levels if lv.binding]
        lines = [
            f"Rule: ln min-cut >= S + margin ({self.margin:.3g} nats) at every canonical level; exactly "
            f"{self.budget} parameters. {self.spent}"
        ]
        if binding:
            lines.append(
                "Binding: "
                + "; ".join(f"level side {lv.side} (layer {lv.layer}, slack {lv.slack:.3f})" for lv in binding)
                + ". Narrowing a layer on their cut by one would break them."
            )
        else:
            tight = min(self.levels, key=lambda lv: lv.slack)
            lines.append(
                f"No level binds: every width is above what the entanglement needs; the smallest slack is "
                f"{tight.slack:.3f} nats at level side {tight.side}. The theorem does not constrain the shape "
                f"here: the spend rule ({self.spend!r}) alone decides it, so compare it with a uniform-width net "
                "of the same budget."
            )
        capped = [lv for lv in self.levels if lv.required < lv.entropy + lv.ci95 + self.margin - _TOL]
        if capped:
            lines.append(
                "Input-capped: "
                + ", ".join(f"level side {lv.side} (ln min-cut <= {lv.required:.3f})" for lv in capped)
                + f": the M={self.arch.n_features} input edges limit these levels, so their requirement stops there."
            )
        if self.bottlenecks:
            lines.append(f"Bottleneck forced by the lower bounds at layer(s) {list(self.bottlenecks)}.")
        return "\n".join(lines)

    def _feasible_budget(self) -> str:
        """Return the sentence naming the smallest budget that meets every level (empty when unknown)."""
        need = self.feasible_from
        if need is None:
            return ""
        text = (
            f"\nThe narrowest widths that meet every level, {list(self.floor)}, take {need} parameters "
            f"({need / self.budget:.2f}x this budget): the smallest feasible budget"
        )
        if self.reference_r is not None:
            from convac.spec._paper import paper_budget

            r = self.reference_r
            while paper_budget(r) < need:
                r += 1
            text += f"; the paper's budget 31r^2 + 50r reaches it at r = {r} ({paper_budget(r)})"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": "feasible",
            "architecture": self.arch.to_dict(),
            "channels": list(self.channels),
            "n_params": self.n_params,
            "budget": self.budget,
            "margin": self.margin,
            "spend": self.spend,
            "continuous": list(self.continuous),
            "bottlenecks": list(self.bottlenecks),
            "shortfall": self.shortfall,
            "dropped": [self.levels[i].side for i in self.dropped],
            "floor": list(self.floor),
            "feasible_from": self.feasible_from,
            "levels": [lv.to_dict() for lv in self.levels],
            "explanation": self.explanation,
        }
        if self.multipliers is not None:
            out["multipliers"] = list(self.multipliers)
            out["reference_r"] = self.reference_r
            out["token"] = self.token()
        return out

    def table(self) -> str:
        rows = [
            f"{'level side':>10} {'layer':>5} {'S (nats)':>14} {'required':>8} {'width':>5} {'ln c':>6} "
            f"{'ln min-cut':>10} {'slack':>7}  status"
        ]
        for lv in self.levels:
            ent = f"{lv.entropy:.3f}" + (f"±{lv.ci95:.3f}" if lv.ci95 > 0 else "")
            rows.append(
                f"{lv.side:>10} {lv.layer:>5} {ent:>14} {lv.required:>8.3f} {lv.width:>5} "
                f"{math.log(lv.width):>6.3f} {lv.log_min_cut:>10.3f} {lv.slack:>7.3f}  "
                f"{lv.status}"
            )
        return "\n".join(rows)

    def __str__(self) -> str:
        kind = (
            "closest (infeasible)"
            if self.shortfall < 0
            else "levels dropped (infeasible)"
            if self.dropped
            else "feasible"
        )
        head = f"{kind} design: channels {list(self.channels)}, {self.n_params} params (budget {self.budget}, equal)"
        lines = [head, self.table(), "", self.explanation]
        if self.multipliers is not None:
            lines += ["", f"experiment schedule token (exact at r = {self.reference_r}): {self.token()}"]
        return "\n".join(lines)


def level_entropies(profile: Any, depth: int) -> tuple[FloatArray, FloatArray]:
    """Mean entanglement and 95 % CI half-width per level, finest first, from a profile of any accepted form.

    A :class:`~convac.datatensor.CanonicalProfile`, a sequence of entropies (nats, finest level first)
    or a mapping ``block side -> entropy``.
    """
    if hasattr(profile, "levels") and hasattr(profile, "grid"):
        mean = [lv.mean for lv in profile.levels]
        ci = [lv.ci95 for lv in profile.levels]
        if max(mean, default=0.0) < NO_ENTANGLEMENT:
            raise InputError(
                f"the data carry no correlations (entanglement below {NO_ENTANGLEMENT:g} nats at every pooling "
                "level), so every width meets every constraint; there is nothing to design for"
            )
    elif isinstance(profile, Mapping):
        keys = sorted(profile)
        mean, ci = [profile[k] for k in keys], [0.0] * len(keys)
    elif isinstance(profile, (Sequence, np.ndarray)) and not isinstance(profile, str):
        mean, ci = list(profile), [0.0] * len(profile)
    else:
        raise ConvacTypeError(
            "a feasible design needs the data's entanglement per canonical level: a CanonicalProfile "
            f"(convac.canonical_entanglement), a list of entropies or a mapping side -> entropy, got {profile!r}"
        )
    if len(mean) != depth:
        raise InputError(
            f"the profile has {len(mean)} levels but the network has {depth} layers; give one entanglement per "
            "canonical level (block sides 1, 2, 4, ..., finest first)"
        )
    means = np.asarray([real(v, f"entropy of level {i}", low=0.0) for i, v in enumerate(mean)], dtype=float)
    cis = np.asarray([0.0 if not math.isfinite(c) else max(0.0, float(c)) for c in ci], dtype=float)
    return means, cis


def _check_geometry(template: Architecture) -> None:
    square = len(set(template.grid)) == 1
    if not square or any(w != 2 for win in template.windows for w in win) or 2**template.depth != template.grid[0]:
        raise InputError(
            "a feasible design needs the canonical pooling tree: a 1D grid of 2^L inputs or a 2^L x 2^L grid "
            "pooled 2 (or 2x2) at every layer; use method='objective' for other pooling schedules"
        )


def no_valley(shape: FloatArray) -> FloatArray:
    """Return the smallest sequence above ``shape`` with no valley: ``min(max before, max after)``."""
    return np.minimum(np.maximum.accumulate(shape), np.maximum.accumulate(shape[::-1])[::-1])


def continuous_widths(
    template: Architecture, lo: IntArray, required: FloatArray, entropy: FloatArray, spend: str, budget: int
) -> FloatArray:
    """Return the valley-free real widths of rule ``spend`` whose parameter count is the budget (bisection).

    ``required`` is what each level's ``ln mincut`` must reach, ``entropy`` its measured entanglement
    (upper confidence bound), which the ``proportional`` rule spends by.
    """

    def widths(extra: float) -> FloatArray:
        return np.maximum(lo, no_valley(SPEND_RULES[spend](template, required, entropy, extra)))

    def count(c: FloatArray) -> float:
        return float(param_counts(template, c[None, :])[0])

    if spend != "uniform":  # the other rules stop where no width can add to any level's min-cut
        try:
            ceiling = count(np.maximum(lo, no_valley(needed_widths(template, input_caps(template)))))
        except OverflowError:  # deep levels of a large input: the caps are out of float range, no ceiling
            ceiling = math.inf
        if budget > ceiling:
            raise InputError(
                f"a budget of {budget} parameters is more than rule {spend!r} can spend: widths beyond the input "
                f"caps ((2^l)^d ln M per level) add nothing to any min-cut and use at most {ceiling:.0f}; "
                "lower the budget or use spend='uniform'"
            )
    return scale_to_budget(widths, count, budget)


def valleys(channels: IntArray) -> npt.NDArray[np.bool_]:
    """Per row: which layers are narrower than some layer before them *and* some layer after them.

    A width vector without any is unimodal (rises, then falls); a run of equal narrow layers between
    wider ones counts as a bottleneck too.
    """
    before = np.maximum.accumulate(channels, axis=1)
    after = np.maximum.accumulate(channels[:, ::-1], axis=1)[:, ::-1]
    out = np.zeros(channels.shape, dtype=bool)
    out[:, 1:-1] = channels[:, 1:-1] < np.minimum(before[:, :-2], after[:, 2:])
    return out


def exact_widths(template: Architecture, lo: IntArray, target: FloatArray, budget: int) -> IntArray:
    """Return the widths of exactly ``budget`` parameters closest to ``target`` in log scale, valley-free if any."""
    widths = closest_exact(
        lambda c: param_counts(template, c),
        lo,
        target,
        budget,
        np.ones(template.depth, dtype=np.int64),
        accept=lambda c: np.asarray(~valleys(c).any(axis=1)),
    )
    if widths is None:
        raise InputError(
            f"no integer widths at or above the lower bounds {lo.tolist()} cost exactly {budget} parameters near "
            f"the continuous design {np.round(target, 2).tolist()}; give another budget"
        )
    return widths


def _level_rows(
    arch: Architecture, means: FloatArray, cis: FloatArray, required: FloatArray, met: FloatArray, lo: IntArray
) -> tuple[LevelConstraint, ...]:
    """Exact min-cut (convac.min_cut) and binding status of every level of the designed net."""
    rows = []
    d, c = arch.ndim, arch.channels
    tree = canonical_levels(arch.grid)
    for level in range(arch.depth):
        block = tree[level].blocks[0]
        part = Partition(arch.n_inputs, block, grid=arch.grid, name=f"canonical(side={2**level}, block=0)")
        log_cut = math.log(min_cut(arch, part).value)
        if log_cut < met[level] - _TOL:
            raise InternalError(f"feasible design misses level {level}: ln min-cut {log_cut} < {met[level]}")
        binding = met[level] > _TOL and any(
            c[k] >= 2 and bonds_inside(level, k, d) * math.log(c[k] - 1) < met[level] - _TOL for k in range(level + 1)
        )
        layers = binding_layers(arch, part.mask)
        rows.append(
            LevelConstraint(
                2**level,
                level,
                float(means[level]),
                float(cis[level]),
                float(required[level]),
                int(lo[level]),
                int(c[level]),
                log_cut,
                bool(binding),
                tuple(layers),
            )
        )
    return tuple(rows)


def design_feasible(
    template: Architecture,
    budget: int,
    profile: Any,
    *,
    margin: float = DEFAULT_MARGIN,
    spend: SpendRule = DEFAULT_SPEND,
    reference_r: int | None = None,
    name: str = "designed",
    infeasible: Literal["raise", "closest", "drop"] = "raise",
) -> FeasibleDesign:
    """Widths for ``template``'s geometry meeting every canonical level's constraint at exactly ``budget``.

    ``profile`` is the data's entanglement per canonical level (see :func:`level_entropies`); raises
    :class:`~convac.errors.InputError` naming the level when no width, or no width within the budget, fits.
    A budget too small for every level gives a design anyway with ``infeasible="closest"`` (every
    requirement lowered by one ``shortfall``) or ``"drop"`` (the most demanding levels ``dropped``), see
    :mod:`convac.channel_design._infeasible`; the levels short of their requirement are marked ``short``.

    Examples
    --------
    >>> from convac import Architecture
    >>> d = design_feasible(Architecture.deep_1d(16, 4, [1] * 4, shared=True), 300, [0.5, 1.0, 1.0, 1.2])
    >>> d.channels, d.n_params, [lv.slack > 0 for lv in d.levels]
    ((6, 9, 10, 12), 300, [True, True, True, True])
    >>> design_feasible(Architecture.deep_1d(16, 4, [1] * 4, shared=True), 120, [0.5, 3.0, 1.0, 1.2])
    Traceback (most recent call last):
        ...
    convac.errors.InputError: level 1 (blocks of side 2) has entanglement 3 nats, but its 2 input edge(s) of M=4 ...
    """
    _check_geometry(template)
    margin = real(margin, "margin", low=0.0)
    rule = choice(spend, "spend", SPEND_RULES)
    means, cis = level_entropies(profile, template.depth)
    caps = input_caps(template)
    for level in np.flatnonzero(means > caps + _TOL):
        raise InputError(
            f"level {level} (blocks of side {2**level}) has entanglement {means[level]:.4g} nats, but its "
            f"{2 ** (level * template.ndim)} input edge(s) of M={template.n_features} features allow at most "
            f"{caps[level]:.4g}: no width fits; use more features (M) or check the data's feature map"
        )
    # the margin is for the widths: where the inputs cap the min-cut, the requirement stops at the cap
    required = np.minimum(means + cis + margin, caps)
    floor_widths = tuple(int(c) for c in lower_bounds(template, required))
    shortfall, dropped = fall_short(template, required, budget, choice(infeasible, "infeasible", INFEASIBLE))
    for attempt in range(40):
        met = np.maximum(required + shortfall, 0.0)
        met[list(dropped)] = 0.0
        lo = lower_bounds(template, met)
        target = continuous_widths(template, lo, met, means + cis, rule, budget)
        last = shortfall == 0.0 or attempt == 39
        try:
            widths = exact_widths(template, lo, target, budget)
        except InputError:
            if last:
                raise
        else:
            if last or not valleys(widths[None, :]).any():
                break
        # lower bounds at the budget's edge leave no exact (valley-free) count: give up a little more slack
        shortfall -= 0.02
    arch = template.with_channels(widths.tolist())
    if arch.n_params != budget:
        raise InternalError(f"feasible design has {arch.n_params} parameters, not the budget {budget}")
    levels = _level_rows(arch, means, cis, required, met, lo)
    bottlenecks = tuple(int(i) for i in np.flatnonzero(valleys(widths[None, :])[0]))
    return FeasibleDesign(
        arch,
        budget,
        margin,
        rule,
        levels,
        tuple(float(v) for v in target),
        bottlenecks,
        reference_r,
        name,
        shortfall,
        floor_widths,
        dropped,
    )
