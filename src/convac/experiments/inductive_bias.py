"""The paper's experiment: wide-base vs wide-tip on the local and global digit tasks.

A sweep runs every cell of task x schedule x r x seed x model family. Each cell is a
pure function of ``(Protocol, Cell)``: data placement, digit split, initial weights and
batch order all come from the cell's seed, so cells can run in any order, in a process
pool (or on Ray), and be resumed.

On disk (``out_dir``):

* ``protocol.json`` - the training protocol; a directory written under another protocol
  is refused, so results of different settings never mix;
* ``results.jsonl`` - one JSON line per finished cell, appended (and fsynced) the moment
  the cell finishes; re-runs skip the cells found there;
* ``checkpoints/<cell>.pt`` - after every epoch of a cell in progress: model, optimizer
  and RNG state as plain tensors/dicts (``torch.load(weights_only=True)``); an
  interrupted cell resumes from it and ends exactly where an uninterrupted run would;
* ``table.md``, ``table.csv``, ``figure.png`` - written at the end by :mod:`convac.report`.

Optimiser (the paper does not state it): Adam (betas 0.9/0.999, no weight decay by
default), cross-entropy, learning rate annealed per step on a cosine from ``lr`` to 0,
batch order reshuffled every epoch from ``(seed, epoch)``. Initialisation: He-normal
weights, then (``init="data"``, the default) the data-dependent rescaling of
:meth:`ReLUConvNet.initialize_from` on the first 256 training images; ``init="he"`` skips it.

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
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from convac.data.tasks import TASKS, PlacedDigits, make_task
from convac.errors import ConvacError
from convac.models.digit_nets import FAMILIES, ConvACImageNet, build_family_model
from convac.models.relu_convnet import ReLUConvNet
from convac.models.schedules import parse_schedule

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
    """How one cell is trained and measured; every field changes results, so all are fingerprinted."""

    source: str = "digits"
    mnist_dir: str | None = None
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
        if self.init not in ("data", "he"):
            raise ConvacError(f"init must be 'data' (data-dependent, default) or 'he', got {self.init!r}")
        if self.convac_weights not in ("positive", "signed"):
            raise ConvacError(f"convac_weights must be 'positive' or 'signed', got {self.convac_weights!r}")
        optional = ("micro_batch",) if self.micro_batch is not None else ()
        for name in ("n_train", "n_test", "epochs", "batch_size", *optional):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConvacError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.lr, int | float) and self.lr > 0 and math.isfinite(self.lr)):
            raise ConvacError(f"lr must be a positive number, got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ConvacError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.source not in ("digits", "mnist"):
            raise ConvacError(f"unknown digit source {self.source!r}; allowed: digits, mnist")
        if self.source == "mnist" and not self.mnist_dir:
            raise ConvacError("the mnist source needs a directory of IDX files (--mnist-dir)")

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        # Fields at the value that reproduces the runs from before they existed are omitted, so
        # those results keep their fingerprints.
        if record["micro_batch"] is None:
            del record["micro_batch"]
        if record["convac_weights"] == "positive":
            del record["convac_weights"]
        return record

    @property
    def fingerprint(self) -> str:
        """Short hash of the protocol; stored with every result line."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cell:
    """One training run: a task, a model family, a schedule token, a width r and a seed."""

    task: str
    family: str
    schedule: str
    r: int
    seed: int

    @property
    def key(self) -> str:
        name = parse_schedule(self.schedule).name
        return f"{self.task}|{self.family}|{name}|r={self.r}|seed={self.seed}"

    @property
    def filename(self) -> str:
        digest = hashlib.sha256(f"{self.key}|{self.schedule}".encode()).hexdigest()[:10]
        safe = self.key.replace("|", "_").replace("=", "")
        return f"{safe}_{digest}"

    @property
    def channels(self) -> list[int]:
        return parse_schedule(self.schedule).channels(self.r)


