"""Run an inductive-bias sweep on the shared runner: unfinished cells, saved as they finish, then the report."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from convac._validation import positive_int
from convac.errors import InputError
from convac.experiments._runner import ResultStore, make_executor, run_tasks
from convac.experiments.inductive_bias._results import claim_dir, clear_dir, result_store
from convac.experiments.inductive_bias.cell import run_cell
from convac.experiments.inductive_bias.protocol import Cell, Protocol, Sweep

__all__ = ["SweepResult", "run_sweep"]


# ---------------------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    """Records of the sweep's cells (finished before or now) and the files written.

    :func:`run_sweep` returns one (its example runs a sweep); ``ran + skipped`` is the number of
    cells, all of whose records are in ``records``.

    Examples
    --------
    >>> from pathlib import Path
    >>> result = SweepResult(records=[{"key": "a"}, {"key": "b"}], ran=1, skipped=1,
    ...                      files={"table": Path("out/table.md")})
    >>> result.ran + result.skipped == len(result.records), result.files["table"].name
    (True, 'table.md')
    """

    records: list[dict[str, Any]]
    ran: int
    skipped: int
    files: dict[str, Path]


def _cell_task(job: tuple[Protocol, Cell, str, str], progress: Callable[[Any], None]) -> dict[str, Any]:
    """One cell as an executor task; reports ``(epoch, record)`` after each checkpoint."""
    protocol, cell, ckpt, device = job
    return run_cell(protocol, cell, ckpt, device, lambda epoch, record: progress((epoch, record)))


def _group_task(
    job: tuple[Protocol, tuple[Cell, ...], tuple[str, ...], str], progress: Callable[[Any], None]
) -> list[dict[str, Any]]:
    """Run cells together as one executor task (:mod:`convac.experiments.inductive_bias._batched`).

    Reports ``(k, epoch, record)`` for its k-th cell after each checkpoint.
    """
    from convac.experiments.inductive_bias._batched import run_group

    protocol, cells, ckpts, device = job
    return run_group(protocol, cells, ckpts, device, lambda k, epoch, record: progress((k, epoch, record)))


def _groups(cells: list[Cell], batch_cells: bool) -> list[list[int]]:
    """Return the groups of ``cells`` (indices) trained together: equal network shapes, or one each."""
    from convac.experiments.inductive_bias._batched import batchable, group_key

    if not batch_cells:
        return [[i] for i in range(len(cells))]
    groups: dict[Any, list[int]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(group_key(cell) if batchable(cell) else ("alone", i), []).append(i)
    return list(groups.values())


def _check_run(sweep: Sweep, device: str, workers: int) -> None:
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise InputError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("device 'cuda' asked for but torch sees no CUDA GPU; use --device cpu")
    positive_int(workers, "workers")
    sweep.check_sizes()
    # Missing data fails before any cell starts.
    if sweep.protocol.source == "mnist":
        from convac.data.mnist import load_mnist

        load_mnist(sweep.protocol.mnist_dir or "")
    elif sweep.protocol.source == "mnist5k":
        from convac.data.mnist import load_mnist5k

        load_mnist5k()


class _Progress:
    """The epoch progress bar, fed by the workers' ``(epoch, record)`` reports."""

    def __init__(self, todo: list[Cell], epochs: int, enabled: bool, on_epoch: Any) -> None:
        from tqdm.auto import tqdm

        self.todo, self.epochs, self.on_epoch = todo, epochs, on_epoch
        self.seen: dict[int, int] = {}
        self.bar = tqdm(total=len(todo) * epochs, disable=not enabled, desc=f"{len(todo)} cells", unit="epoch")

    def epoch(self, index: int, payload: tuple[int, dict[str, float]]) -> None:
        epoch, record = payload
        cell = self.todo[index]
        self.bar.update(epoch - self.seen.get(index, 0))  # a resumed cell's earlier epochs count here
        self.seen[index] = epoch
        self.bar.set_postfix_str(f"{cell.key} epoch {epoch}/{self.epochs} loss {record['loss']:.3f}")
        if self.on_epoch is not None:
            self.on_epoch(cell, epoch, record)

    def cell_done(self, index: int, left: int) -> None:
        self.bar.update(self.epochs - self.seen.get(index, 0))
        self.seen[index] = self.epochs
        self.bar.set_description(f"{left} cells left")


