"""Reports: the ``convac demo`` tour and the experiment's tables and figures (matplotlib, Agg backend)."""

from convac.report.inductive_bias import against_best, merge_results, paired_gaps, per_seed, summarize, write_report
from convac.report.tour import TourResult, run_tour

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
