"""One scale-task cell: the task's data, the arm's widths at the common budget, training, test accuracy.

A cell is a pure function of the configuration and ``(scale, arm, seed)``: the training data are
drawn from ``seed``, the test data from ``seed + TEST_SEED_OFFSET``, and the network's initial
weights and batch order from ``seed``, so every arm of one seed sees the same samples (the
comparison is paired).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from convac.channel_design import FeasibleDesign
from convac.data.scale_tasks import ScaleTask, scale_task
from convac.errors import InputError
from convac.experiments.scale_tasks.arms import (
    HAND_MADE,
    architecture,
    equal_budget_widths,
    hand_made_shape,
    widths_at_budget,
)
from convac.experiments.scale_tasks.config import ScaleTasksConfig

__all__ = ["RESTART_SEED_STRIDE", "TEST_SEED_OFFSET", "arm_widths", "designed_shape", "hand_made_widths", "run_cell"]

TEST_SEED_OFFSET = 1_000_003
"""The test data of seed ``s`` are drawn from seed ``s + TEST_SEED_OFFSET``."""

RESTART_SEED_STRIDE = 7_919
"""Restart ``j`` of seed ``s`` draws its initial weights and batch order from ``s + j * RESTART_SEED_STRIDE``."""


def _levels(cfg: ScaleTasksConfig) -> int:
    return int(math.log2(cfg.n_positions)) - 1


def hand_made_widths(cfg: ScaleTasksConfig) -> tuple[int, dict[str, tuple[int, ...]]]:
    """Return the common budget and every hand-made arm's widths (the same for every scale and seed).

    Examples
    --------
    >>> budget, widths = hand_made_widths(ScaleTasksConfig())
    >>> budget, widths["wide_middle"]
    (160, (4, 6, 10, 5))
    """
    shapes = {arm: hand_made_shape(arm, _levels(cfg)) for arm in HAND_MADE}
    return equal_budget_widths(shapes, cfg.budget, cfg.n_types + 1)


def designed_shape(task: ScaleTask, budget: int, cfg: ScaleTasksConfig) -> tuple[tuple[float, ...], dict[str, Any]]:
    """Return the designed arm's relative widths above the first layer, from ``task``'s data profile.

    :func:`convac.channel_design.design` with ``method=cfg.design_method`` at the study's budget:
    for ``feasible`` the shape is the rule's real widths (:attr:`~convac.FeasibleDesign.continuous`),
    for ``objective`` its channels; every arm's integers are then placed at the common budget with
    the first width ``M`` (:func:`~convac.experiments.scale_tasks.arms.widths_at_budget`). Returns the
    shape and what the record keeps about the design (profile means per level, the method's channels).

    Examples
    --------
    >>> cfg = ScaleTasksConfig(n_positions=8)
    >>> shape, info = designed_shape(scale_task(300, "long", n_positions=8, n_types=3), 60, cfg)
    >>> int(np.argmax(shape)), info["level_sides"]   # long range: the widest level is the halves'
    (1, [1, 2, 4])
    """
    from convac.channel_design import design
    from convac.datatensor import canonical_entanglement

    profile = canonical_entanglement(task.X, task.y, theta=cfg.theta)
    info: dict[str, Any] = {
        "design_method": cfg.design_method,
        "level_sides": [lv.side for lv in profile.levels],
        "level_entropy": profile.means,
    }
    made = design(
        (cfg.n_positions,), budget, profile, method=cfg.design_method,  # type: ignore[arg-type]
        n_features=cfg.n_types + 1, shared=True, n_outputs=2, widths=tuple(range(1, 33)),
    )  # fmt: skip
    info["design_channels"] = [int(c) for c in made.channels]
    if isinstance(made, FeasibleDesign):
        info["design_spend"] = made.spend
        return tuple(made.continuous[1:]), info
    return tuple(float(c) for c in made.channels[1:]), info


def arm_widths(arm: str, task: ScaleTask, cfg: ScaleTasksConfig) -> tuple[int, tuple[int, ...], dict[str, Any]]:
    """Return the common budget, this arm's widths at exactly that budget, and the design's record.

    Examples
    --------
    >>> cfg = ScaleTasksConfig()
    >>> arm_widths("wide_tip", scale_task(10, "long", seed=0), cfg)
    (160, (4, 4, 6, 13), {})
    """
    budget, widths = hand_made_widths(cfg)
    if arm in widths:
        return budget, widths[arm], {}
    if arm != "designed":
        raise InputError(f"unknown arm {arm!r}; choose one of {', '.join((*HAND_MADE, 'designed'))}")
    shape, info = designed_shape(task, budget, cfg)
    info["designed_shape"] = list(shape)
    return budget, widths_at_budget(shape, budget, cfg.n_types + 1), info


def _train_once(arch: Any, train: ScaleTask, test: ScaleTask, seed: int, cfg: ScaleTasksConfig) -> dict[str, float]:
    """Train one network from ``seed`` (initial weights and batch order); its final training loss and accuracies."""
    import torch

    from convac.models import DeepConvAC
    from convac.training import fit

    model = DeepConvAC(arch, representation="onehot", seed=seed)
    result = fit(
        model,
        (torch.from_numpy(train.symbols), torch.from_numpy(train.y)),
        (torch.from_numpy(test.symbols), torch.from_numpy(test.y)),
        epochs=cfg.epochs,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=seed,
        progress=False,
    )
    return {
        "train_loss": float(result.history[-1]["loss"]),
        "test_accuracy": float(np.float64(result.test_accuracy or 0.0)),
        "train_accuracy": float(np.float64(result.train_accuracy or 0.0)),
    }


def _tasks(scale: str, seed: int, cfg: ScaleTasksConfig) -> tuple[ScaleTask, ScaleTask]:
    """Draw the cell's training data (from ``seed``) and test data (from ``seed + TEST_SEED_OFFSET``)."""
    train = scale_task(cfg.n_train, scale, n_positions=cfg.n_positions, n_types=cfg.n_types, seed=seed)
    test = scale_task(cfg.n_test, scale, n_positions=cfg.n_positions, n_types=cfg.n_types, seed=seed + TEST_SEED_OFFSET)
    return train, test


def _best_of_restarts(
    arch: Any, train: ScaleTask, test: ScaleTask, seed: int, cfg: ScaleTasksConfig
) -> tuple[int, list[dict[str, float]]]:
    """Train ``cfg.restarts`` times; the index of the lowest final training loss, and every run."""
    runs = [_train_once(arch, train, test, seed + j * RESTART_SEED_STRIDE, cfg) for j in range(cfg.restarts)]
    return min(range(len(runs)), key=lambda j: runs[j]["train_loss"]), runs


def run_cell(scale: str, arm: str, seed: int, cfg: ScaleTasksConfig) -> dict[str, Any]:
    """Train the arm's network on the task at ``scale`` from ``seed``; return the cell's record.

    With ``cfg.restarts = k`` the network is trained ``k`` times (restart ``j`` from seed
    ``seed + j * RESTART_SEED_STRIDE``) and the run with the lowest final *training* loss is kept,
    the same rule for every arm; the test data never enter the choice.

    Examples
    --------
    >>> cfg = ScaleTasksConfig(n_positions=8, n_train=60, n_test=40, epochs=1, budget=40, restarts=2)
    >>> rec = run_cell("short", "uniform", 0, cfg)
    >>> rec["widths"][0], rec["n_params"] == rec["budget"], 0.0 <= rec["test_accuracy"] <= 1.0, len(rec["restarts"])
    (4, True, True, 2)
    """
    start = time.perf_counter()
    train, test = _tasks(scale, seed, cfg)
    budget, widths, info = arm_widths(arm, train, cfg)
    arch = architecture(widths, cfg.n_positions, cfg.n_types + 1)
    best, runs = _best_of_restarts(arch, train, test, seed, cfg)
    return {
        "scale": scale,
        "distance": train.distance,
        "arm": arm,
        "seed": seed,
        "widths": list(widths),
        "n_params": arch.n_params,
        "budget": budget,
        "test_accuracy": runs[best]["test_accuracy"],
        "train_accuracy": runs[best]["train_accuracy"],
        "train_loss": runs[best]["train_loss"],
        "chosen_restart": best,
        "restarts": runs,
        "seconds": time.perf_counter() - start,
        **info,
    }
