"""Run the scale-task cells on the shared runner and store, then summarise."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from convac._threads import thread_limit
from convac.experiments._runner import ResultStore, run_tasks
from convac.experiments._runner.local import LocalExecutor
from convac.experiments.scale_tasks.cell import run_cell
from convac.experiments.scale_tasks.config import ScaleTasksConfig
from convac.experiments.scale_tasks.report import summarize

__all__ = ["RESULTS", "run_scale_tasks"]

RESULTS = "results.jsonl"


def run_scale_tasks(
    out_dir: str | Path, cfg: ScaleTasksConfig | None = None, *, progress: bool = True, restart: bool = False
) -> list[dict[str, Any]]:
    """Run every missing (scale, arm, seed) cell, one line each in ``results.jsonl``, then write the summary.

    A rerun with the same configuration skips the finished cells; another configuration is
    refused (use another ``out_dir`` or ``restart``).

    Examples
    --------
    >>> import tempfile
    >>> cfg = ScaleTasksConfig(scales=("long",), arms=("uniform", "wide_tip"), seeds=(0,),
    ...                        n_positions=8, n_train=40, n_test=20, epochs=1, budget=40)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     rows = run_scale_tasks(out, cfg, progress=False)
    ...     again = run_scale_tasks(out, cfg, progress=False)  # nothing left to run
    >>> [r["arm"] for r in rows], len(again)
    (['wide_tip', 'uniform'], 2)
    """
    cfg = cfg or ScaleTasksConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / RESULTS, fingerprinted(cfg), key=_key, check=_check_record, what="scale-tasks")
    store.open(restart=restart)
    cells = [(sc, a, s) for sc in cfg.scales for a in cfg.arms for s in cfg.seeds]
    todo = [c for c in cells if _cell_key(*c, cfg.design_method) not in store.finished]

    def one(cell: tuple[str, str, int], _: Any) -> dict[str, Any]:
        with thread_limit(1):
            return run_cell(*cell, cfg)

    def save(index: int, record: dict[str, Any]) -> None:
        store.append(record)
        if progress:
            print(f"{record['scale']} {record['arm']} seed {record['seed']} widths {record['widths']}: test "
                  f"{record['test_accuracy']:.4f} ({record['seconds']:.1f} s)", flush=True)  # fmt: skip

    run_tasks(LocalExecutor(workers=1), one, todo, save, saved=lambda: len(store.finished), total=len(todo), where=out)
    return summarize(out, list(store.finished.values()), cfg.n_positions)


SELECTION = ("scales", "arms", "seeds", "design_method")
"""Config fields outside the store's fingerprint: they select cells, and do not change any cell's result."""


def fingerprinted(cfg: ScaleTasksConfig) -> dict[str, Any]:
    """Return the part of the configuration every cell depends on (the store's fingerprint).

    The selection fields (:data:`SELECTION`) are left out, so a later run may add scales, arms or
    seeds to the same directory, or rerun only the designed arm with another ``design_method``
    (a designed cell's key holds its method; the hand-made cells are kept).

    Examples
    --------
    >>> sorted(fingerprinted(ScaleTasksConfig()))[:4]
    ['batch_size', 'budget', 'epochs', 'lr']
    """
    return {k: v for k, v in asdict(cfg).items() if k not in SELECTION}


def _cell_key(scale: str, arm: str, seed: int, method: str) -> tuple[str, str, int, str]:
    return (scale, arm, seed, method if arm == "designed" else "")


def _key(record: Any) -> tuple[str, str, int, str]:
    return _cell_key(record["scale"], record["arm"], record["seed"], record.get("design_method", ""))


def _check_record(record: dict[str, Any]) -> str | None:
    ok = all(k in record for k in ("scale", "distance", "arm", "seed", "widths", "test_accuracy"))
    return None if ok else "is not a scale-tasks cell"
