"""Reports: the ``convac demo`` tour (a markdown page plus PNGs)."""

from convac.report.tour import TourResult, run_tour

__all__ = ["TourResult", "run_tour"]
