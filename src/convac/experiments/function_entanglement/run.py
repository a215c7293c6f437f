"""Run the function-entanglement cells on the shared runner and store, then write the report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from convac._threads import thread_limit
from convac.errors import InputError
from convac.experiments._runner import ResultStore, run_tasks
from convac.experiments._runner.local import LocalExecutor
from convac.experiments._runner.store import write_atomic
from convac.experiments.function_entanglement.cell import _run_cell
from convac.experiments.function_entanglement.config import (
    CONFIG,
    RESULTS,
    FunctionEntanglementConfig,
    _cell_key,
    probes,
)
from convac.experiments.function_entanglement.report import write_function_entanglement_report
from convac.spec._paper import parse_schedule

__all__ = ["DEFAULT_DIGITS_MAX_CUT", "run_digits_tracking", "run_function_entanglement"]


DEFAULT_DIGITS_MAX_CUT = 4096


def _store(out: Path, config: dict[str, Any], what: str) -> ResultStore:
    # Directories of earlier versions have results without a header line (config.json held it).
    return ResultStore(
        out / RESULTS, config, key=lambda r: r["key"], check=_check_record, what=what, headerless_ok=True
    )


def _check_record(record: dict[str, Any]) -> str | None:
    return None if isinstance(record.get("key"), str) and "tracked" in record else "is not a function-entanglement cell"


def _run_in_order(
    store: ResultStore, fn: Callable[[Any, Callable[[Any], None]], dict[str, Any]], jobs: list[Any], out: Path
) -> None:
    """Run the jobs one by one in this process (each shows its own progress), saving each record at once."""
    run_tasks(
        LocalExecutor(workers=1), fn, jobs, lambda index, record: store.append(record),
        saved=lambda: len(store.finished), total=len(jobs) + len(store.finished), where=out,
    )  # fmt: skip


def run_function_entanglement(
    config: FunctionEntanglementConfig,
    out_dir: str | Path,
    progress: bool = True,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every cell not yet in ``out_dir/results.jsonl`` (one CPU thread each), then write the report.

    Returns all records of the directory. A directory written under another configuration is refused.

    Examples
    --------
    >>> import tempfile
    >>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base",), seeds=(0,), r=1,
    ...                                  n_train=8, n_test=8, epochs=1, n_gram=4, batch_size=8, max_cut=2,
    ...                                  tracked_probes=("block(4)",))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = open(f"{out}/config.json", "w").write('{"r": 3}')
    ...     run_function_entanglement(cfg, out, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    convac.errors.InputError: ... holds results of another configuration; use a new directory

    Even this tiny cell trains and probes a 64x64 ConvAC (about 20 s on 2 CPU cores), so it is skipped:

    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     (rec,) = run_function_entanglement(cfg, out, progress=False)
    >>> rec["key"], len(rec["history"]), rec["min_cut"]["left_right"]  # doctest: +SKIP
    ('local|wide_base|r=1|seed=0', 1, 1)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / CONFIG
    settings = json.loads(json.dumps(asdict(config)))
    if manifest.exists():
        if json.loads(manifest.read_text()) != settings:
            raise InputError(f"{out} holds results of another configuration; use a new directory")
    else:
        write_atomic(manifest, json.dumps(settings, indent=1))
    store = _store(out, settings, "function-entanglement")
    done = store.open()
    cells = [(task, schedule, seed) for seed in config.seeds for task in config.tasks for schedule in config.schedules]
    todo = [c for c in cells if _cell_key(c[0], parse_schedule(c[1]).name, config.r, c[2]) not in done]

    def one(cell: tuple[str, str, int], _: Callable[[Any], None]) -> dict[str, Any]:
        with thread_limit(1):
            record = _run_cell(config, *cell, progress)
        if on_cell is not None:
            on_cell(record)
        return record

    _run_in_order(store, one, todo, out)
    records = list(store.finished.values())
    write_function_entanglement_report(records, out)
    return records


def run_digits_tracking(
    out_dir: str | Path, seeds: tuple[int, ...] = (0, 1), epochs: int = 20, progress: bool = True
) -> list[dict[str, Any]]:
    """Run the same measurements on a ConvAC that learns.

    The ConvAC is ``convac train``'s deep 2D ConvAC on the bundled 8x8 digits
    (:class:`~convac.experiments.digits.DigitsConfig` defaults, ``epochs`` and each seed), with
    the feature Gram of its training patches, every probe after every epoch; records appended to
    ``out_dir/results.jsonl`` as each seed finishes (a rerun skips them) and the same report.

    Examples
    --------
    One epoch of one seed takes minutes on 2 CPU cores, so the call is skipped here:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     (rec,) = run_digits_tracking(out, seeds=(0,), epochs=1, progress=False)
    >>> rec["key"], rec["probes"]  # doctest: +SKIP
    ('digits|32-32-32|epochs=1|seed=0', ['block(2)', 'block(4)', 'blocks(4)', 'left_right', 'up_down'])
    """
    from convac.experiments.digits import DigitsConfig

    out = Path(out_dir)
    store = _store(out, {"study": "digits-tracking"}, "digits-tracking")
    done = store.open()
    configs = [DigitsConfig(seed=seed, epochs=epochs) for seed in seeds]
    todo = [c for c in configs if _digits_key(c) not in done]

    def one(config: Any, _: Callable[[Any], None]) -> dict[str, Any]:
        with thread_limit(1):
            return _digits_cell(config, progress)

    _run_in_order(store, one, todo, out)
    records = [store.finished[_digits_key(c)] for c in configs]
    write_function_entanglement_report(records, out)
    return records


def _digits_key(config: Any) -> str:
    return f"digits|{'-'.join(map(str, config.channels))}|epochs={config.epochs}|seed={config.seed}"


def _digits_cell(config: Any, progress: bool) -> dict[str, Any]:
    """Train ``convac train``'s digits ConvAC with every probe tracked every epoch; its record."""
    import convac
    from convac.data import image_patches, load_digits, split_digits
    from convac.experiments.digits import train_digits
    from convac.mincut import min_cut
    from convac.schmidt import entanglement_tracker

    images, _ = load_digits()
    train_idx, _ = split_digits(config.test_fraction, seed=config.seed)
    patches = image_patches(images, config.patch_size)[train_idx]
    arch = convac.Architecture.deep_2d(8, 8, config.n_features, list(config.channels), n_outputs=10)
    named = dict(probes(arch, DEFAULT_DIGITS_MAX_CUT))
    start = time.perf_counter()
    model, result = train_digits(config, progress=progress, track=entanglement_tracker(named, patches))
    return {
        "key": _digits_key(config),
        "task": "digits",
        "schedule": "-".join(map(str, config.channels)),
        "r": 0,
        "seed": config.seed,
        "channels": list(config.channels),
        "probes": list(named),
        "min_cut": {name: min_cut(arch, p).value for name, p in named.items()},
        "history": result.history,
        "tracked": result.tracked,
        "coefficient": entanglement_tracker(named, None)(model),
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "seconds": time.perf_counter() - start,
    }
