"""Train several cells of the inductive-bias sweep at once: stacked parameters, one vmapped step.

Cells whose networks have the same shapes (same family, schedule and r; any task and seed) are
stacked along a new leading axis: every parameter becomes a ``(K, ...)`` tensor,
:func:`torch.func.functional_call` under :func:`torch.func.vmap` runs the K networks as one
batched forward and backward (conv weights batched this way become grouped convolutions), and one
Adam optimiser updates the stacked tensors. Adam and weight decay act element by element and the
summed loss gives each network exactly the gradient of its own loss, so each cell takes the same
steps as when trained alone: same initial weights (built one by one from the cell's seed), same
data placement and same batch order per epoch, up to float rounding (tested). Only the ReLU
family is stacked: the ConvAC's renormalisation branches on data (range checks), which vmap cannot
batch; its cells run one by one.

Speed: meant for GPUs, where a step of a few small networks is bound by kernel launches and one
stacked step costs about what one network's does. On a CPU the per-image work dominates and
vmap's batching rules there are slow (a grouped mkldnn convolution, a per-network loop in the 1x1
convolutions' backward): measured 0.3-0.8x the images/s of one by one
(``benchmarks/bench_batched_training.py``).

Checkpoints are written per cell in :func:`~convac.experiments.inductive_bias.run_cell`'s format,
so an interrupted cell resumes on either path.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convac._threads import thread_limit
from convac.experiments.inductive_bias._steps import (
    cell_accuracy,
    cell_record,
    cosine_lr,
    initial_model,
    resume_checkpoint,
    save_checkpoint,
)

__all__ = ["batchable", "group_key", "run_group"]


def batchable(cell: Any) -> bool:
    """Whether ``cell`` can be stacked with others (the ReLU family)."""
    return bool(cell.family == "relu")


def group_key(cell: Any) -> tuple[Any, ...]:
    """Cells with equal keys have networks of equal shapes and can be trained together."""
    return (cell.family, cell.schedule, cell.r)


def run_group(
    protocol: Any,
    cells: Sequence[Any],
    checkpoints: Sequence[str | os.PathLike[str] | None],
    device: str = "cpu",
    on_epoch: Callable[[int, int, dict[str, float]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train ``cells`` together; returns their records, in order, as :func:`run_cell` would.

    ``on_epoch(k, epoch, record)`` is called for cell ``k`` after each epoch's checkpoint.

    Examples
    --------
    >>> from convac.experiments.inductive_bias import Cell, Protocol
    >>> protocol = Protocol(n_train=16, n_test=8, epochs=1, batch_size=8)
    >>> cells = [Cell("local", "relu", "wide_tip", 1, seed) for seed in (0, 1)]
    >>> [r["key"] for r in run_group(protocol, cells, [None, None])]
    ['local|relu|wide_tip|r=1|seed=0', 'local|relu|wide_tip|r=1|seed=1']
    """
    if len(cells) == 1 or not all(batchable(c) for c in cells) or len({group_key(c) for c in cells}) != 1:
        return _one_by_one(protocol, cells, checkpoints, device, on_epoch)
    # one thread, as run_cell: the result must not depend on the thread count
    with thread_limit(1), torch.random.fork_rng(devices=[]):  # resuming sets the global RNG state, as in run_cell
        return _run_stacked(protocol, cells, checkpoints, device, on_epoch)


