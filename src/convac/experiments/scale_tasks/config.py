"""The scale-task study's configuration, and the arms' design methods."""

from __future__ import annotations

from dataclasses import dataclass

from convac._validation import choice, positive_int, real
from convac.data.scale_tasks import SCALES, scale_distance
from convac.errors import InputError
from convac.experiments.scale_tasks.arms import ARMS

__all__ = ["DESIGN_METHODS", "ScaleTasksConfig"]

DESIGN_METHODS: tuple[str, ...] = ("feasible", "objective")
"""How the designed arm turns the task's data-entanglement profile into a shape of widths, both by
:func:`convac.channel_design.design` at the study's budget:

- ``feasible``: ``method="feasible"``, the theorem as constraints (``ln mincut_l >= S_l + margin``)
  and the free budget spent by the default rule (``proportional``: log-slack in proportion to
  each level's entanglement); the shape is the rule's real widths;
- ``objective``: per-level entanglement as weights of a min-cut objective, widths 1..32.

Whatever the method, only the designed widths' *shape* above the first layer is kept; the
widths themselves are placed at the study's exact budget like every other arm's."""


@dataclass(frozen=True)
class ScaleTasksConfig:
    """Sizes of one scale-task run (defaults: 3 scales x 5 arms x 5 seeds, minutes on one core).

    A cell trains a positive-weight deep ConvAC (one-hot representation, shared weights, window 2)
    on ``n_train`` samples of the task and scores it on ``n_test`` fresh ones. ``budget`` is a
    target: the hand-made arms share the exact budget near it that fits all four shapes best
    (:func:`~convac.experiments.scale_tasks.arms.equal_budget_widths`), and the designed arm is
    placed at that same count. ``theta`` is the feature map of the data-entanglement profile. Each
    cell trains ``restarts`` times and keeps the run with the lowest final training loss (every arm
    alike): at 160 weights one training of a fitting arm ends short of 100 % on about half the seeds.

    Examples
    --------
    >>> cfg = ScaleTasksConfig(seeds=(0,), arms=("uniform",))
    >>> len(cfg.scales) * len(cfg.arms) * len(cfg.seeds), cfg.n_types + 1  # cells, M
    (3, 4)
    >>> ScaleTasksConfig(scales=("medium",))
    Traceback (most recent call last):
        ...
    convac.errors.InputError: scales must list some of short, middle, long, got medium
    """

    scales: tuple[str, ...] = SCALES
    arms: tuple[str, ...] = ARMS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_positions: int = 16
    n_types: int = 3
    n_train: int = 1000
    n_test: int = 1000
    budget: int = 160
    epochs: int = 30
    batch_size: int = 50
    lr: float = 0.05
    design_method: str = "feasible"
    restarts: int = 3
    theta: float = 1.0

    def __post_init__(self) -> None:
        for name, allowed in (("scales", SCALES), ("arms", ARMS)):
            values = getattr(self, name)
            if not values or any(v not in allowed for v in values):
                raise InputError(f"{name} must list some of {', '.join(allowed)}, got {', '.join(map(str, values))}")
        if not self.seeds or min(self.seeds) < 0:
            raise InputError(f"seeds must list non-negative integers, got {list(self.seeds)}")
        choice(self.design_method, "design_method", DESIGN_METHODS)
        scale_distance("long", self.n_positions)  # a power of two of at least 4
        if self.n_positions < 8:
            raise InputError(f"n_positions must be at least 8 (two levels above the first), got {self.n_positions}")
        if self.n_types < 2:
            raise InputError(f"n_types must be at least 2 (class 0 needs two different mark types), got {self.n_types}")
        for name in ("n_train", "n_test", "budget", "epochs", "batch_size", "restarts"):
            positive_int(getattr(self, name), name)
        real(self.lr, "lr", low=0.0, high=10.0, low_open=True)  # convac.training.MAX_LR
        real(self.theta, "theta", low=0.0, low_open=True)
