"""Reports: tables and figures of experiment results (matplotlib, Agg backend)."""

from convac.report.inductive_bias import summarize, write_report

__all__ = ["summarize", "write_report"]
