"""Moved to :mod:`convac.experiments.inductive_bias.report`; this old path re-exports it."""

from convac.experiments.inductive_bias.report import (
    against_best,
    merge_results,
    paired_gaps,
    per_seed,
    summarize,
    write_report,
)

__all__ = ["against_best", "merge_results", "paired_gaps", "per_seed", "summarize", "write_report"]
