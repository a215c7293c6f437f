"""An exact check of the min-cut theorem over grids of architectures and partitions.

For every case (architecture, partition) it computes the min-cut ``W`` (exact integer, tree
DP), the power-of-p lower bound ``W_low`` and the generic rank ``r`` over GF(p)
(:func:`convac.generic_ranks`), and checks

- ``r <= W`` (proven for any weights and any architecture: a failure is a bug or a
  counterexample, and makes the check fail);
- ``W_low <= r`` (proven only for deep 1D ConvACs with window 2 and unshared weights; a
  failure there makes the check fail, elsewhere it is *measured* and reported);
- ``r == W`` when all bond dimensions (``M`` and every channel number) are powers of one
  integer (proven, again, for 1D window 2 unshared; measured elsewhere).

Where ``r < W`` it reports by how much (``1 - r/W`` and ``log2 W - log2 r``). A rank below
the min-cut or below the lower bound is recomputed with ``redraws`` fresh weight draws
(the generic rank is the maximum over draws), so a Schwartz–Zippel accident
(probability ``<= D r / p``) cannot pass for a gap.

Each *cell* (one architecture with its partitions) is a pure function of its
:class:`Cell` (config and seed), so cells could run anywhere; here they run on an executor
(``local``: this process or a pool of worker processes). Every finished cell is appended
at once, as one whole line, to a JSON-lines file ``<out>/<suite>[-full].jsonl`` whose first
line records the configuration: a re-run skips finished cells, an interrupted run resumes
(Ctrl-C or SIGTERM kill the workers at once), and a file written by another configuration
or holding a malformed line is refused (``restart=True`` deletes it and starts over). At
the end a table (markdown and CSV) is printed and saved.

Suites (``SUITES``): ``paper`` (N = 16, M = 2, 4 distinct bond dimensions from
{2,3,5,7,11,13}: 360 arrangements x 6435 balanced partitions), ``2d`` (4x4 inputs, 2x2
pooling), ``shared`` (the paper's grid with shared weights), ``shallow``, and ``powers``
(bond dimensions all powers of one integer). Without ``full`` each suite runs a seeded
sample of its grid.

Examples
--------
>>> import tempfile, convac
>>> with tempfile.TemporaryDirectory() as tmp:
...     report = convac.verify(["shallow"], out=tmp, cells=2, partitions=5, workers=1, progress=False)
>>> report.ok, report.rows[0].suite, report.rows[0].cases
(True, 'shallow', 14)
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convac._validation import integer, non_negative_int, positive_int
from convac.errors import ConvacError
from convac.experiments._executor import Executor, Interrupted, make_executor, stop_on_signals
from convac.experiments._jsonl import append_line, drop_torn_tail, read_lines, write_atomic
from convac.experiments._suite_info import SUITE_DESCRIPTIONS
from convac.partitions import Partition
from convac.ranks._finite_field import FAST_PRIME, check_prime
from convac.ranks._generic_rank import generic_ranks, schwartz_zippel_bound
from convac.spec import Architecture

__all__ = [
    "SUITES",
    "VERIFY_PRIME",
    "VERIFY_REDRAWS",
    "Cell",
    "SuiteSpec",
    "SuiteSummary",
    "VerifyReport",
    "is_power_family",
    "lower_bound_values",
    "run_cell",
    "suite_cells",
    "verify",
]

FORMAT_VERSION = 2
MAX_WORKERS = 2
PAPER_BONDS = (2, 3, 5, 7, 11, 13)
VERIFY_PRIME = FAST_PRIME
"""The field of ``verify``: p = 4194301 < 2²², small enough for the float64 BLAS rank route."""
VERIFY_REDRAWS = 2
"""Fresh weight draws for a case below the min-cut: each squares the Schwartz–Zippel bound again."""


# ---------------------------------------------------------------------------- suites
def _balanced(n: int) -> list[tuple[int, ...]]:
    """All balanced partitions of n positions once each (position 0 on side A): C(n, n/2)/2."""
    return [(0, *rest) for rest in itertools.combinations(range(1, n), n // 2 - 1)]


def _all_bipartitions(n: int) -> list[tuple[int, ...]]:
    """Every bipartition into two non-empty sides once (position 0 on side A): 2^(n-1) - 1."""
    out: list[tuple[int, ...]] = []
    for size in range(0, n - 1):
        out.extend((0, *rest) for rest in itertools.combinations(range(1, n), size))
    return out


def _named(arch: Architecture) -> list[tuple[int, ...]]:
    """Return the paper's named partitions of ``arch`` (left/right, interleaved; up/down in 2D)."""
    parts = [Partition.left_right(arch), Partition.interleaved(arch)]
    if arch.ndim == 2:
        parts.append(Partition.up_down(arch))
    return [_canonical(p.side_a, arch.n_inputs) for p in parts]


