"""The two front-ends, :func:`design` and :func:`design_schedule`, over the two design rules.

``method="objective"`` (:mod:`convac.channel_design._objective`): maximise a weighted sum of min-cut
fractions over probe scales within (at most) the budget. ``method="feasible"``
(:mod:`convac.channel_design._feasible`): meet ``ln c_l >= S_l + margin`` at every canonical level of the
pooling tree and spend exactly the budget by a stated rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

from convac._validation import choice, integer, positive_int
from convac.channel_design import _objective
from convac.channel_design._feasible import DEFAULT_MARGIN, SPEND_RULES, FeasibleDesign, SpendRule, design_feasible
from convac.channel_design._objective import DEFAULT_MULTIPLIERS, DEFAULT_WIDTHS, Design
from convac.channel_design._probe import probe_architecture
from convac.errors import InputError
from convac.spec import Architecture
from convac.spec._paper import PAPER_R_VALUES, paper_architecture, paper_budget

__all__ = ["FAMILY_SPEND", "METHODS", "Family", "Method", "design", "design_schedule", "spend_for"]

Method = Literal["objective", "feasible"]
METHODS: tuple[str, ...] = ("objective", "feasible")
"""Design rules: ``objective`` (weighted min-cut fractions, within the budget) and ``feasible`` (the theorem)."""

Family = Literal["relu", "convac"]
FAMILY_SPEND: dict[str, SpendRule] = {"relu": "uniform", "convac": "proportional"}
"""The spend rule ``spend="auto"`` picks for the net the widths are for, each the one measured to suit it.

