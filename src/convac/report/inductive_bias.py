"""Deprecated old import path, kept for one release: :mod:`convac.experiments.inductive_bias.report`."""

import warnings

warnings.warn(
    "convac.report.inductive_bias is deprecated and will be removed in the next release; "
    "use convac.experiments.inductive_bias.report",
    DeprecationWarning,
    stacklevel=2,
)

from convac.experiments.inductive_bias.report import (  # noqa: E402
    against_best,
    merge_results,
    paired_gaps,
    per_seed,
    summarize,
    write_report,
)

__all__ = ["against_best", "merge_results", "paired_gaps", "per_seed", "summarize", "write_report"]
