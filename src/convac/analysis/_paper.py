"""Old import path of the paper's geometry; it lives in :mod:`convac.spec._paper` now."""

from convac.spec._paper import (
    PAPER_GRID,
    PAPER_N_FEATURES,
    PAPER_N_OUTPUTS,
    PAPER_R_VALUES,
    PAPER_SCHEDULES,
    paper_architecture,
    paper_budget,
    paper_schedule,
    split_schedules,
    wide_base,
    wide_tip,
)

__all__ = [
    "PAPER_GRID",
    "PAPER_N_FEATURES",
    "PAPER_N_OUTPUTS",
    "PAPER_R_VALUES",
    "PAPER_SCHEDULES",
    "paper_architecture",
    "paper_budget",
    "paper_schedule",
    "split_schedules",
    "wide_base",
    "wide_tip",
]
