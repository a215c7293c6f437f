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

import numbers
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, default_collate

from convac._validation import choice, instance, non_negative_int, positive_int, real
from convac.errors import ConvacTypeError, InputError

__all__ = [
    "MAX_LR",
    "MAX_SEED",
    "FitResult",
    "LearningRate",
    "accuracy",
    "check_lr",
    "check_seed",
    "fit",
    "load_checkpoint",
]

DataLike = Dataset | tuple[torch.Tensor, torch.Tensor]
BatchOrder = Callable[[int, int], torch.Tensor]
"""The order of an epoch's samples: ``(epoch, number of samples) -> permutation`` (split into batches)."""
LearningRate = Callable[[int, int], float]
"""A learning-rate schedule: ``(step, total steps) -> learning rate`` of that step (stateless, so
a resumed run needs no scheduler state)."""

MAX_LR = 10.0
"""The largest learning rate accepted. Adam's useful rates are far below 1; a larger one only
diverges, and one like 1e300 overflows inside torch."""

MAX_SEED = 2**32 - 1
"""The largest seed accepted: the range that every seeded library under convac takes (numpy and
torch take more; scikit-learn's k-means, which initialises Gaussian representations, only this)."""


def check_lr(lr: Any, name: str = "lr") -> float:
    """``lr`` as a float, if it is a positive number at most :data:`MAX_LR` (else an InputError).

    Examples
    --------
    >>> check_lr(0.03)
    0.03
    >>> check_lr(1e300)
    Traceback (most recent call last):
    ...
    convac.errors.InputError: lr must be a positive number at most 10, got 1e+300
    """
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        return real(lr, name)  # refuses what is not a real number, with the type in the message
    value = float(lr)
    if not 0 < value <= MAX_LR:  # NaN fails this too
        raise InputError(f"{name} must be a positive number at most {MAX_LR:g}, got {value!r}")
    return value


def check_seed(seed: Any, name: str = "seed") -> int:
    """``seed`` as an int, if it is in ``[0, MAX_SEED]`` (else an InputError).

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(2**64)
    Traceback (most recent call last):
    ...
    convac.errors.InputError: seed must be an integer in [0, 2**32 - 1] (...), got 18446744073709551616
    """
    value = non_negative_int(seed, name)
    if value > MAX_SEED:
        raise InputError(
            f"{name} must be an integer in [0, 2**32 - 1] (the seeds numpy, torch and scikit-learn all accept), "
            f"got {value}"
        )
    return value


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
    resumed_from: int = 0
    """Epochs restored from the checkpoint (0: trained from the start)."""

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
    if not isinstance(n, int):
        return None
    if n < 2:  # softmax over one output is 1 whatever the weights: loss 0, nothing learnt
        raise InputError(f"cross-entropy needs a model with at least 2 outputs (classes), this one has {n}")
    return n


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


@dataclass
class _Loop:
    """The state one training run carries from step to step (what a checkpoint saves)."""

    model: nn.Module
    train_set: Dataset
    batch_size: int
    generator: torch.Generator
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    learning_rate: LearningRate | None
    total_steps: int
    micro_batch: int | None
    on_step: Callable[[int, float], None] | None
    batch_order: BatchOrder | None
    bar: Any
    step: int = 0
    device: str | None = None

    def batches(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the epoch's batches: shuffled by a seeded DataLoader, or in the order of ``batch_order``."""
        if self.batch_order is None:
            yield from DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, generator=self.generator)
            return
        for index in self.batch_order(epoch, len(self.train_set)).split(self.batch_size):  # type: ignore[arg-type]
            batch = getattr(self.train_set, "batch", None)
            if callable(batch):  # datasets that render a whole batch at once (convac.data.tasks.PlacedDigits)
                yield batch(index)
            elif isinstance(self.train_set, TensorDataset):
                yield self.train_set[index]
            else:
                yield default_collate([self.train_set[int(i)] for i in index])

    def state(self, result: FitResult) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "rng": torch.get_rng_state(),
            "step": self.step,
            "history": result.history,
            "tracked": result.tracked,
        }

    def restore(self, state: dict[str, Any], result: FitResult) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["rng"])
        self.step = int(state["step"])
        result.history = [dict(h) for h in state["history"]]
        result.tracked = [dict(t) for t in state["tracked"]]


def _scheduler(optimizer: torch.optim.Optimizer, schedule: str, steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)


