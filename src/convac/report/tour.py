"""Moved to :mod:`convac.experiments.tour`; this old path re-exports it."""

from convac.experiments.tour import TourResult, run_tour

__all__ = ["TourResult", "run_tour"]