def _run_stacked(
    protocol: Any,
    cells: Sequence[Any],
    checkpoints: Sequence[str | os.PathLike[str] | None],
    device: str,
    on_epoch: Callable[[int, int, dict[str, float]], None] | None,
) -> list[dict[str, Any]]:

    start_time = time.perf_counter()
    tasks = [_task_data(protocol, c.task, c.seed) for c in cells]
    models = [initial_model(protocol, c, train, device) for c, (train, _) in zip(cells, tasks, strict=True)]
    data: list[tuple[Any, Any]] = list(tasks)
    if device != "cpu":  # every canvas built once and kept on the device (the same values)
        data = [_device_data(protocol, c.task, c.seed, device) for c in cells]
    optimizers = [torch.optim.Adam(m.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay) for m in models]
    identities = [{"cell": c.key, "schedule": c.schedule, "protocol": protocol.fingerprint} for c in cells]
    histories: list[list[dict[str, float]]] = []
    for model, opt, ident, ckpt in zip(models, optimizers, identities, checkpoints, strict=True):
        path = None if ckpt is None else Path(ckpt)
        histories.append(
            resume_checkpoint(path, ident, model, opt, device) if path is not None and path.exists() else []
        )
    if len({len(h) for h in histories}) != 1:  # interrupted at different epochs: not in step
        return _one_by_one(protocol, cells, checkpoints, device, on_epoch)
    resumed_from = len(histories[0])
    stacked = _Stacked(models, optimizers, protocol)
    for epoch in range(resumed_from, protocol.epochs):
        epoch_start = time.perf_counter()
        losses = stacked.train_epoch(cells, [train for train, _ in data], epoch, device)
        seconds = time.perf_counter() - epoch_start
        stacked.unstack_into(models, optimizers)
        for k, cell in enumerate(cells):
            record = {"epoch": epoch + 1, "loss": losses[k], "seconds": seconds}
            histories[k].append(record)
            ckpt = checkpoints[k]
            if ckpt is not None:
                torch.manual_seed(cell.seed)  # the RNG state run_cell saves
                save_checkpoint(Path(ckpt), identities[k], models[k], optimizers[k], histories[k])
            if on_epoch is not None:
                on_epoch(k, epoch + 1, record)
    records = []
    for k, (model, (train, test)) in enumerate(zip(models, data, strict=True)):
        measured = {
            "train_accuracy": cell_accuracy(model, train, device),
            "test_accuracy": cell_accuracy(model, test, device),
            "final_loss": histories[k][-1]["loss"],
            "history": histories[k],
            "resumed_from_epoch": resumed_from,
            "trained_with": len(cells),
        }
        records.append(measured)
    seconds = time.perf_counter() - start_time
    # Wall time of the group, shared out: the cells ran as one computation.
    return [
        cell_record(protocol, cell, model, measured, seconds / len(cells), device)
        for cell, model, measured in zip(cells, models, records, strict=True)
    ]


def _one_by_one(
    protocol: Any,
    cells: Sequence[Any],
    checkpoints: Sequence[str | os.PathLike[str] | None],
    device: str,
    on_epoch: Callable[[int, int, dict[str, float]], None] | None,
) -> list[dict[str, Any]]:
    from convac.experiments.inductive_bias.cell import run_cell

    records = []
    for k, (cell, ckpt) in enumerate(zip(cells, checkpoints, strict=True)):

        def report(epoch: int, record: dict[str, float], k: int = k) -> None:
            if on_epoch is not None:
                on_epoch(k, epoch, record)

        records.append(run_cell(protocol, cell, ckpt, device, report))
    return records


_DEVICE_DATA: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _task_data(protocol: Any, task: str, seed: int) -> tuple[Any, Any]:
    from convac.data.tasks import make_task

    return make_task(
        task,
        protocol.n_train,
        protocol.n_test,
        seed=seed,
        source=protocol.source,
        mnist_dir=protocol.mnist_dir,
        canvas=protocol.canvas,
    )


def _device_data(protocol: Any, task: str, seed: int, device: str) -> tuple[Any, Any]:
    """Return a task's train and test canvases on ``device``, kept for the process's next group.

    Every group of a sweep reuses the same (task, seed) data sets (a few, about 250 MB each at the
    paper's size), so they are built once per process instead of once per group.
    """
    key = (task, seed, protocol.n_train, protocol.n_test, protocol.source, protocol.mnist_dir, protocol.canvas, device)
    if key not in _DEVICE_DATA:
        if len(_DEVICE_DATA) >= 8:  # a sweep has tasks x seeds data sets: 6 in the paper profile
            _DEVICE_DATA.pop(next(iter(_DEVICE_DATA)))
        train, test = _task_data(protocol, task, seed)
        _DEVICE_DATA[key] = (_OnDevice(train, device), _OnDevice(test, device))
    return _DEVICE_DATA[key]


class _OnDevice:
    """A task's canvases built once and kept on ``device`` as uint8; ``batch`` as :class:`PlacedDigits`'.

    On a GPU, building 128 canvases per step on the host (about 1 ms) would take longer than the step.
    """

    def __init__(self, data: Any, device: str, chunk: int = 4096) -> None:
        n = len(data)
        self.raw = torch.cat(
            [data.images(torch.arange(i, min(i + chunk, n))).to(torch.uint8) for i in range(0, n, chunk)]
        ).to(device)
        self.labels = data.labels

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(index, dtype=torch.int64)
        return self.raw[index.to(self.raw.device)].float(), self.labels[index]