def _canonical(side_a: Iterable[int], n: int) -> tuple[int, ...]:
    a = tuple(sorted(side_a))
    return a if 0 in a else tuple(sorted(set(range(n)) - set(a)))


def _paper_archs(shared: bool) -> list[Architecture]:
    return [
        Architecture.deep_1d(n_inputs=16, n_features=2, channels=list(ch), shared=shared)
        for ch in itertools.permutations(PAPER_BONDS, 4)
    ]


def _archs_2d() -> list[Architecture]:
    bonds = (2, 3, 4, 5, 7)
    return [Architecture.deep_2d(height=4, width=4, n_features=2, channels=[a, b]) for a in bonds for b in bonds]


def _archs_shallow() -> list[Architecture]:
    return [
        Architecture.shallow(n_inputs=n, n_features=m, hidden=z)
        for n in (4, 6, 8)
        for m in (2, 3)
        for z in (1, 2, 3, 5, 7, 16, 40)
    ]


def _archs_powers() -> list[Architecture]:
    out = []
    for ch in itertools.product((2, 4, 8, 16), repeat=4):
        out.append(Architecture.deep_1d(n_inputs=16, n_features=2, channels=list(ch)))
    for ch in itertools.product((3, 9, 27), repeat=3):
        out.append(Architecture.deep_1d(n_inputs=8, n_features=3, channels=list(ch)))
    for ch in itertools.product((2, 4, 16), repeat=3):
        out.append(Architecture.deep_1d(n_inputs=8, n_features=4, channels=list(ch)))
    return out


@dataclass(frozen=True)
class SuiteSpec:
    """A named grid of architectures and partitions.

    It holds the full list of architectures, the full list of partitions of each, and the
    sample sizes used without ``full``.

    Examples
    --------
    >>> spec = SUITES["shallow"]
    >>> spec.name, len(spec.architectures()), spec.default_cells
    ('shallow', 42, 42)
    """

    name: str
    description: str
    architectures: Callable[[], list[Architecture]]
    partitions: Callable[[Architecture], list[tuple[int, ...]]]
    default_cells: int
    default_partitions: int


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec(
            "paper",
            SUITE_DESCRIPTIONS["paper"],
            lambda: _paper_archs(shared=False),
            lambda arch: _balanced(arch.n_inputs),
            10,
            250,
        ),
        SuiteSpec(
            "2d",
            SUITE_DESCRIPTIONS["2d"],
            _archs_2d,
            lambda arch: _balanced(arch.n_inputs),
            12,
            150,
        ),
        SuiteSpec(
            "shared",
            SUITE_DESCRIPTIONS["shared"],
            lambda: _paper_archs(shared=True),
            lambda arch: _balanced(arch.n_inputs),
            6,
            150,
        ),
        SuiteSpec(
            "shallow",
            SUITE_DESCRIPTIONS["shallow"],
            _archs_shallow,
            lambda arch: _all_bipartitions(arch.n_inputs),
            42,
            127,
        ),
        SuiteSpec(
            "powers",
            SUITE_DESCRIPTIONS["powers"],
            _archs_powers,
            lambda arch: _balanced(arch.n_inputs),
            10,
            100,
        ),
    )
}
"""The verify suites by name (``paper``, ``2d``, ``shared``, ``shallow``, ``powers``)."""