def _batch_loss(loop: _Loop, scores: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    """Forward and backward one batch (in micro-batches if asked); returns the batch's summed loss."""
    if loop.micro_batch is None or loop.micro_batch >= len(y):
        logits = scores(x)
        _check_labels(y, logits.shape[1], "train")
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        return loss.item() * len(y)
    total = 0.0
    for xs, ys in zip(x.split(loop.micro_batch), y.split(loop.micro_batch), strict=True):
        # sum / whole batch: the summed gradients are those of the batch mean
        piece = nn.functional.cross_entropy(scores(xs), ys, reduction="sum") / len(y)
        piece.backward()
        total += piece.item() * len(y)
    return total


def _train_epoch(loop: _Loop, epoch: int) -> float:
    """One pass over the training set; returns the mean training loss."""
    scores = _scores(loop.model)
    loop.model.train()
    total_loss = 0.0
    for x, y in loop.batches(epoch):
        if loop.device is not None:
            x, y = x.to(loop.device), y.to(loop.device)
        if loop.learning_rate is not None:
            for group in loop.optimizer.param_groups:
                group["lr"] = loop.learning_rate(loop.step, loop.total_steps)
        loop.optimizer.zero_grad()
        batch_loss = _batch_loss(loop, scores, x, y)
        loop.optimizer.step()
        if loop.scheduler is not None:
            loop.scheduler.step()
        total_loss += batch_loss
        if loop.on_step is not None:
            loop.on_step(loop.step, batch_loss / len(y))
        loop.step += 1
        loop.bar.update(1)
        loop.bar.set_postfix(epoch=epoch + 1, loss=f"{batch_loss / len(y):.3f}")
    return total_loss / len(loop.train_set)  # type: ignore[arg-type]


class _NoBar:
    """Stands in for the progress bar: tqdm would create a multiprocessing lock in every worker process."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **values: Any) -> None:
        pass


def train_epoch(
    model: nn.Module,
    train: Dataset,
    optimizer: torch.optim.Optimizer,
    *,
    epoch: int,
    batch_size: int,
    learning_rate: LearningRate,
    total_steps: int,
    batch_order: BatchOrder,
    micro_batch: int | None = None,
    device: str | None = None,
) -> float:
    """Run one epoch of :func:`fit`'s loop on an optimizer the caller owns; return the mean training loss.

    For callers that keep their own checkpoints (the inductive-bias cells): the same steps, in
    the same order, as :func:`fit` with ``schedule=learning_rate`` and ``batch_order``. The
    step count starts at ``epoch`` times the batches per epoch, as in an uninterrupted run.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(2, 2)
    >>> x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0)); y = (x[:, 0] > 0).long()
    >>> opt = torch.optim.Adam(model.parameters(), lr=0.1)
    >>> loss = train_epoch(model, TensorDataset(x, y), opt, epoch=0, batch_size=4, learning_rate=lambda s, t: 0.1,
    ...                    total_steps=2, batch_order=lambda epoch, n: torch.arange(n))
    >>> loss > 0
    True
    """
    loop = _Loop(
        model=model,
        train_set=train,
        batch_size=positive_int(batch_size, "batch_size"),
        generator=torch.Generator(),
        optimizer=optimizer,
        scheduler=None,
        learning_rate=learning_rate,
        total_steps=total_steps,
        micro_batch=micro_batch,
        on_step=None,
        batch_order=batch_order,
        bar=_NoBar(),
        step=epoch * -(-len(train) // batch_size),  # type: ignore[arg-type]
        device=device,
    )
    return _train_epoch(loop, epoch)


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the state saved at ``path`` (tensors and plain data only: no code runs while loading).

    A file that is not such a checkpoint (damaged, foreign, or a pickle that would run code)
    is refused with one line that says what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bad = pathlib.Path(tmp) / "c.pt"
    ...     _ = bad.write_bytes(b"not a checkpoint")
    ...     load_checkpoint(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convac.errors.InputError: checkpoint .../c.pt cannot be read; delete it (its run then starts over) or run ...
    """
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a bad file
        state = None
    if not isinstance(state, dict):
        raise InputError(
            f"checkpoint {path} cannot be read; delete it (its run then starts over) or run again with --restart"
        )
    return state


def _resume(loop: _Loop, path: Path, result: FitResult) -> None:
    state = load_checkpoint(path)
    try:
        loop.restore(state, result)
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise InputError(
            f"checkpoint {path} belongs to another model or run; delete it (its run then starts over) "
            "or run again with --restart"
        ) from None
    result.resumed_from = len(result.history)
    loop.bar.update(loop.step)


def _epoch_record(
    loop: _Loop, epoch: int, loss: float, test_set: Dataset | None, evaluate: bool, start: float
) -> dict[str, float]:
    record = {"epoch": epoch + 1, "loss": loss}
    if evaluate:
        record["train_accuracy"] = accuracy(loop.model, loop.train_set)
        if test_set is not None:
            record["test_accuracy"] = accuracy(loop.model, test_set)
    record["seconds"] = time.perf_counter() - start
    return record


