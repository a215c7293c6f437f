"""Design channel widths for the correlations a task needs (docs/theory.md §5, docs/guide/design.md).

Two rules behind one front-end (:func:`design`, :func:`design_schedule`, ``method=``):

- :mod:`~convac.channel_design._objective` (``"objective"``): maximise a weighted sum of min-cut
  fractions over probe scales within the budget;
- :mod:`~convac.channel_design._feasible` (``"feasible"``): the canonical-partition theorem as
  constraints, ``ln c_l >= S_l + margin`` at every level, at exactly the budget, the free budget
  spent by a stated rule, and an explanation of which level binds.

>>> design_schedule([0.02, 0.06, 0.08, 0.23, 0.58, 1.14], method="feasible", r=6).n_params
1416
"""

from convac.channel_design._feasible import (
    DEFAULT_MARGIN,
    DEFAULT_SPEND,
    SPEND_RULES,
    FeasibleDesign,
    LevelConstraint,
    SpendRule,
    design_feasible,
)
from convac.channel_design._front import FAMILY_SPEND, METHODS, Family, Method, design, design_schedule, spend_for
from convac.channel_design._objective import (
    DEFAULT_MULTIPLIERS,
    DEFAULT_WIDTHS,
    PRESETS,
    Design,
    parse_profile,
    resolve_profile,
)

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_MULTIPLIERS",
    "DEFAULT_SPEND",
    "DEFAULT_WIDTHS",
    "FAMILY_SPEND",
    "METHODS",
    "PRESETS",
    "SPEND_RULES",
    "Design",
    "Family",
    "FeasibleDesign",
    "LevelConstraint",
    "Method",
    "SpendRule",
    "design",
    "design_feasible",
    "design_schedule",
    "parse_profile",
    "resolve_profile",
    "spend_for",
]