# ---------------------------------------------------------------------------- cells
@dataclass(frozen=True)
class Cell:
    """One unit of work: an architecture and its partitions (side A, position 0 on it).

    Examples
    --------
    >>> cell = suite_cells("powers", cells=1, partitions=3, seed=0)[0]
    >>> cell.suite, all(0 in side_a for side_a in cell.partitions)
    ('powers', True)
    >>> record = run_cell(cell)
    >>> record["cases"] == len(cell.partitions), record["above"], record["equal"] == record["cases"]
    (True, 0, True)
    """

    suite: str
    index: int
    arch: dict[str, Any]
    partitions: tuple[tuple[int, ...], ...]
    seed: int
    prime: int = VERIFY_PRIME
    redraws: int = VERIFY_REDRAWS


def _sample(rng: np.random.Generator, items: Sequence[Any], k: int | None) -> list[Any]:
    if k is None or k >= len(items):
        return list(items)
    idx = np.sort(rng.choice(len(items), size=k, replace=False))
    return [items[i] for i in idx]


def suite_cells(
    suite: str,
    *,
    full: bool = False,
    seed: int = 0,
    cells: int | None = None,
    partitions: int | None = None,
    prime: int = VERIFY_PRIME,
    redraws: int = VERIFY_REDRAWS,
) -> list[Cell]:
    """Return the cells of a suite: all of its grid with ``full``, else a sample reproducible from ``seed``.

    ``cells`` / ``partitions`` override the sample sizes (architectures, partitions per
    architecture); sampled cells always include the named partitions (left/right,
    interleaved, up/down).

    Examples
    --------
    >>> [len(c.partitions) for c in suite_cells("paper", cells=2, partitions=10)]
    [12, 12]
    >>> len(suite_cells("paper", full=True)), len(suite_cells("paper", full=True)[0].partitions)
    (360, 6435)
    """
    spec = _spec(suite)
    archs = spec.architectures()
    suite_key = int.from_bytes(suite.encode(), "little") % 2**32
    rng = np.random.default_rng([seed, suite_key])
    n_cells = None if full and cells is None else (cells if cells is not None else spec.default_cells)
    n_parts = (
        None if full and partitions is None else (partitions if partitions is not None else spec.default_partitions)
    )
    chosen = _sample(rng, list(enumerate(archs)), n_cells)
    out = []
    for index, arch in chosen:
        all_parts = spec.partitions(arch)
        cell_rng = np.random.default_rng([seed, suite_key, index])
        if n_parts is None:
            parts = all_parts
        else:
            named = [p for p in _named(arch) if p in set(all_parts)]
            rest = [p for p in all_parts if p not in set(named)]
            parts = named + _sample(cell_rng, rest, n_parts)
        cell_seed = int(np.random.SeedSequence([seed, suite_key, index]).generate_state(1)[0])
        out.append(Cell(suite, index, arch.to_dict(), tuple(parts), cell_seed, prime, redraws))
    return out


def _spec(suite: str) -> SuiteSpec:
    if suite not in SUITES:
        raise ConvacError(f"unknown verify suite {suite!r}; choose from {', '.join(SUITES)}")
    return SUITES[suite]


def _minimal_base(v: int) -> int:
    """Return the smallest b with v = b**k (v itself if v is no perfect power)."""
    for b in range(2, math.isqrt(v) + 1):
        q = v
        while q % b == 0:
            q //= b
        if q == 1:
            return b
    return v


def is_power_family(arch: Architecture) -> bool:
    """Whether ``M`` and every channel number are powers of one integer (1 counts as any power).

    Examples
    --------
    >>> is_power_family(Architecture.deep_1d(8, 2, [4, 8, 2]))
    True
    >>> is_power_family(Architecture.deep_1d(8, 2, [4, 3, 2]))
    False
    """
    bases = {_minimal_base(v) for v in (arch.n_features, *arch.channels) if v > 1}
    return len(bases) <= 1


