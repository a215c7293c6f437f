"""Moved to :mod:`convac.experiments.inductive_bias._batched`; this old path re-exports it."""

from convac.experiments.inductive_bias._batched import batchable, group_key, run_group

__all__ = ["batchable", "group_key", "run_group"]
