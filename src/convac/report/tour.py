"""Deprecated old import path, kept for one release: :mod:`convac.experiments.tour`."""

import warnings

warnings.warn(
    "convac.report.tour is deprecated and will be removed in the next release; use convac.experiments.tour",
    DeprecationWarning,
    stacklevel=2,
)

from convac.experiments.tour import TourResult, run_tour  # noqa: E402

__all__ = ["TourResult", "run_tour"]
