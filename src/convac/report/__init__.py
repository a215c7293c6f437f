"""Reports (old path): the ``convac demo`` tour and the inductive-bias tables and figures.

Both moved into :mod:`convac.experiments` (:mod:`convac.experiments.tour` and
:mod:`convac.experiments.inductive_bias.report`); these names stay importable from here.
"""

from convac.experiments.inductive_bias.report import (
    against_best,
    merge_results,
    paired_gaps,
    per_seed,
    summarize,
    write_report,
)
from convac.experiments.tour import TourResult, run_tour

__all__ = [
    "TourResult",
    "against_best",
    "merge_results",
    "paired_gaps",
    "per_seed",
    "run_tour",
    "summarize",
    "write_report",
]