class _Stacked:
    """The K networks' parameters stacked, their functional vmapped loss, and one Adam over them."""

    def __init__(self, models: Sequence[nn.Module], optimizers: Sequence[torch.optim.Optimizer], protocol: Any) -> None:
        from torch.func import functional_call, vmap

        self.protocol = protocol
        self.names = [name for name, _ in models[0].named_parameters()]
        self.params = {
            name: torch.stack([dict(m.named_parameters())[name].detach() for m in models]).requires_grad_(True)
            for name in self.names
        }
        self.optimizer = torch.optim.Adam(
            list(self.params.values()), lr=protocol.lr, weight_decay=protocol.weight_decay
        )
        # Adam's state per parameter, stacked the same way (present after a resume).
        states = [opt.state_dict()["state"] for opt in optimizers]
        if states[0]:
            for i, name in enumerate(self.names):
                per_model = [s[i] for s in states]
                self.optimizer.state[self.params[name]] = {
                    "step": per_model[0]["step"].clone(),
                    "exp_avg": torch.stack([s["exp_avg"] for s in per_model]),
                    "exp_avg_sq": torch.stack([s["exp_avg_sq"] for s in per_model]),
                }
        template = models[0]

        def summed_loss(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            logits = functional_call(template, params, (x,))
            return nn.functional.cross_entropy(logits, y, reduction="sum")

        self.loss = vmap(summed_loss)

    def train_epoch(self, cells: Sequence[Any], trains: Sequence[Any], epoch: int, device: str) -> list[float]:
        """One epoch for every network, each with its own batch order; returns their mean losses."""
        protocol = self.protocol
        n = len(trains[0])
        steps_per_epoch = math.ceil(n / protocol.batch_size)
        total_steps = protocol.epochs * steps_per_epoch
        # The same (seed, epoch) batch order as run_cell.
        orders = [torch.randperm(n, generator=torch.Generator().manual_seed(c.seed * 100_003 + epoch)) for c in cells]

        total = torch.zeros(len(cells), dtype=torch.float64, device=device)
        for step in range(steps_per_epoch):
            for group in self.optimizer.param_groups:
                group["lr"] = cosine_lr(protocol.lr, epoch * steps_per_epoch + step, total_steps)
            pieces = [
                train.batch(order[step * protocol.batch_size : (step + 1) * protocol.batch_size])
                for train, order in zip(trains, orders, strict=True)
            ]
            x = torch.stack([p[0] for p in pieces]).to(device)
            y = torch.stack([p[1] for p in pieces]).to(device)
            total += self.step(x, y) * y.shape[1]
        return (total / n).tolist()  # the one host sync of the epoch

    def step(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One Adam step of every network on its batch ``x[k]``, ``y[k]``; returns their mean losses."""
        size = y.shape[1]
        self.optimizer.zero_grad()
        micro = self.protocol.micro_batch or size
        total = torch.zeros(y.shape[0], dtype=torch.float64, device=y.device)
        for xs, ys in zip(x.split(micro, dim=1), y.split(micro, dim=1), strict=True):
            # sum / whole batch: each network's gradient is that of its own batch mean
            losses = self.loss(self.params, xs, ys) / size
            losses.sum().backward()
            total += losses.detach().double()  # stays on the device: no sync per step
        self.optimizer.step()
        return total

    def unstack_into(self, models: Sequence[nn.Module], optimizers: Sequence[torch.optim.Optimizer]) -> None:
        """Copy network k's parameters and Adam state into ``models[k]`` and ``optimizers[k]``."""
        state = self.optimizer.state_dict()
        for k, (model, opt) in enumerate(zip(models, optimizers, strict=True)):
            with torch.no_grad():
                for name, p in model.named_parameters():
                    p.copy_(self.params[name][k])
            per_model = {
                i: {key: (value if key == "step" else value[k]).clone() for key, value in s.items()}
                for i, s in state["state"].items()
            }
            groups = [dict(g) for g in opt.state_dict()["param_groups"]]
            for g, stacked_group in zip(groups, state["param_groups"], strict=True):
                g.update({key: v for key, v in stacked_group.items() if key != "params"})
            opt.load_state_dict({"state": per_model, "param_groups": groups})
