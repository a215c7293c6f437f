"""A small, seeded training loop for ConvACs and ordinary torch classifiers.

>>> import torch, convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=3, channels=[4, 4], n_outputs=3)
>>> model = convac.DeepConvAC(arch, representation="onehot", seed=0)
>>> x = torch.randint(0, 3, (60, 4)); y = x[:, 0]          # label = first symbol
>>> result = convac.fit(model, (x, y), epochs=40, lr=0.05, batch_size=20, seed=0, progress=False)
>>> result.history[-1]["loss"] < result.history[0]["loss"]
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from convac.errors import InputError

__all__ = ["FitResult", "accuracy", "fit"]

DataLike = Dataset | tuple[torch.Tensor, torch.Tensor]


@dataclass
class FitResult:
    """What :func:`fit` did: one record per epoch (loss, accuracies, seconds).

    ``tracked``: with ``fit(..., track=...)``, what the tracker returned before training
    (``epoch`` 0) and after every epoch, each with its ``epoch`` and the ``seconds`` it took.
    """

    history: list[dict[str, float]] = field(default_factory=list)
    tracked: list[dict[str, float]] = field(default_factory=list)

    @property
    def test_accuracy(self) -> float | None:
        """Test accuracy after the last epoch (None without test data)."""
        return self.history[-1].get("test_accuracy") if self.history else None

    @property
    def train_accuracy(self) -> float | None:
        """Training accuracy after the last epoch."""
        return self.history[-1].get("train_accuracy") if self.history else None


def _as_dataset(data: Any, name: str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, Sequence) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        x, y = data
        if len(x) != len(y):
            raise InputError(f"{name}: {len(x)} inputs but {len(y)} labels")
        if y.is_floating_point() or y.dim() != 1:
            raise InputError(f"{name}: labels must be a 1D integer tensor, got dtype {y.dtype} shape {tuple(y.shape)}")
        return TensorDataset(x, y)
    raise TypeError(f"{name} must be a torch Dataset or an (inputs, labels) pair of tensors, got {type(data).__name__}")


def _scores(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    # ConvACs expose scale-free logits; ordinary classifiers return logits from forward.
    return getattr(model, "logits", model)


@torch.no_grad()
def accuracy(model: nn.Module, data: DataLike, batch_size: int = 512) -> float:
    """Fraction of samples whose highest score is the label."""
    loader = DataLoader(_as_dataset(data, "data"), batch_size=batch_size)
    was_training = model.training
    model.eval()
    correct = total = 0
    scores = _scores(model)
    for x, y in loader:
        correct += int((scores(x).argmax(dim=1) == y).sum())
        total += len(y)
    model.train(was_training)
    return correct / max(total, 1)


def fit(
    model: nn.Module,
    train: DataLike,
    test: DataLike | None = None,
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    seed: int = 0,
    progress: bool = True,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    track: Callable[[nn.Module], Mapping[str, float]] | None = None,
) -> FitResult:
    """Train ``model`` with Adam and cross-entropy; the same seed gives the same result.

    ``schedule`` is ``"cosine"`` (learning rate annealed to zero over the epochs) or
    ``"constant"``. ``on_epoch`` is called with each epoch's record as soon as it is done.
    ``track(model)`` is called before training and after every epoch (in eval mode, without
    gradients); its numbers go to :attr:`FitResult.tracked`. For entanglement through training
    use :func:`convac.schmidt.entanglement_tracker`.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    train_set = _as_dataset(train, "train")
    test_set = None if test is None else _as_dataset(test, "test")
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * len(loader)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        if schedule == "cosine"
        else torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    )
    if track is not None and not callable(track):
        raise TypeError(f"track must be a callable model -> dict of numbers, got {type(track).__name__}")
    scores = _scores(model)
    result = FitResult()
    if track is not None:
        result.tracked.append(_tracked(model, track, 0))
    bar = _progress(epochs * len(loader), progress)
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        total_loss = 0.0
        for x, y in loader:
            loss = nn.functional.cross_entropy(scores(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(y)
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
        record = {"epoch": epoch + 1, "loss": total_loss / len(train_set)}  # type: ignore[arg-type]
        record["train_accuracy"] = accuracy(model, train_set)
        if test_set is not None:
            record["test_accuracy"] = accuracy(model, test_set)
        record["seconds"] = time.perf_counter() - start
        result.history.append(record)
        if track is not None:
            result.tracked.append(_tracked(model, track, epoch + 1))
        if on_epoch is not None:
            on_epoch(record)
    bar.close()
    return result


def _tracked(model: nn.Module, track: Callable[[nn.Module], Mapping[str, float]], epoch: int) -> dict[str, float]:
    start = time.perf_counter()
    was_training = model.training
    model.eval()
    with torch.no_grad():
        values = track(model)
    model.train(was_training)
    if not isinstance(values, Mapping):
        raise TypeError(f"track must return a dict of numbers, got {type(values).__name__}")
    record: dict[str, float] = {"epoch": epoch}
    record.update({str(k): float(v) for k, v in values.items()})
    record["seconds"] = time.perf_counter() - start
    return record


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, leave=False, desc="training")