def fit(
    model: nn.Module,
    train: DataLike,
    test: DataLike | None = None,
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    schedule: str | LearningRate = "cosine",
    seed: int = 0,
    progress: bool = True,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    track: Callable[[nn.Module], Mapping[str, float]] | None = None,
    on_step: Callable[[int, float], None] | None = None,
    micro_batch: int | None = None,
    evaluate: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    batch_order: BatchOrder | None = None,
) -> FitResult:
    """Train ``model`` with Adam and cross-entropy; the same seed gives the same result.

    ``schedule`` is ``"cosine"`` (learning rate annealed to zero over the epochs), ``"constant"``,
    or a function ``(step, total steps) -> learning rate`` set before each step. ``on_epoch`` is
    called with each epoch's record as soon as it is done (after the checkpoint is written);
    ``on_step(step, loss)`` after each optimizer step. ``track(model)`` is called before training
    and after every epoch (in eval mode, without gradients); its numbers go to
    :attr:`FitResult.tracked`. For entanglement through training use
    :func:`convac.schmidt.entanglement_tracker`. ``micro_batch`` splits each batch into pieces
    of that many samples whose gradients add up to the batch's (less memory, same step).
    ``evaluate=False`` skips the per-epoch accuracies. ``batch_order(epoch, n)`` gives each epoch's
    sample order (default: a DataLoader shuffled from ``seed``); for an exact resume it must be
    a pure function of the epoch. With ``checkpoint`` the whole state
    (weights, optimizer, schedule, shuffling and torch RNG) is saved there after every epoch, and
    a run that finds it resumes from it: a resumed run ends exactly where an uninterrupted one does.

    ``lr`` must be at most :data:`MAX_LR` and ``seed`` at most :data:`MAX_SEED`; the model needs
    at least two outputs (cross-entropy over one class is 0 whatever it learns).

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
    if track is not None and not callable(track):
        raise ConvacTypeError(f"track must be a callable model -> dict of numbers, got {type(track).__name__}")
    loop = _setup(
        model, train, epochs, check_lr(lr), batch_size, weight_decay, schedule, check_seed(seed), micro_batch, on_step
    )
    loop.batch_order = batch_order
    test_set = None if test is None else _as_dataset(test, "test", _n_outputs(model))
    result = FitResult()
    ckpt = None if checkpoint is None else Path(checkpoint)
    loop.bar = _progress(loop.total_steps, progress)
    if ckpt is not None and ckpt.exists():
        _resume(loop, ckpt, result)
    elif track is not None:
        result.tracked.append(_tracked(model, track, 0))
    for epoch in range(len(result.history), epochs):
        start = time.perf_counter()
        loss = _train_epoch(loop, epoch)
        result.history.append(_epoch_record(loop, epoch, loss, test_set, evaluate, start))
        if track is not None:
            result.tracked.append(_tracked(model, track, epoch + 1))
        if ckpt is not None:
            _save_checkpoint(ckpt, loop.state(result))
        if on_epoch is not None:
            on_epoch(result.history[-1])
    loop.bar.close()
    return result


def _setup(
    model: nn.Module,
    train: DataLike,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float,
    schedule: str | LearningRate,
    seed: int,
    micro_batch: int | None,
    on_step: Callable[[int, float], None] | None,
) -> _Loop:
    """Check the remaining arguments and build the run's data loader, optimizer and schedule."""
    batch_size = positive_int(batch_size, "batch_size")
    weight_decay = real(weight_decay, "weight_decay", low=0.0)
    learning_rate = schedule if callable(schedule) else None
    name = "constant" if callable(schedule) else choice(schedule, "schedule", ("cosine", "constant"))
    if micro_batch is not None:
        micro_batch = positive_int(micro_batch, "micro_batch")
    if on_step is not None:
        instance(on_step, "on_step", Callable, "a callable (step, loss) -> None")  # type: ignore[arg-type]
    train_set = _as_dataset(train, "train", _n_outputs(model))
    if len(train_set) == 0:  # type: ignore[arg-type]
        raise InputError("train is empty; give at least one (input, label) pair")
    steps = epochs * -(-len(train_set) // batch_size)  # type: ignore[arg-type]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _Loop(
        model=model,
        train_set=train_set,
        batch_size=batch_size,
        generator=torch.Generator().manual_seed(seed),
        optimizer=optimizer,
        scheduler=_scheduler(optimizer, name, steps),
        learning_rate=learning_rate,
        total_steps=steps,
        micro_batch=micro_batch,
        on_step=on_step,
        batch_order=None,
        bar=None,
    )


def _tracked(model: nn.Module, track: Callable[[nn.Module], Mapping[str, float]], epoch: int) -> dict[str, float]:
    start = time.perf_counter()
    was_training = model.training
    model.eval()
    with torch.no_grad():
        values = track(model)
    model.train(was_training)
    if not isinstance(values, Mapping):
        raise ConvacTypeError(f"track must return a dict of numbers, got {type(values).__name__}")
    record: dict[str, float] = {"epoch": epoch}
    record.update({str(k): float(v) for k, v in values.items()})
    record["seconds"] = time.perf_counter() - start
    return record


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, leave=False, desc="training")