def run_sweep(
    sweep: Sweep,
    out_dir: str | os.PathLike[str],
    device: str = "cpu",
    workers: int = 1,
    progress: bool = True,
    report: bool = True,
    on_epoch: Callable[[Cell, int, dict[str, float]], None] | None = None,
    *,
    restart: bool = False,
    executor: str = "local",
    batch_cells: bool = False,
    address: str | None = None,
) -> SweepResult:
    """Run every unfinished cell of ``sweep``, appending results to ``out_dir``; then write the report.

    Cells already in ``out_dir/results.jsonl`` are skipped; cells with a checkpoint resume;
    ``restart=True`` first deletes what an earlier sweep wrote there. ``on_epoch(cell, epoch,
    record)`` is called after each checkpoint. ``executor`` names where cells run (see
    :data:`convac.experiments._runner.EXECUTORS`; ``"ray"`` with ``address`` joins that
    Ray cluster, else starts a local Ray with ``workers`` CPUs). SIGINT or SIGTERM stops the workers at once
    and raises :class:`~convac.experiments._runner.signals.Interrupted` (a KeyboardInterrupt) saying
    how many cells are saved; every finished cell is on disk by then.

    ``batch_cells=True`` trains the unfinished ReLU cells of equal network shape (same schedule and
    r, any task and seed) together, stacked in one vmapped forward and backward
    (:mod:`convac.experiments.inductive_bias._batched`): the same steps per cell up to float rounding. It is meant
    for GPUs, where one step of six small networks costs about what one does; on a CPU it measured
    slower than one by one (``benchmarks/bench_batched_training.py``). Each group is one executor
    task, a pure function of its cells; its cells are written when the group finishes.

    Examples
    --------
    >>> import tempfile
    >>> sweep = Sweep(Protocol(n_train=32, n_test=16, epochs=1, batch_size=16), tasks=("local",), rs=(1,), seeds=(0,))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     first = run_sweep(sweep, out, progress=False)
    ...     again = run_sweep(sweep, out, progress=False)
    >>> (first.ran, first.skipped), (again.ran, again.skipped)
    ((2, 0), (0, 2))
    """
    _check_run(sweep, device, workers)
    pool = make_executor(executor, workers, address=address)
    out = Path(out_dir)
    store, ckpt_dir = _prepare(out, sweep.protocol, restart)
    finished = store.finished
    cells = sweep.cells()
    todo = [c for c in cells if c.key not in finished]
    for cell in cells:
        if cell.key in finished:  # left by a kill between writing the result and deleting it
            (ckpt_dir / f"{cell.filename}.pt").unlink(missing_ok=True)
    groups = _groups(todo, batch_cells)
    bar = _Progress(todo, sweep.protocol.epochs, progress, on_epoch)
    task, jobs, on_progress = _jobs(sweep.protocol, todo, groups, ckpt_dir, device, batch_cells, bar)
    ran = 0

    def save(index: int, result: Any) -> None:
        nonlocal ran
        for cell_index, record in zip(groups[index], result if batch_cells else [result], strict=True):
            ran += 1
            store.append(record)
            (ckpt_dir / f"{todo[cell_index].filename}.pt").unlink(missing_ok=True)
            bar.cell_done(cell_index, len(todo) - ran)

    try:
        run_tasks(
            pool, task, jobs, save, saved=lambda: sum(c.key in finished for c in cells), total=len(cells), where=out,
            on_progress=on_progress,
        )  # fmt: skip
    finally:
        bar.bar.close()
    records = [finished[c.key] for c in cells]
    files: dict[str, Path] = {"results": store.path}
    if report:
        from convac.experiments.inductive_bias.report import write_report

        files.update(write_report(records, out))
    return SweepResult(records=records, ran=len(todo), skipped=len(cells) - len(todo), files=files)


def _prepare(out: Path, protocol: Protocol, restart: bool) -> tuple[ResultStore, Path]:
    """Claim ``out`` for ``protocol`` (after ``--restart`` emptied it); its open store and checkpoint folder."""
    if restart:
        clear_dir(out)
    claim_dir(out, protocol)
    store = result_store(out, protocol)
    store.open()
    ckpt_dir = out / "checkpoints"
    ckpt_dir.mkdir(exist_ok=True)
    return store, ckpt_dir


def _jobs(
    protocol: Protocol,
    todo: list[Cell],
    groups: list[list[int]],
    ckpt_dir: Path,
    device: str,
    batch_cells: bool,
    bar: _Progress,
) -> tuple[Callable[[Any, Callable[[Any], None]], Any], list[Any], Callable[[int, Any], None]]:
    """Return the executor task, its jobs (one per cell, or one per group of stacked cells) and the progress hook."""
    if not batch_cells:
        jobs = [(protocol, c, str(ckpt_dir / f"{c.filename}.pt"), device) for c in todo]
        return _cell_task, jobs, bar.epoch
    group_jobs: list[Any] = [
        (protocol, tuple(todo[i] for i in g), tuple(str(ckpt_dir / f"{todo[i].filename}.pt") for i in g), device)
        for g in groups
    ]

    def on_progress(index: int, payload: tuple[int, int, dict[str, float]]) -> None:
        k, epoch, record = payload
        bar.epoch(groups[index][k], (epoch, record))

    return _group_task, group_jobs, on_progress
