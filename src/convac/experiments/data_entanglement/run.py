"""Run the data-entanglement cells on the shared runner and store, then summarise."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from convac._threads import thread_limit
from convac.experiments._runner import ResultStore, run_tasks
from convac.experiments._runner.local import LocalExecutor
from convac.experiments.data_entanglement.cell import run_cell
from convac.experiments.data_entanglement.config import ORDERS, ValidationConfig
from convac.experiments.data_entanglement.report import load_cells, summarize

__all__ = ["run_validation"]


def run_validation(
    out_dir: str | Path, cfg: ValidationConfig | None = None, progress: bool = True
) -> list[dict[str, Any]]:
    """Run every missing cell (one line each in ``results.jsonl``), then write the summary table, CSV and figures.

    Examples
    --------
    Finished cells are skipped, so a directory that already holds every cell is only summarised:

    >>> import json, pathlib, tempfile
    >>> cfg = ValidationConfig(datasets=("mnist5k",), seeds=(0,))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     cells = pathlib.Path(out) / "cells"
    ...     cells.mkdir()
    ...     for order, acc in zip(ORDERS, (0.875, 0.75, 0.8125)):
    ...         rec = {"dataset": "mnist5k", "order": order, "seed": 0, "test_accuracy": acc,
    ...                "train_accuracy": 1.0, "levels": [{"side": 1, "mean_entropy": 0.5}]}
    ...         _ = (cells / f"mnist5k_{order}_seed0.json").write_text(json.dumps(rec))
    ...     rows = run_validation(out, cfg, progress=False)
    ...     written = sorted(p.name for p in pathlib.Path(out).iterdir())
    >>> [(r["order"], r["mean_accuracy"]) for r in rows]
    [('natural', 0.875), ('permuted', 0.75), ('rearranged', 0.8125)]
    >>> written
    ['cells', 'config_mnist5k.json', 'mnist5k_levels.png', 'results.csv', 'results.jsonl', 'summary.json', 'table.md']
    """
    cfg = cfg or ValidationConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"config_{'_'.join(cfg.datasets)}.json").write_text(json.dumps(asdict(cfg), indent=1))
    store = ResultStore(
        out / RESULTS, asdict(cfg), key=_key, check=_check_record, what="data-entanglement", headerless_ok=False
    )
    store.open()
    finished = set(store.finished) | {_key(r) for r in load_cells(out, legacy_only=True)}
    todo = [c for c in ((d, o, s) for d in cfg.datasets for s in cfg.seeds for o in ORDERS) if c not in finished]

    def one(cell: tuple[str, str, int], _: Any) -> dict[str, Any]:
        with thread_limit(1):
            return run_cell(*cell, cfg)

    def save(index: int, record: dict[str, Any]) -> None:
        store.append(record)
        if progress:
            print(f"{record['dataset']} {record['order']} seed {record['seed']}: test "
                  f"{record['test_accuracy']:.4f} ({record['seconds']:.0f} s)", flush=True)  # fmt: skip

    run_tasks(LocalExecutor(workers=1), one, todo, save, saved=lambda: len(store.finished), total=len(todo), where=out)
    return summarize(out)


RESULTS = "results.jsonl"


def _key(record: Any) -> tuple[str, str, int]:
    return (record["dataset"], record["order"], record["seed"])


def _check_record(record: dict[str, Any]) -> str | None:
    ok = all(k in record for k in ("dataset", "order", "seed", "test_accuracy", "levels"))
    return None if ok else "is not a data-entanglement cell"
