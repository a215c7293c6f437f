"""Run verify suites: the unfinished cells on an executor, each saved to its suite's result store."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convac._threads import thread_limit
from convac._validation import non_negative_int, positive_int
from convac.errors import InputError
from convac.experiments._runner import Executor, ResultStore, make_executor, resolve_workers, run_tasks
from convac.experiments._runner.workers import check_local_workers
from convac.experiments.verify.cell import run_cell
from convac.experiments.verify.report import SuiteSummary, VerifyReport
from convac.experiments.verify.suites import (
    FORMAT_VERSION,
    SUITES,
    VERIFY_PRIME,
    VERIFY_REDRAWS,
    Cell,
    _spec,
    check_verify_prime,
    suite_cells,
)

__all__ = ["verify"]


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


def _check_record(record: dict[str, Any]) -> str | None:
    if record.keys() >= _RECORD_KEYS and isinstance(record["index"], int):
        return None
    return "is not a verify cell record"


def _store(path: Path, config: dict[str, Any]) -> ResultStore:
    """Return the suite's result store (files of earlier versions, headed by the config alone, still resume)."""
    return ResultStore(path, config, key=lambda r: r["index"], check=_check_record, what="verify")


# ---------------------------------------------------------------------------- driver
def _cell_task(cell: Cell, progress: Callable[[Any], None]) -> dict[str, Any]:
    # One BLAS thread per cell wherever it runs, this process included: the rank products are
    # small, and on the 2-core machine the default pools cost 4.9x the CPU of one thread for the
    # paper suite in one process (23.6 against 4.9 CPU-s, benchmarks/bench_threads.py).
    with thread_limit(1):
        return run_cell(cell)


@dataclass
class _SuiteRun:
    """One suite of a verify run: its cells, its results file and the cells found finished there."""

    name: str
    cells: list[Cell]
    store: ResultStore

    @property
    def done(self) -> dict[Any, dict[str, Any]]:
        return self.store.finished

    @property
    def todo(self) -> list[Cell]:
        return [c for c in self.cells if c.index not in self.done]

    def summary(self) -> SuiteSummary:
        return SuiteSummary.from_records(self.name, [self.done[c.index] for c in self.cells])


def _check_arguments(
    suites: Sequence[str] | None,
    workers: int | None,
    sizes: dict[str, int | None],
    redraws: int,
    seed: int,
    executor: str,
) -> list[str]:
    """Return the suite names to run, after checking every argument of :func:`verify`."""
    names = list(SUITES) if suites is None else list(suites)
    if not names:
        raise InputError("give at least one suite")
    for name in names:
        _spec(name)
    if len(set(names)) != len(names):
        raise InputError(f"suites listed more than once: {names}")
    if executor == "local":
        check_local_workers(workers)
    elif workers is not None:
        positive_int(workers, "workers")
    for label, value in sizes.items():
        if value is not None:
            positive_int(value, label)
    non_negative_int(redraws, "redraws")
    non_negative_int(seed, "seed")
    return names


def _run_suites(runs: list[_SuiteRun], pool: Executor, progress: bool, out_dir: Path) -> None:
    """Run every unfinished cell of ``runs``, appending each record to its suite's store as it arrives."""
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

    def save(index: int, record: dict[str, Any]) -> None:
        tasks[index][0].store.append(record)
        bar.update(1)

    try:
        run_tasks(
            pool,
            _cell_task,
            [cell for _, cell in tasks],
            save,
            saved=lambda: sum(len(run.done) for run in runs),
            total=total,
            where=out_dir,
        )
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
    workers: int | None = None,
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
    table). ``workers`` processes of the ``executor`` run the cells (default: one per core this
    process may use; each uses one BLAS thread; ``"ray"``: Ray tasks on a local Ray with ``workers``
    CPUs, or on the cluster at ``address``). ``prime`` must be at least :data:`VERIFY_MIN_PRIME`. ``echo`` receives
    the table text (e.g. ``print``). SIGINT or SIGTERM stops the workers at once and raises
    :class:`~convac.experiments._runner.signals.Interrupted` (a KeyboardInterrupt); every finished
    cell is on disk by then. See the module docstring.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = verify(["powers"], out=tmp, cells=1, partitions=3, workers=1, progress=False)
    >>> report.rows[0].power_cases, report.rows[0].power_mismatch, report.ok
    (5, 0, True)
    """
    names = _check_arguments(suites, workers, {"cells": cells, "partitions": partitions}, redraws, seed, executor)
    prime = check_verify_prime(prime)
    pool = make_executor(executor, resolve_workers(workers), address=address, threads=1)
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} exists and is not a directory")
    wall = time.perf_counter()
    runs = []
    for name in names:
        all_cells = suite_cells(
            name, full=full, seed=seed, cells=cells, partitions=partitions, prime=prime, redraws=redraws
        )
        config = _config(name, all_cells, full, seed, {"cells": cells, "partitions": partitions})
        path = out_dir / f"{name}{'-full' if full else ''}.jsonl"
        store = _store(path, config)
        store.open(restart)
        runs.append(_SuiteRun(name, all_cells, store))
    _run_suites(runs, pool, progress, out_dir)
    report = VerifyReport([run.summary() for run in runs], time.perf_counter() - wall, [run.store.path for run in runs])
    _save_tables(report, out_dir)
    if echo is not None:
        echo(report.to_markdown())
    return report
