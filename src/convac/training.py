"""A small, seeded training loop for ConvACs and ordinary torch classifiers.

Examples
--------
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

from convac._validation import choice, non_negative_int, positive_int, positive_real, real
from convac.errors import ConvacTypeError, InputError

__all__ = ["FitResult", "accuracy", "fit"]

DataLike = Dataset | tuple[torch.Tensor, torch.Tensor]


@dataclass
class FitResult:
    """What :func:`fit` did: one record per epoch (loss, accuracies, seconds).

    ``tracked``: with ``fit(..., track=...)``, what the tracker returned before training
    (``epoch`` 0) and after every epoch, each with its ``epoch`` and the ``seconds`` it took.

    Examples
    --------
    >>> import torch, convac
    >>> model = torch.nn.Linear(2, 2)
    >>> x = torch.randn(40, 2, generator=torch.Generator().manual_seed(0)); y = (x[:, 0] > 0).long()
    >>> result = convac.fit(model, (x, y), (x, y), epochs=3, lr=0.1, progress=False)
    >>> len(result.history), sorted(result.history[0])
    (3, ['epoch', 'loss', 'seconds', 'test_accuracy', 'train_accuracy'])
    >>> result.test_accuracy == result.history[-1]["test_accuracy"]
    True
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


def _n_outputs(model: nn.Module) -> int | None:
    arch = getattr(model, "arch", None)
    n = getattr(arch, "n_outputs", None) or getattr(model, "n_outputs", None)
    return n if isinstance(n, int) else None


def _check_labels(y: torch.Tensor, n_outputs: int | None, name: str) -> None:
    # cross_entropy would fail with "Target 10 is out of bounds" (or a CUDA assert) deep in a batch.
    if n_outputs is None or y.numel() == 0:
        return
    bad = y[(y < 0) | (y >= n_outputs)]
    if bad.numel():
        raise InputError(
            f"{name}: labels must be class indices in 0..{n_outputs - 1} (the model has {n_outputs} outputs), "
            f"got {int(bad[0])}"
        )


def _as_dataset(data: Any, name: str, n_outputs: int | None = None) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, Sequence) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        x, y = data
        if len(x) != len(y):
            raise InputError(f"{name}: {len(x)} inputs but {len(y)} labels")
        if y.is_floating_point() or y.dim() != 1:
            raise InputError(f"{name}: labels must be a 1D integer tensor, got dtype {y.dtype} shape {tuple(y.shape)}")
        _check_labels(y, n_outputs, name)
        return TensorDataset(x, y)
    raise ConvacTypeError(
        f"{name} must be a torch Dataset or an (inputs, labels) pair of tensors, got {type(data).__name__}"
    )


def _scores(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    # ConvACs expose scale-free logits; ordinary classifiers return logits from forward.
    return getattr(model, "logits", model)


@torch.no_grad()
def accuracy(model: nn.Module, data: DataLike, batch_size: int = 512) -> float:
    """Fraction of samples whose highest score is the label.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> _ = model.weight.data.copy_(torch.eye(2))
    >>> accuracy(model, (torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), torch.tensor([0, 1, 1])))
    0.6666666666666666
    """
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

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=3, channels=[4, 4], n_outputs=3)
    >>> codes = torch.randint(0, 3, (90, 4), generator=torch.Generator().manual_seed(0))
    >>> def run():
    ...     model = convac.DeepConvAC(arch, representation="onehot", seed=0)
    ...     return convac.fit(model, (codes, codes[:, 0]), epochs=20, lr=0.05, batch_size=30, progress=False)
    >>> first, second = run(), run()
    >>> first.history[-1]["loss"] == second.history[-1]["loss"], first.train_accuracy > 0.9
    (True, True)
    """
    epochs = positive_int(epochs, "epochs")
    lr = positive_real(lr, "lr")
    batch_size = positive_int(batch_size, "batch_size")
    weight_decay = real(weight_decay, "weight_decay", low=0.0)
    schedule = choice(schedule, "schedule", ("cosine", "constant"))
    seed = non_negative_int(seed, "seed")
    n_outputs = _n_outputs(model)
    train_set = _as_dataset(train, "train", n_outputs)
    test_set = None if test is None else _as_dataset(test, "test", n_outputs)
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
            logits = scores(x)
            _check_labels(y, logits.shape[1], "train")
            loss = nn.functional.cross_entropy(logits, y)
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
