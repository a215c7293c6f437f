"""Reports: the ``convac demo`` tour and the experiment's tables and figures (matplotlib, Agg backend)."""

from convac.report.inductive_bias import summarize, write_report
from convac.report.tour import TourResult, run_tour

__all__ = ["TourResult", "run_tour", "summarize", "write_report"]