``relu`` (ReLU/max-pool CNNs, the paper's experiment): ``uniform``, the constraints as floors and one
common width above them. On the paper's local task at r = 6 (real digits, 1,416 weights, ten seeds) a
net of 15 channels in every layer reached 62.2 ± 2.2 %, ahead of wide-base (52.2), wide-tip (53.0), the
equal-slack design ``8,9,11,13,22,23`` (56.5; paired −5.7 [−8.2, −3.1], 0 of 10 seeds) and the
proportional one ``3,3,3,5,13,56`` (36.9, seeds 0-2): no level binds there, and every tilt of the widths
cost accuracy; a ReLU net needs width at the fine levels to extract features, which the data's small
fine-level entanglement does not ask for. ``convac`` (ConvACs, wave functions): ``proportional``, which
picked the right shape on 30 of 30 known-scale tasks, where equal slack gave one shape for every scale
(docs/findings/scale-tasks.md, docs/findings/inductive-bias.md).
"""


def spend_for(spend: SpendRule | Literal["auto"], family: Family) -> SpendRule:
    """Return the spend rule ``spend`` names, or for ``"auto"`` the one :data:`FAMILY_SPEND` gives ``family``.

    Examples
    --------
    >>> spend_for("auto", "relu"), spend_for("auto", "convac"), spend_for("entanglement", "relu")
    ('uniform', 'proportional', 'entanglement')
    """
    net = choice(family, "family", tuple(FAMILY_SPEND))
    rule = choice(spend, "spend", ("auto", *SPEND_RULES))
    return FAMILY_SPEND[net] if rule == "auto" else cast(SpendRule, rule)


def _check_grid(profile: Any, template: Architecture) -> None:
    grid = getattr(profile, "grid", None)
    if grid is not None and tuple(int(v) for v in grid) != template.grid:
        measured, net = "x".join(map(str, grid)), "x".join(map(str, template.grid))
        raise InputError(
            f"the data profile was measured on the grid {measured}, but the network's grid is {net}; "
            f"measure data laid out on {net}, or design for {measured}"
        )


def design(
    grid: Sequence[int] | int,
    budget: int,
    profile: Any = "local",
    *,
    method: Method = "objective",
    margin: float = DEFAULT_MARGIN,
    spend: SpendRule | Literal["auto"] = "auto",
    family: Family = "convac",
    infeasible: Literal["raise", "closest", "drop"] = "raise",
    n_features: int = 2,
    window: int | None = None,
    n_outputs: int = 1,
    shared: bool = False,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    windows: Sequence[Any] | None = None,
) -> Design | FeasibleDesign:
    """Channel numbers for a deep ConvAC on ``grid`` within ``budget`` parameters, by ``method``.

    ``method="objective"`` (default): maximise ``profile``'s objective (a preset, weights per scale
    or a data profile) over ``widths`` within the budget, see :mod:`convac.channel_design._objective`.
    ``method="feasible"``: ``profile`` is the data's entanglement per canonical level
    (:func:`convac.canonical_entanglement`, or entropies in nats, finest level first); the design
    meets ``ln mincut_l >= S_l + margin`` at every level and has exactly ``budget`` parameters, the
    free budget spent by ``spend`` (:mod:`convac.channel_design._feasible`; ``"auto"``: the rule
    :data:`FAMILY_SPEND` gives ``family``, the kind of net the widths are for, a ConvAC by default);
    a budget too small for every level raises, or with ``infeasible="closest"`` gives the closest
    design, with ``infeasible="drop"`` one that meets every level but the most demanding ones.
    ``margin``, ``spend``, ``family`` and ``infeasible`` apply to ``feasible`` only, ``widths`` to
    ``objective`` only.

    Examples
    --------
    >>> d = design((16, 16), budget=400, profile="local", n_features=4, shared=True)
    >>> d.channels, d.n_params <= 400
    ((16, 8, 8, 16), True)
    >>> f = design(16, budget=300, profile=[0.1, 0.2, 0.4, 1.5], method="feasible", n_features=4, shared=True)
    >>> f.n_params, [lv.slack >= 0 for lv in f.levels]
    (300, [True, True, True, True])
    """
    if choice(method, "method", METHODS) == "objective":
        return _objective.design(
            grid, budget, profile, n_features=n_features, window=window, n_outputs=n_outputs, shared=shared,
            widths=widths, windows=windows,
        )  # fmt: skip
    budget = integer(budget, "budget")
    probe = probe_architecture(grid, n_features, window, n_outputs, shared, windows)
    _check_grid(profile, probe)
    rule = spend_for(spend, family)
    return design_feasible(probe, budget, profile, margin=margin, spend=rule, infeasible=infeasible)


def design_schedule(
    profile: Any = "local",
    *,
    method: Method = "objective",
    r: int | None = None,
    margin: float = DEFAULT_MARGIN,
    spend: SpendRule | Literal["auto"] = "auto",
    family: Family = "relu",
    infeasible: Literal["raise", "closest", "drop"] = "raise",
    r_values: Sequence[int] = PAPER_R_VALUES,
    reference_r: int = 8,
    multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
    name: str | None = None,
) -> Design | FeasibleDesign:
    """Widths for the paper's geometry (64x64, M = 10, 10 outputs, shared, 2x2 pooling) at its budget.

    ``method="objective"`` (default): multipliers of ``r`` within ``31 r^2 + 50 r`` at every r in
    ``r_values``, scored at ``reference_r`` (:mod:`convac.channel_design._objective`).
    ``method="feasible"``: widths meeting ``ln mincut_l >= S_l + margin`` at each of the six
    canonical levels with *exactly* ``31 r^2 + 50 r`` parameters, the budget of wide-base and wide-tip
    at ``r`` (default ``reference_r``); its :meth:`~FeasibleDesign.token` is exact at that ``r``. The
    free budget is spent by ``spend``; ``"auto"`` takes the rule :data:`FAMILY_SPEND` gives ``family``,
    the experiment's net (a ReLU net by default: one common width above the constraints).

    Examples
    --------
    >>> design_schedule("global").token()
    'designed_global=1,1,1,2,2,6'
    >>> d = design_schedule([0.02, 0.06, 0.08, 0.23, 0.58, 1.14], method="feasible", r=6)
    >>> d.n_params == 31 * 6**2 + 50 * 6, d.token().startswith("designed_feasible="), d.spend
    (True, True, 'uniform')
    """
    if choice(method, "method", METHODS) == "objective":
        return _objective.design_schedule(
            profile, r_values=r_values, reference_r=reference_r, multipliers=multipliers, name=name
        )
    r = positive_int(reference_r if r is None else r, "r")
    rule = spend_for(spend, family)
    probe = paper_architecture([1] * 6)
    _check_grid(profile, probe)
    label = _objective._schedule_name(name or "designed_feasible")
    return design_feasible(
        probe, paper_budget(r), profile, margin=margin, spend=rule, reference_r=r, name=label, infeasible=infeasible
    )
