"""Moved to :mod:`convac.experiments.inductive_bias._batched`; this old path re-exports it."""

from convac.experiments.inductive_bias._batched import _OnDevice, _Stacked, batchable, group_key, run_group

__all__ = ["_OnDevice", "_Stacked", "batchable", "group_key", "run_group"]