@dataclass(frozen=True)
class Sweep:
    """A protocol and the grid it runs over (task x family x schedule x r x seed)."""

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
            if isinstance(r, bool) or not isinstance(r, int) or r < 1:
                raise ConvacError(f"r values must be positive integers, got {r!r}")
        for seed in self.seeds:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise ConvacError(f"seeds must be non-negative integers, got {seed!r}")

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
    """A named sweep (``quick`` or ``paper``) with some fields replaced.

    Protocol fields (``epochs``, ``n_train``, ...) and grid fields (``rs``, ``seeds``, ...)
    may both be given; ``None`` values are ignored.

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
    )
    channels = cell.channels
    model = build_family_model(
        cell.family, channels, seed=cell.seed, image_size=protocol.canvas, convac_weights=protocol.convac_weights
    )
    probe = train.images(torch.arange(min(len(train), 256)))
    if isinstance(model, ConvACImageNet):
        model.initialize_from(probe, seed=cell.seed)
    elif isinstance(model, ReLUConvNet) and protocol.init == "data":
        model.initialize_from(probe)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay)
    steps_per_epoch = math.ceil(len(train) / protocol.batch_size)
    total_steps = protocol.epochs * steps_per_epoch
    history: list[dict[str, float]] = []
    first_epoch = 0
    ckpt_path = None if checkpoint is None else Path(checkpoint)
    identity = {"cell": cell.key, "schedule": cell.schedule, "protocol": protocol.fingerprint}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cell.seed)
        if ckpt_path is not None and ckpt_path.exists():
            state = torch.load(ckpt_path, weights_only=True, map_location=device)
            if state.get("identity") != identity:
                raise ConvacError(f"checkpoint {ckpt_path} belongs to another cell or protocol; remove it")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"])
            history, first_epoch = list(state["history"]), int(state["epoch"])
        resumed_from = first_epoch
        model.train()
        for epoch in range(first_epoch, protocol.epochs):
            epoch_start = time.perf_counter()
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
            record = {
                "epoch": epoch + 1,
                "loss": total_loss / len(train),
                "seconds": time.perf_counter() - epoch_start,
            }
            history.append(record)
            if ckpt_path is not None:
                _atomic_save(
                    {
                        "identity": identity,
                        "epoch": epoch + 1,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "rng": torch.get_rng_state(),
                        "history": history,
                    },
                    ckpt_path,
                )
            if on_epoch is not None:
                on_epoch(epoch + 1, record)
        train_acc = _accuracy(model, train, device)
        test_acc = _accuracy(model, test, device)
    n_params = sum(p.numel() for p in model.parameters())
    return {
        "key": cell.key,
        "protocol": protocol.fingerprint,
        "task": cell.task,
        "family": cell.family,
        "schedule": parse_schedule(cell.schedule).name,
        "schedule_token": cell.schedule,
        "r": cell.r,
        "seed": cell.seed,
        "channels": channels,
        "n_params": n_params,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "final_loss": history[-1]["loss"],
        "history": history,
        "resumed_from_epoch": resumed_from,
        "seconds": time.perf_counter() - start_time,
        "device": device,
    }


# ---------------------------------------------------------------------------- results on disk
def load_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Finished cells in ``out_dir/results.jsonl``; a torn last line (from a kill) is ignored."""
    path = Path(out_dir) / RESULTS
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            record = json.loads(line)
            if isinstance(record, dict) and "key" in record:
                records.append(record)
    return records


def _claim_dir(out_dir: Path, protocol: Protocol) -> None:
    """Create ``out_dir`` for ``protocol`` or check that it already belongs to it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    if manifest.exists():
        try:
            stored = json.loads(manifest.read_text())
        except json.JSONDecodeError:
            raise ConvacError(f"{manifest} is not valid JSON; this is not a results directory of convac") from None
        if stored != protocol.to_dict():
            diff = sorted(
                k for k in set(stored) | set(protocol.to_dict()) if stored.get(k) != protocol.to_dict().get(k)
            )
            raise ConvacError(
                f"results directory {out_dir} holds a sweep with another configuration (differs in: "
                f"{', '.join(diff)}); use a new --out directory or the same settings"
            )
    else:
        foreign = [r for r in load_results(out_dir) if r.get("protocol") != protocol.fingerprint]
        if foreign or (out_dir / RESULTS).exists():
            raise ConvacError(
                f"{out_dir} has results but no {MANIFEST}; refusing to mix them, use a new --out directory"
            )
        manifest.write_text(json.dumps(protocol.to_dict(), indent=1, sort_keys=True) + "\n")
    bad = [r["key"] for r in load_results(out_dir) if r.get("protocol") != protocol.fingerprint]
    if bad:
        raise ConvacError(f"{out_dir}/{RESULTS} holds {len(bad)} result(s) of another configuration; use a new --out")


def _append(path: Path, record: dict[str, Any]) -> None:
    # A kill mid-write leaves a torn last line; start on a fresh line so it stays the only casualty.
    prefix = ""
    if path.exists() and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            prefix = "" if f.read(1) == b"\n" else "\n"
    with path.open("a") as f:
        f.write(prefix + json.dumps(record, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


# ---------------------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    """Records of the sweep's cells (finished before or now) and the files written."""

    records: list[dict[str, Any]]
    ran: int
    skipped: int
    files: dict[str, Path]