def lower_bound_values(arch: Architecture, masks: np.ndarray) -> list[int]:
    """:func:`convac.min_cut_lower_bound` for many partitions (boolean side-A masks) at once.

    For each p, the min-cut of the architecture whose bond dimensions are rounded down to
    powers of p, vectorised over the partitions by :func:`convac.min_cut_values`.

    Examples
    --------
    >>> arch = Architecture.deep_1d(8, 2, [3, 5, 3])
    >>> lower_bound_values(arch, np.array([[1, 1, 1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0]], dtype=bool))
    [2, 16]
    """
    from convac.mincut import min_cut_values

    best = np.ones(masks.shape[0], dtype=object)
    bonds = (arch.n_features, *arch.channels)
    seen = set()
    for p in range(2, max(bonds) + 1):
        rounded = tuple(_largest_power(p, c) for c in bonds)
        if rounded in seen:
            continue
        seen.add(rounded)
        data = arch.to_dict()
        data["n_features"], data["channels"] = rounded[0], list(rounded[1:])
        values = min_cut_values(Architecture.from_dict(data), masks)
        best = np.maximum(best, values)
    return [int(v) for v in best]


def _largest_power(p: int, c: int) -> int:
    q = 1
    while q * p <= c:
        q *= p
    return q


def run_cell(cell: Cell) -> dict[str, Any]:
    """Check one cell; returns a JSON-ready record (counts, worst gap, examples, timing).

    A pure function of ``cell``: the same cell gives the same numbers (timing aside).

    Examples
    --------
    >>> record = run_cell(suite_cells("shallow", cells=1, partitions=2)[0])
    >>> record["cases"], record["above"], record["equal"]
    (4, 0, 4)
    """
    from convac.mincut import min_cut_values

    start, cpu_start = time.perf_counter(), time.process_time()
    arch = Architecture.from_dict(cell.arch)
    n = arch.n_inputs
    parts = [Partition(n, side_a) for side_a in cell.partitions]
    masks = np.zeros((len(parts), n), dtype=bool)
    for i, side_a in enumerate(cell.partitions):
        masks[i, list(side_a)] = True
    cuts = [int(v) for v in min_cut_values(arch, masks)]
    lowers = lower_bound_values(arch, masks)
    t_cut = time.perf_counter() - start
    ranks = generic_ranks(arch, parts, seed=cell.seed, prime=cell.prime, cap=[c + 1 for c in cuts])
    redrawn = 0
    for k in range(1, cell.redraws + 1):
        again = [i for i, (r, c, lo) in enumerate(zip(ranks, cuts, lowers, strict=True)) if r < c or r < lo]
        if not again:
            break
        redrawn += len(again)
        more = generic_ranks(
            arch,
            [parts[i] for i in again],
            seed=cell.seed + k,
            prime=cell.prime,
            cap=[cuts[i] + 1 for i in again],
        )
        for i, r in zip(again, more, strict=True):
            ranks[i] = max(ranks[i], r)
    t_rank = time.perf_counter() - start - t_cut

    lower_proven = arch.kind == "deep" and arch.ndim == 1 and arch.window == 2 and not arch.shared
    powers = is_power_family(arch)
    below = [i for i, (r, c) in enumerate(zip(ranks, cuts, strict=True)) if r < c]
    above = [i for i, (r, c) in enumerate(zip(ranks, cuts, strict=True)) if r > c]
    under_lower = [i for i, (r, lo) in enumerate(zip(ranks, lowers, strict=True)) if r < lo]
    gaps = [1 - ranks[i] / cuts[i] for i in below]
    log_gaps = [math.log2(cuts[i]) - math.log2(ranks[i]) if ranks[i] else math.inf for i in below]

    def example(i: int) -> dict[str, Any]:
        return {"side_a": list(cell.partitions[i]), "rank": ranks[i], "min_cut": cuts[i], "lower": lowers[i]}

    worst = sorted(below, key=lambda i: ranks[i] / cuts[i])[:5]
    return {
        "kind": "cell",
        "suite": cell.suite,
        "index": cell.index,
        "arch": cell.arch,
        "seed": cell.seed,
        "cases": len(parts),
        "equal": len(parts) - len(below) - len(above),
        "below": len(below),
        "above": len(above),
        "under_lower": len(under_lower),
        "lower_proven": lower_proven,
        "power_family": powers,
        "power_mismatch": len(below) + len(above) if powers else 0,
        "max_gap": max(gaps, default=0.0),
        "max_log2_gap": max(log_gaps, default=0.0),
        "redrawn": redrawn,
        "max_sz_bound": max((schwartz_zippel_bound(arch, r, cell.prime) for r in ranks), default=0.0),
        "worst": [example(i) for i in worst],
        "violations": [example(i) for i in (above + under_lower)[:10]],
        "seconds_cut": round(t_cut, 4),
        "seconds_rank": round(t_rank, 4),
        "seconds": round(time.perf_counter() - start, 4),
        # CPU time of this process: the honest cost when other jobs share the cores.
        "cpu_seconds": round(time.process_time() - cpu_start, 4),
    }


