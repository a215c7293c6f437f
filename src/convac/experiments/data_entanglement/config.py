"""The data-entanglement validation: its configuration and feature orders."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ORDERS", "ValidationConfig"]


ORDERS: tuple[str, ...] = ("natural", "permuted", "rearranged")


@dataclass(frozen=True)
class ValidationConfig:
    """Sizes of one validation run (defaults: affordable on 2 shared CPU cores).

    Examples
    --------
    >>> cfg = ValidationConfig(datasets=("mnist5k",), seeds=(0,), epochs_2d=1)
    >>> cfg.epochs_2d, cfg.n_entanglement, len(cfg.seeds) * len(ORDERS)  # cells of a run
    (1, 300, 3)
    """

    datasets: tuple[str, ...] = ("mnist1d", "mnist5k")
    seeds: tuple[int, ...] = (0, 1, 2)
    n_test: int = 1000
    epochs_1d: int = 150  # the MNIST-1D paper's 6,000 steps of 100
    epochs_2d: int = 5
    batch_size: int = 100
    lr_1d: float = 1e-2  # the MNIST-1D paper's learning rate
    lr_2d: float = 3e-3
    n_entanglement: int = 300
    max_blocks: int = 8
    theta: float = 1.0
    method: str = "auto"
