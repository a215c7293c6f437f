"""The function-entanglement study: its configuration, cells and probe partitions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convac.errors import InputError
from convac.partitions import Partition
from convac.spec import Architecture

__all__ = ["CONFIG", "RESULTS", "FunctionEntanglementConfig", "probes"]


RESULTS = "results.jsonl"
CONFIG = "config.json"


@dataclass(frozen=True)
class FunctionEntanglementConfig:
    """The runs: every task x schedule x seed at width ``r``, and how they are trained and probed.

    Examples
    --------
    >>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base", "wide_tip"), r=1)
    >>> arch = cfg.architecture("wide_tip")
    >>> arch.grid, arch.channels
    ((64, 64), (1, 1, 2, 2, 4, 4))
    >>> FunctionEntanglementConfig(epochs=0)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: epochs must be a positive integer, got 0
    """

    tasks: tuple[str, ...] = ("local", "global")
    schedules: tuple[str, ...] = ("wide_base", "wide_tip")
    seeds: tuple[int, ...] = (0, 1)
    r: int = 2
    n_train: int = 2000
    n_test: int = 500
    epochs: int = 5
    lr: float = 3e-3
    batch_size: int = 16
    n_gram: int = 256
    max_cut: int = 1024
    # Measured after every epoch; the full probe profile is measured before and after training only
    # (a 64x64 probe costs about a second, see benchmarks/bench_function_profile.py).
    tracked_probes: tuple[str, ...] = ("block(4)", "block(16)", "left_right")
    # Positive 64x64 ConvACs stay at chance on these tasks (their top vector collapses onto one
    # input-independent direction); signed ones train through the normalised logits.
    weights: str = "signed"
    image_size: int = 64

    def __post_init__(self) -> None:
        from convac.data.tasks import TASKS
        from convac.spec._paper import parse_schedule

        for task in self.tasks:
            if task not in TASKS:
                raise InputError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        for s in self.schedules:
            parse_schedule(s)
        for name in ("r", "n_train", "n_test", "epochs", "batch_size", "n_gram", "max_cut", "image_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        if not self.tasks or not self.schedules or not self.seeds:
            raise InputError("the experiment needs at least one task, schedule and seed")
        if self.weights not in ("positive", "signed", "neutral"):
            raise InputError(f"weights must be 'positive', 'signed' or 'neutral', got {self.weights!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise InputError(f"lr must be a positive number, got {self.lr!r}")

    def architecture(self, schedule: str) -> Architecture:
        """Return the ConvAC architecture of ``schedule`` at width ``r``."""
        from convac.spec._paper import parse_schedule

        channels = parse_schedule(schedule).channels(self.r)
        n = self.image_size
        return Architecture.deep_2d(n, n, n_features=10, channels=channels, n_outputs=10, shared=True)


def probes(arch: Architecture, max_cut: int = 1024) -> list[tuple[str, Partition]]:
    """Return the probe partitions of a 2D architecture whose min-cut is at most ``max_cut``, short range first.

    ``block(w)``: one ``w x w`` block (top-left at the grid centre) against the rest; then the
    length-scale partitions (checkerboard, blocks(w), left_right, up_down) that fit.

    Examples
    --------
    >>> from convac.mincut import min_cut
    >>> arch = FunctionEntanglementConfig(r=1).architecture("wide_base")
    >>> found = probes(arch, max_cut=2)
    >>> [name for name, _ in found]
    ['block(4)', 'block(8)', 'block(16)', 'block(32)', 'blocks(16)', 'blocks(32)', 'left_right', 'up_down']
    >>> all(min_cut(arch, p).value <= 2 for _, p in found)
    True
    """
    from convac.analysis._scales import scales
    from convac.mincut import min_cut

    h, w = arch.grid
    out: list[tuple[str, Partition]] = []
    width = 2
    while width <= min(h, w) // 2:
        mask = np.zeros((h, w), dtype=bool)
        mask[h // 2 : h // 2 + width, w // 2 : w // 2 + width] = True
        out.append((f"block({width})", Partition.from_mask(mask.ravel(), grid=(h, w))))
        width *= 2
    out.extend((s.label, s.partition(arch)) for s in scales(arch))
    return [(name, p) for name, p in out if min_cut(arch, p).value <= max_cut]


def _cell_key(task: str, schedule: str, r: int, seed: int) -> str:
    return f"{task}|{schedule}|r={r}|seed={seed}"
