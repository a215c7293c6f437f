"""The pieces of one inductive-bias cell that the one-by-one and the batched paths share."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convac.data.tasks import PlacedDigits
from convac.errors import InputError
from convac.experiments.inductive_bias.protocol import Cell, Protocol
from convac.models.digit_nets import ConvACImageNet, build_family_model
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import parse_schedule
from convac.training import train_epoch as train_one_epoch


# ---------------------------------------------------------------------------- one cell
def cosine_lr(base: float, step: int, total: int) -> float:
    """Return the learning rate of ``step`` of ``total`` on a cosine from ``base`` to 0.

    Stateless in the step number, so a resumed run needs no scheduler state.

    >>> cosine_lr(1.0, 0, 10), cosine_lr(1.0, 5, 10), cosine_lr(1.0, 10, 10)
    (1.0, 0.5, 0.0)
    """
    return 0.5 * base * (1.0 + math.cos(math.pi * step / total))


@torch.no_grad()
def cell_accuracy(model: nn.Module, data: PlacedDigits, device: str, batch: int = 500) -> float:
    """Return the fraction of ``data`` that ``model`` classifies right (evaluated in batches)."""
    model.eval()
    correct = 0
    for start in range(0, len(data), batch):
        x, y = data.batch(torch.arange(start, min(start + batch, len(data))))
        correct += int((model(x.to(device)).argmax(dim=1).cpu() == y).sum())
    model.train()
    return correct / len(data)


def atomic_save(obj: Any, path: Path) -> None:
    """Save ``obj`` with torch through a temporary file and a rename: all of it or nothing."""
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def cell_record(
    protocol: Protocol, cell: Cell, model: nn.Module, measured: dict[str, Any], seconds: float, device: str
) -> dict[str, Any]:
    """Return the JSON line of a finished cell: what it was, what it measured, how long it took."""
    return {
        "key": cell.key,
        "protocol": protocol.fingerprint,
        "task": cell.task,
        "family": cell.family,
        "schedule": parse_schedule(cell.schedule).name,
        "schedule_token": cell.schedule,
        "r": cell.r,
        "seed": cell.seed,
        "channels": cell.channels,
        "n_params": sum(p.numel() for p in model.parameters()),
        "protocol_version": protocol.protocol_version,
        **measured,
        "seconds": seconds,
        "device": device,
    }


def initial_model(protocol: Protocol, cell: Cell, train: PlacedDigits, device: str) -> nn.Module:
    """Return the cell's model with its seeded (and, by default, data-dependent) initialisation."""
    model = build_family_model(
        cell.family, cell.channels, seed=cell.seed, image_size=protocol.canvas, convac_weights=protocol.convac_weights
    )
    probe = train.images(torch.arange(min(len(train), 256)))
    if isinstance(model, ConvACImageNet):
        model.initialize_from(probe, seed=cell.seed)
    elif isinstance(model, ReLUConvNet) and protocol.init == "data":
        model.initialize_from(probe, ink=protocol.ink)
    return model.to(device)


def train_epoch(
    protocol: Protocol,
    cell: Cell,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: PlacedDigits,
    epoch: int,
    device: str,
) -> float:
    """One epoch of Adam steps on a cosine learning rate (:func:`convac.training.train_epoch`); the mean loss.

    The batch order is reshuffled every epoch from ``(seed, epoch)`` alone, so a resumed cell
    takes the same batches as an uninterrupted one. Unsplit batches keep the plain mean loss,
    bit-identical to results written before ``micro_batch`` existed.
    """
    steps_per_epoch = math.ceil(len(train) / protocol.batch_size)
    return train_one_epoch(
        model,
        train,
        optimizer,
        epoch=epoch,
        batch_size=protocol.batch_size,
        learning_rate=lambda step, total: cosine_lr(protocol.lr, step, total),
        total_steps=protocol.epochs * steps_per_epoch,
        batch_order=lambda e, n: torch.randperm(n, generator=torch.Generator().manual_seed(cell.seed * 100_003 + e)),
        micro_batch=protocol.micro_batch,
        device=device,
    )


def save_checkpoint(
    path: Path, identity: dict[str, str], model: nn.Module, optimizer: torch.optim.Optimizer, history: list[Any]
) -> None:
    """Save a cell's state after an epoch: model, optimizer, torch RNG and the epochs' history."""
    state = {
        "identity": identity,
        "epoch": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": torch.get_rng_state(),
        "history": history,
    }
    atomic_save(state, path)


def resume_checkpoint(
    path: Path, identity: dict[str, str], model: nn.Module, optimizer: torch.optim.Optimizer, device: str
) -> list[dict[str, float]]:
    """Load the checkpoint at ``path`` into model, optimizer and RNG; returns the epochs' history.

    A checkpoint that cannot be read, or that another cell or protocol wrote, is refused with
    one line that names it and what to do.
    """
    advice = "delete it (the cell then starts over) or run again with --restart"
    try:
        state = torch.load(path, weights_only=True, map_location=device)
    except Exception:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a bad file
        raise InputError(f"checkpoint {path} cannot be read; {advice}") from None
    if not isinstance(state, dict) or state.get("identity") != identity:
        raise InputError(f"checkpoint {path} belongs to another cell or protocol; {advice}")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        history = [dict(h) for h in state["history"]]
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise InputError(f"checkpoint {path} is damaged ({type(exc).__name__}); {advice}") from None
    if len(history) != state.get("epoch"):
        raise InputError(f"checkpoint {path} is damaged (epoch count); {advice}")
    return history
