"""Run the feature-order cells on the shared runner and store, then summarise."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from convac._threads import thread_limit
from convac.experiments._runner import ResultStore, run_tasks
from convac.experiments._runner.executors import make_executor
from convac.experiments.feature_order.cell import run_cell
from convac.experiments.feature_order.config import (
    DATASETS,
    EXTRA_ORDERS,
    LATER_FIELDS,
    NETS_1D,
    ORDERS,
    SELECTION_FIELDS,
    FeatureOrderConfig,
    orders_of,
)
from convac.experiments.feature_order.report import summarize

__all__ = ["RESULTS", "run_suite"]

RESULTS = "results.jsonl"


def run_suite(
    out_dir: str | Path,
    cfg: FeatureOrderConfig | None = None,
    progress: bool = True,
    *,
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
) -> list[dict[str, Any]]:
    """Run every missing cell (one line each in ``results.jsonl``), then write the table, CSV and figure.

    A rerun with the same configuration resumes (finished cells are skipped); the store's header
    holds the configuration, so a different one is refused rather than mixed in. The fields that
    only choose cells (:data:`~.config.SELECTION_FIELDS`: datasets, seeds, orders) are not part of it:
    one results file grows by datasets, seeds or orders run at different times. ``cfg.orders`` may name
    :data:`~.config.EXTRA_ORDERS` too; they run on every dataset, after the suite's own orders.
    ``workers`` cells run at once (one thread each) on ``executor`` (``local`` processes or ``ray``,
    joining ``address`` if given); a cell's result does not depend on where it ran.

    Examples
    --------
    >>> import tempfile
    >>> cfg = FeatureOrderConfig(datasets=("breast_cancer",), seeds=(0,), epochs_small=1, n_entanglement=10,
    ...                          max_blocks=1)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     rows = run_suite(out, cfg, progress=False)
    ...     again = run_suite(out, cfg, progress=False)  # resumed: nothing left to run
    >>> [r["order"] for r in rows] == [r["order"] for r in again], len(rows)
    (True, 6)
    """
    from convac._validation import choice
    from convac.datatensor import BISECTORS
    from convac.errors import InputError

    cfg = cfg or FeatureOrderConfig()
    unknown = [d for d in cfg.datasets if d not in DATASETS]
    if unknown:
        raise InputError(
            f"unknown dataset {unknown[0]!r} for the feature-order suite; choose from {', '.join(DATASETS)}"
        )
    bad = [o for o in cfg.orders if o not in (*ORDERS, *EXTRA_ORDERS)]
    if bad:
        allowed = ", ".join((*ORDERS, *EXTRA_ORDERS))
        raise InputError(f"unknown order {bad[0]!r} for the feature-order suite; choose from {allowed}")
    choice(cfg.bisector, "bisector", ("auto", *BISECTORS))
    choice(cfg.net_1d, "net_1d", NETS_1D)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = {k: v for k, v in asdict(cfg).items() if k not in SELECTION_FIELDS}
    _adopt_old_header(out / RESULTS, config)
    store = ResultStore(out / RESULTS, config, key=_key, check=_check_record, what="feature-order")
    store.open()
    extra = [o for o in EXTRA_ORDERS if o in cfg.orders]
    cells = [(d, o, s) for d in cfg.datasets for s in cfg.seeds for o in orders_of(d) if o in cfg.orders]
    cells += [(d, o, s) for d in cfg.datasets for s in cfg.seeds for o in extra]
    finished = set(store.finished)
    todo = [c for c in cells if c not in finished]

    def save(index: int, record: dict[str, Any]) -> None:
        store.append(record)
        if progress:
            print(f"{record['dataset']} {record['order']} seed {record['seed']}: test "
                  f"{record['test_accuracy']:.4f} ({record['seconds']:.0f} s)", flush=True)  # fmt: skip

    pool = make_executor(executor, workers=workers, address=address, threads=1)
    one = functools.partial(_one_cell, cfg=cfg)
    run_tasks(pool, one, todo, save, saved=lambda: len(store.finished), total=len(todo), where=out)
    return summarize(out)


def _one_cell(cell: tuple[str, str, int], _: Any, cfg: FeatureOrderConfig) -> dict[str, Any]:
    with thread_limit(1):
        return run_cell(*cell, cfg)


def _adopt_old_header(path: Path, config: dict[str, Any]) -> None:
    """Rewrite an older header that differs from ``config`` only in fields it predates.

    Files written while the selection fields were in the fingerprint, or before a field of
    :data:`~.config.LATER_FIELDS` existed (the earlier value is then implied), resume this way when
    the rest equals ``config``; their records stay as they are.
    """
    from convac.experiments._runner.store import fingerprint, is_header, write_atomic

    if not path.exists():
        return
    first, _, rest = path.read_text().partition("\n")
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        return  # not a results file: the store refuses it in one line
    stored = header.get("config") if is_header(header) else None
    if not isinstance(stored, dict):
        return
    predates = [k for k in LATER_FIELDS if k not in stored]
    if not predates and not any(k in stored for k in SELECTION_FIELDS):
        return
    wanted = json.loads(json.dumps(config))
    implied = {**{k: LATER_FIELDS[k] for k in predates}, **stored}
    if {k: v for k, v in implied.items() if k not in SELECTION_FIELDS} == wanted:
        new = {"kind": "header", "fingerprint": fingerprint(wanted), "config": wanted}
        write_atomic(path, json.dumps(new, sort_keys=True) + "\n" + rest)


def _key(record: Any) -> tuple[str, str, int]:
    return (record["dataset"], record["order"], record["seed"])


def _check_record(record: dict[str, Any]) -> str | None:
    ok = all(k in record for k in ("dataset", "order", "seed", "test_accuracy", "levels"))
    return None if ok else "is not a feature-order cell"