# ---------------------------------------------------------------------------- results file
def _config(suite: str, cells: Sequence[Cell], full: bool, seed: int, sizes: dict[str, int | None]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "suite": suite,
        "full": full,
        "seed": seed,
        "prime": cells[0].prime if cells else VERIFY_PRIME,
        "redraws": cells[0].redraws if cells else VERIFY_REDRAWS,
        "cells": sizes["cells"],
        "partitions": sizes["partitions"],
        "n_cells": len(cells),
        "n_cases": sum(len(c.partitions) for c in cells),
    }


# What SuiteSummary reads from a cell record; a line without them is not one of ours.
_RECORD_KEYS = frozenset(
    (
        "kind",
        "index",
        "cases",
        "equal",
        "below",
        "above",
        "under_lower",
        "lower_proven",
        "power_family",
        "power_mismatch",
        "max_gap",
        "max_log2_gap",
        "redrawn",
        "max_sz_bound",
        "cpu_seconds",
    )
)


def _check_header(path: Path, config: dict[str, Any]) -> None:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        header = json.loads(first) if first.endswith(b"\n") else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("kind") != "header":
        raise ConvacError(
            f"{path} is not a convac verify results file; choose another --out directory, "
            "delete the file, or run again with --restart"
        )
    if header.get("config") != config:
        diff = (
            sorted(k for k in config if header["config"].get(k) != config[k])
            if isinstance(header.get("config"), dict)
            else ["config"]
        )
        raise ConvacError(
            f"{path} was written by another verify configuration (differs in {', '.join(diff)}); "
            "use another --out directory, delete the file, or run again with --restart"
        )


def _load(path: Path, config: dict[str, Any], restart: bool = False) -> dict[int, dict[str, Any]]:
    """Finished cells of a results file (created with its header if missing).

    Refuses a foreign file and any line that is not a cell record; cuts off a half-written last
    line (a killed run) with a warning. ``restart`` deletes the file first.
    """
    if restart:
        path.unlink(missing_ok=True)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"kind": "header", "config": config}) + "\n")
        return {}
    _check_header(path, config)
    drop_torn_tail(path)
    advice = "delete the file, or run again with --restart to start this suite over"
    done = {}
    for number, record in read_lines(path, advice)[1:]:
        if not (isinstance(record, dict) and record.keys() >= _RECORD_KEYS and isinstance(record["index"], int)):
            raise ConvacError(f"{path} line {number} is not a verify cell record; {advice}")
        done[record["index"]] = record
    return done


# ---------------------------------------------------------------------------- report
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


# ---------------------------------------------------------------------------- driver
def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    # Two workers share the cores: one BLAS thread each (the rank products run on BLAS).
    threadpool_limits(1)


def _cell_task(cell: Cell, progress: Callable[[Any], None]) -> dict[str, Any]:
    return run_cell(cell)


@dataclass
class _SuiteRun:
    """One suite of a verify run: its cells, its results file and the cells found finished there."""

    name: str
    cells: list[Cell]
    path: Path
    done: dict[int, dict[str, Any]]

    @property
    def todo(self) -> list[Cell]:
        return [c for c in self.cells if c.index not in self.done]

    def summary(self) -> SuiteSummary:
        return SuiteSummary.from_records(self.name, [self.done[c.index] for c in self.cells])


def _check_arguments(
    suites: Sequence[str] | None, workers: int, sizes: dict[str, int | None], redraws: int, seed: int
) -> list[str]:
    """Return the suite names to run, after checking every argument of :func:`verify`."""
    names = list(SUITES) if suites is None else list(suites)
    if not names:
        raise ConvacError("give at least one suite")
    for name in names:
        _spec(name)
    if len(set(names)) != len(names):
        raise ConvacError(f"suites listed more than once: {names}")
    if integer(workers, "workers") not in range(1, MAX_WORKERS + 1):
        raise ConvacError(f"workers must be 1 or {MAX_WORKERS}, got {workers!r}")
    for label, value in sizes.items():
        if value is not None:
            positive_int(value, label)
    non_negative_int(redraws, "redraws")
    non_negative_int(seed, "seed")
    return names


