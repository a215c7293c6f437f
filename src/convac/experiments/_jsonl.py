"""Moved to :mod:`convac.experiments._runner.store`; this old path re-exports it."""

from convac.experiments._runner.store import append_line, drop_torn_tail, read_lines, write_atomic

__all__ = ["append_line", "drop_torn_tail", "read_lines", "write_atomic"]
