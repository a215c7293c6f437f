"""The verify table: one row per suite, summed from its cell records."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from convac.experiments.verify.cell import run_cell  # noqa: F401  (doctests)
from convac.experiments.verify.suites import suite_cells  # noqa: F401  (doctests)

__all__ = ["SuiteSummary", "VerifyReport"]


@dataclass(frozen=True)
class SuiteSummary:
    """One row of the verify table.

    Examples
    --------
    >>> records = [run_cell(c) for c in suite_cells("shallow", cells=2, partitions=4, seed=0)]
    >>> row = SuiteSummary.from_records("shallow", records)
    >>> row.architectures, row.cases == sum(r["cases"] for r in records), row.above, row.ok
    (2, True, 0, True)
    """

    suite: str
    architectures: int
    cases: int
    equal: int
    below: int
    above: int
    under_lower: int
    lower_proven: bool
    power_cases: int
    power_mismatch: int
    power_proven: bool
    max_gap: float
    max_log2_gap: float
    redrawn: int
    max_sz_bound: float
    cpu_seconds: float
    ms_per_case: float

    @property
    def ok(self) -> bool:
        """The proven statements hold: no rank above the min-cut; where proven, none below the bound."""
        if self.above:
            return False
        if self.lower_proven and self.under_lower:
            return False
        return not (self.power_proven and self.power_mismatch)

    @classmethod
    def from_records(cls, suite: str, records: Sequence[dict[str, Any]]) -> SuiteSummary:
        """Sum the per-architecture result records of one suite into its summary row."""
        cases = sum(r["cases"] for r in records)
        seconds = sum(r["cpu_seconds"] for r in records)
        return cls(
            suite=suite,
            architectures=len(records),
            cases=cases,
            equal=sum(r["equal"] for r in records),
            below=sum(r["below"] for r in records),
            above=sum(r["above"] for r in records),
            under_lower=sum(r["under_lower"] for r in records),
            lower_proven=bool(records) and all(r["lower_proven"] for r in records),
            power_cases=sum(r["cases"] for r in records if r["power_family"]),
            power_mismatch=sum(r["power_mismatch"] for r in records),
            power_proven=bool(records) and all(r["lower_proven"] for r in records),
            max_gap=max((r["max_gap"] for r in records), default=0.0),
            max_log2_gap=max((r["max_log2_gap"] for r in records), default=0.0),
            redrawn=sum(r["redrawn"] for r in records),
            max_sz_bound=max((r["max_sz_bound"] for r in records), default=0.0),
            cpu_seconds=seconds,
            ms_per_case=1000 * seconds / cases if cases else 0.0,
        )


_COLUMNS = [
    ("suite", "suite"),
    ("architectures", "archs"),
    ("cases", "cases"),
    ("equal", "rank = min-cut"),
    ("below", "rank < min-cut"),
    ("max_gap", "max gap 1-rank/cut"),
    ("max_log2_gap", "max log2 gap"),
    ("above", "rank > min-cut"),
    ("under_lower", "rank < lower bound"),
    ("power_cases", "power-family cases"),
    ("power_mismatch", "power-family rank != cut"),
    ("redrawn", "redrawn"),
    ("cpu_seconds", "cpu s"),
    ("ms_per_case", "ms/case"),
    ("status", "status"),
]


@dataclass
class VerifyReport:
    """The verify table: one :class:`SuiteSummary` per suite, plus the files written.

    Examples
    --------
    >>> import tempfile, convac
    >>> with tempfile.TemporaryDirectory() as out:
    ...     report = convac.verify(["shallow"], cells=1, partitions=4, workers=1, out=out,
    ...                            progress=False, echo=lambda line: None)
    >>> report.ok, [row.suite for row in report.rows], report.to_markdown().splitlines()[0][:26]
    (True, ['shallow'], '| suite | archs | cases | ')
    """

    rows: list[SuiteSummary]
    wall_seconds: float
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every proven inequality held in every case."""
        return all(row.ok for row in self.rows)

    def _cells(self, row: SuiteSummary) -> list[str]:
        out = []
        for key, _ in _COLUMNS:
            if key == "status":
                out.append("ok" if row.ok else "FAIL")
            elif key == "under_lower":
                out.append(f"{row.under_lower}" + ("" if row.lower_proven else " (not proven)"))
            elif key == "power_mismatch":
                out.append(f"{row.power_mismatch}" + ("" if row.power_proven else " (not proven)"))
            elif key == "max_gap":
                out.append(f"{100 * row.max_gap:.1f}%")
            elif key in ("max_log2_gap", "cpu_seconds", "ms_per_case"):
                out.append(f"{getattr(row, key):.2f}")
            else:
                out.append(str(getattr(row, key)))
        return out

    def to_markdown(self) -> str:
        """Return the table as GitHub markdown."""
        head = [title for _, title in _COLUMNS]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(self._cells(row)) + " |" for row in self.rows]
        return "\n".join(lines)

    def to_csv(self) -> str:
        """Return the table as CSV with raw numbers (one row per suite)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        keys = [f for f in asdict(self.rows[0])] if self.rows else []
        writer.writerow([*keys, "ok"])
        for row in self.rows:
            writer.writerow([*(asdict(row)[k] for k in keys), row.ok])
        return buf.getvalue()