def _run_suites(runs: list[_SuiteRun], pool: Executor, progress: bool, out_dir: Path) -> None:
    """Run every unfinished cell of ``runs``, appending each record to its suite's file as it arrives."""
    from tqdm.auto import tqdm

    tasks = [(run, cell) for run in runs for cell in run.todo]
    total = sum(len(run.cells) for run in runs)
    bar = tqdm(
        total=total,
        initial=total - len(tasks),
        desc=f"verify {','.join(run.name for run in runs)}",
        unit="arch",
        disable=not progress,
        leave=False,
    )
    with stop_on_signals() as guard:
        try:
            with contextlib.closing(pool.run(_cell_task, [cell for _, cell in tasks])) as results:
                for index, record in results:
                    run = tasks[index][0]
                    with guard.deferred():  # the line is written whole, then the interrupt
                        append_line(run.path, record)
                        run.done[record["index"]] = record
                    bar.update(1)
        except KeyboardInterrupt as exc:
            raise Interrupted.saved(exc, sum(len(run.done) for run in runs), total, out_dir) from None
        finally:
            bar.close()


def _save_tables(report: VerifyReport, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, csv_path = out_dir / "verify.md", out_dir / "verify.csv"
    md.write_text(report.to_markdown() + "\n")
    csv_path.write_text(report.to_csv())
    report.files += [md, csv_path]


def verify(
    suites: Sequence[str] | None = None,
    *,
    full: bool = False,
    seed: int = 0,
    out: str | os.PathLike[str] = "verify-results",
    workers: int = 2,
    cells: int | None = None,
    partitions: int | None = None,
    prime: int = VERIFY_PRIME,
    redraws: int = VERIFY_REDRAWS,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
    restart: bool = False,
    executor: str = "local",
    address: str | None = None,
) -> VerifyReport:
    """Run the min-cut theorem check on ``suites`` (default: all of :data:`SUITES`).

    Writes ``<out>/<suite>[-full].jsonl`` (one line per finished cell; re-runs resume,
    ``restart=True`` deletes these files first) and ``<out>/verify.md`` / ``verify.csv`` (the
    table). ``workers`` (1 or 2) processes of the ``executor`` run the cells (``"ray"``: Ray
    tasks on a local Ray with ``workers`` CPUs, or on the cluster at ``address``). ``echo`` receives
    the table text (e.g. ``print``). SIGINT or SIGTERM stops the workers at once and raises
    :class:`~convac.experiments._executor.Interrupted` (a KeyboardInterrupt); every finished
    cell is on disk by then. See the module docstring.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = verify(["powers"], out=tmp, cells=1, partitions=3, workers=1, progress=False)
    >>> report.rows[0].power_cases, report.rows[0].power_mismatch, report.ok
    (5, 0, True)
    """
    names = _check_arguments(suites, workers, {"cells": cells, "partitions": partitions}, redraws, seed)
    prime = check_prime(prime)
    pool = make_executor(executor, workers, initializer=_init_worker, address=address)
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConvacError(f"--out {out_dir} exists and is not a directory")
    wall = time.perf_counter()
    runs = []
    for name in names:
        all_cells = suite_cells(
            name, full=full, seed=seed, cells=cells, partitions=partitions, prime=prime, redraws=redraws
        )
        config = _config(name, all_cells, full, seed, {"cells": cells, "partitions": partitions})
        path = out_dir / f"{name}{'-full' if full else ''}.jsonl"
        runs.append(_SuiteRun(name, all_cells, path, _load(path, config, restart)))
    _run_suites(runs, pool, progress, out_dir)
    report = VerifyReport([run.summary() for run in runs], time.perf_counter() - wall, [run.path for run in runs])
    _save_tables(report, out_dir)
    if echo is not None:
        echo(report.to_markdown())
    return report
