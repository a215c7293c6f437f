"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download)."""

from __future__ import annotations

import numpy as np
import torch

from convac._validation import non_negative_int, probability

__all__ = ["load_digits", "split_digits"]


def load_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """Images as float32 in [0, 1] of shape (1797, 8, 8), and integer labels 0..9.

    Examples
    --------
    >>> images, labels = load_digits()
    >>> tuple(images.shape), int(labels.max())
    ((1797, 8, 8), 9)
    """
    from sklearn.datasets import load_digits as _load

    bunch = _load()
    images = torch.tensor(bunch.images / 16.0, dtype=torch.float32)
    return images, torch.tensor(bunch.target, dtype=torch.int64)


def split_digits(test_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint train / test index arrays over the 1,797 digits, stratified by class, from ``seed``.

    Examples
    --------
    >>> train, test = split_digits(seed=0)
    >>> len(train) + len(test), len(set(train) & set(test))
    (1797, 0)
    """
    probability(test_fraction, "test_fraction")
    non_negative_int(seed, "seed")
    _, labels = load_digits()
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels.numpy() == c))
        n_test = round(len(idx) * test_fraction)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