def _job(protocol: dict[str, Any], cell: dict[str, Any], ckpt: str, device: str, queue: Any) -> dict[str, Any]:
    torch.set_num_threads(1)
    c = Cell(**cell)

    def report(epoch: int, record: dict[str, float]) -> None:
        if queue is not None:
            queue.put((c.key, epoch))

    return run_cell(Protocol(**protocol), c, ckpt, device, report)


def _iter_results(
    sweep: Sweep, todo: list[Cell], ckpt_dir: Path, device: str, workers: int, bar: Any, on_epoch: Any
) -> Iterator[tuple[Cell, dict[str, Any]]]:
    epochs = sweep.protocol.epochs
    if workers <= 1:
        for cell in todo:

            def tick(epoch: int, record: dict[str, float], cell: Cell = cell) -> None:
                bar.update(1)
                bar.set_postfix_str(f"{cell.key} epoch {epoch}/{epochs} loss {record['loss']:.3f}")
                if on_epoch is not None:
                    on_epoch(cell, epoch, record)

            bar.set_postfix_str(f"{cell.key} starting")
            ckpt = ckpt_dir / f"{cell.filename}.pt"
            before = torch.load(ckpt, weights_only=True)["epoch"] if ckpt.exists() else 0
            bar.update(before)
            yield cell, run_cell(sweep.protocol, cell, ckpt, device, tick)
        return
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        queue = manager.Queue()
        pending: dict[Future[dict[str, Any]], Cell] = {
            pool.submit(_job, asdict(sweep.protocol), asdict(c), str(ckpt_dir / f"{c.filename}.pt"), device, queue): c
            for c in todo
        }
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            while not queue.empty():
                key, epoch = queue.get()
                bar.update(1)
                bar.set_postfix_str(f"{key} epoch {epoch}/{epochs}")
            for future in done:
                cell = pending.pop(future)
                yield cell, future.result()


def run_sweep(
    sweep: Sweep,
    out_dir: str | os.PathLike[str],
    device: str = "cpu",
    workers: int = 1,
    progress: bool = True,
    report: bool = True,
    on_epoch: Callable[[Cell, int, dict[str, float]], None] | None = None,
) -> SweepResult:
    """Run every unfinished cell of ``sweep``, appending results to ``out_dir``; then write the report.

    Cells already in ``out_dir/results.jsonl`` are skipped; cells with a checkpoint resume.
    ``on_epoch(cell, epoch, record)`` is called after each checkpoint (``workers == 1`` only).
    """
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ConvacError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConvacError("device 'cuda' asked for but torch sees no CUDA GPU; use --device cpu")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConvacError(f"workers must be a positive integer, got {workers!r}")
    if sweep.protocol.source == "mnist":
        from convac.data.mnist import load_mnist

        load_mnist(sweep.protocol.mnist_dir or "")  # fail before any cell starts
    out = Path(out_dir)
    _claim_dir(out, sweep.protocol)
    ckpt_dir = out / "checkpoints"
    ckpt_dir.mkdir(exist_ok=True)
    finished = {r["key"]: r for r in load_results(out)}
    cells = sweep.cells()
    todo = [c for c in cells if c.key not in finished]
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo) * sweep.protocol.epochs, disable=not progress, desc=f"{len(todo)} cells", unit="epoch")
    results_path = out / RESULTS
    ran = 0
    try:
        for cell, record in _iter_results(sweep, todo, ckpt_dir, device, workers, bar, on_epoch):
            _append(results_path, record)
            finished[cell.key] = record
            (ckpt_dir / f"{cell.filename}.pt").unlink(missing_ok=True)
            ran += 1
            bar.set_description(f"{len(todo) - ran} cells left")
    finally:
        bar.close()
    records = [finished[c.key] for c in cells]
    files: dict[str, Path] = {"results": results_path}
    if report:
        from convac.report.inductive_bias import write_report

        files.update(write_report(records, out))
    return SweepResult(records=records, ran=ran, skipped=len(cells) - len(todo), files=files)
