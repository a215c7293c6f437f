"""One inductive-bias cell: train and evaluate, resumable from its checkpoint."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from convac._threads import thread_limit
from convac.data.tasks import make_task
from convac.experiments.inductive_bias._steps import (
    cell_accuracy,
    cell_record,
    initial_model,
    resume_checkpoint,
    save_checkpoint,
    train_epoch,
)
from convac.experiments.inductive_bias.protocol import Cell, Protocol

__all__ = ["run_cell"]


def run_cell(
    protocol: Protocol,
    cell: Cell,
    checkpoint: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train and evaluate one cell; returns its result record (JSON-serialisable).

    With ``checkpoint`` the state after every epoch is saved there, and an existing
    checkpoint of the same cell and protocol is resumed from. ``on_epoch(epoch, record)``
    is called after each epoch's checkpoint is written. The cell runs on one CPU thread
    (:func:`convac._threads.thread_limit`, restored afterwards): a multi-threaded reduction may
    sum in another order, and the result must not depend on how cells are spread over workers.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> record = run_cell(Protocol(n_train=32, n_test=16, epochs=1, batch_size=16),
    ...                   Cell(task="local", family="relu", schedule="wide_tip", r=1, seed=0))
    >>> record["key"], record["channels"], 0 <= record["test_accuracy"] <= 1
    ('local|relu|wide_tip|r=1|seed=0', [1, 1, 2, 2, 4, 4], True)
    """
    with thread_limit(1):
        return _run_cell(protocol, cell, checkpoint, device, on_epoch)


def _run_cell(
    protocol: Protocol,
    cell: Cell,
    checkpoint: str | os.PathLike[str] | None,
    device: str,
    on_epoch: Callable[[int, dict[str, float]], None] | None,
) -> dict[str, Any]:
    start_time = time.perf_counter()
    train, test = make_task(
        cell.task,
        protocol.n_train,
        protocol.n_test,
        seed=cell.seed,
        source=protocol.source,
        mnist_dir=protocol.mnist_dir,
        canvas=protocol.canvas,
        resize=protocol.glyph_resize,
    )
    model = initial_model(protocol, cell, train, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay)
    ckpt_path = None if checkpoint is None else Path(checkpoint)
    identity = {"cell": cell.key, "schedule": cell.schedule, "protocol": protocol.fingerprint}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cell.seed)
        history: list[dict[str, float]] = []
        if ckpt_path is not None and ckpt_path.exists():
            history = resume_checkpoint(ckpt_path, identity, model, optimizer, device)
        resumed_from = len(history)
        model.train()
        for epoch in range(resumed_from, protocol.epochs):
            epoch_start = time.perf_counter()
            loss = train_epoch(protocol, cell, model, optimizer, train, epoch, device)
            record = {"epoch": epoch + 1, "loss": loss, "seconds": time.perf_counter() - epoch_start}
            history.append(record)
            if ckpt_path is not None:
                save_checkpoint(ckpt_path, identity, model, optimizer, history)
            if on_epoch is not None:
                on_epoch(epoch + 1, record)
        measured = {
            "train_accuracy": cell_accuracy(model, train, device),
            "test_accuracy": cell_accuracy(model, test, device),
            "final_loss": history[-1]["loss"],
            "history": history,
            "resumed_from_epoch": resumed_from,
        }
    return cell_record(protocol, cell, model, measured, time.perf_counter() - start_time, device)
