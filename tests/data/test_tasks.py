"""Tasks: disjoint source digits, deterministic placement, MNIST IDX loading and its errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from convac.data.digits import load_digits
from convac.data.mnist import load_mnist, read_idx, write_idx
from convac.data.tasks import TASKS, PlacedDigits, binarize_glyphs, digit_sources, make_task
from convac.errors import ConvacError, InputError


def test_source_digits_are_disjoint_between_train_and_test() -> None:
    (xtr, _), (xte, _) = digit_sources(seed=3)
    images, _ = load_digits()
    assert len(xtr) + len(xte) == len(images)
    # No source image (as raw pixels) is on both sides; duplicates in the raw data would show here too.
    train_bytes = {x.numpy().tobytes() for x in xtr}
    test_bytes = {x.numpy().tobytes() for x in xte}
    assert not train_bytes & test_bytes


@pytest.mark.parametrize("task", sorted(TASKS))
def test_placed_test_images_only_use_test_digits(task: str) -> None:
    train, test = make_task(task, n_train=64, n_test=64, seed=1)
    train_glyphs = {g.numpy().tobytes() for g in train.glyphs}
    for i in range(len(test)):
        x, _ = test[i]
        g = TASKS[task]
        top, left = int(test.top[i]), int(test.left[i])
        patch = x[0, top : top + g, left : left + g].to(torch.uint8)
        assert torch.equal(patch, test.glyphs[test.source[i]])
        # The glyph is the only ink on the canvas.
        assert int(x.sum()) == int(patch.sum())
    # Binarised test glyphs drawn from test digits: overlap with train glyphs can only be by coincidence
    # of identical binarised shapes, which the raw-pixel test above rules out for the sources.
    assert all(int(s) < len(test.glyphs) for s in test.source)
    assert len(train_glyphs) > 1


def test_image_is_a_pure_function_of_seed_and_index() -> None:
    a, _ = make_task("global", n_train=50, n_test=5, seed=7)
    b, _ = make_task("global", n_train=200, n_test=5, seed=7)
    c, _ = make_task("global", n_train=50, n_test=5, seed=8)
    xa, ya = a.batch(torch.arange(50))
    assert torch.equal(xa, a.batch(torch.arange(50))[0])
    # Item-by-item and batched agree, and so does a cached dataset.
    cached = PlacedDigits(a.glyphs, a.glyph_labels, 50, seed=a.seed, cache=True)
    assert torch.equal(cached.batch(torch.arange(50))[0], xa)
    assert torch.equal(torch.stack([a[i][0] for i in range(50)]), xa)
    assert not torch.equal(xa, c.batch(torch.arange(50))[0])
    assert set(torch.unique(xa).tolist()) == {0.0, 1.0}
    assert b.labels.shape == (200,) and ya.dtype == torch.int64


def test_glyph_sizes_and_binarisation() -> None:
    img = torch.zeros(1, 8, 8)
    img[0, 2:6, 3:5] = 1.0
    g = binarize_glyphs(img, 32)
    assert g.shape == (1, 32, 32) and g.dtype == torch.uint8
    # Upscaling 4x keeps the stroke where it was (rows 8..23, columns 12..19 up to the edge pixels).
    assert g[0, 10:22, 13:19].all() and not g[0, :6].any() and not g[0, :, :10].any()
    assert torch.equal(binarize_glyphs(img, 8)[0], (img[0] >= 0.5).to(torch.uint8))


def _write_mnist(d, n_train=6, n_test=4, gz=False, size=28):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    xtr = rng.integers(0, 256, (n_train, size, size), dtype=np.uint8)
    xte = rng.integers(0, 256, (n_test, size, size), dtype=np.uint8)
    ytr = rng.integers(0, 10, n_train, dtype=np.uint8)
    yte = rng.integers(0, 10, n_test, dtype=np.uint8)
    write_idx(d / f"train-images-idx3-ubyte{suffix}", xtr)
    write_idx(d / f"train-labels-idx1-ubyte{suffix}", ytr)
    write_idx(d / f"t10k-images-idx3-ubyte{suffix}", xte)
    write_idx(d / f"t10k-labels-idx1-ubyte{suffix}", yte)
    return xtr, ytr, xte, yte


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_files_load(tmp_path, gz: bool) -> None:
    xtr, ytr, xte, yte = _write_mnist(tmp_path, gz=gz)
    if gz:  # really gzip on disk
        assert gzip.decompress((tmp_path / "train-images-idx3-ubyte.gz").read_bytes())[:4] == b"\x00\x00\x08\x03"
    (a, b), (c, d) = load_mnist(tmp_path)
    assert np.array_equal(a.numpy(), xtr) and np.array_equal(b.numpy(), ytr.astype(np.int64))
    assert np.array_equal(c.numpy(), xte) and np.array_equal(d.numpy(), yte.astype(np.int64))
    train, test = make_task("local", n_train=10, n_test=5, seed=0, source="mnist", mnist_dir=tmp_path)
    assert train.glyphs.shape == (6, 8, 8) and test.glyphs.shape == (4, 8, 8)
    assert test.batch(torch.arange(5))[0].shape == (5, 1, 64, 64)


def test_mnist_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(InputError, match="t10k-images-idx3-ubyte"):
        _write_mnist(tmp_path)
        (tmp_path / "t10k-images-idx3-ubyte").unlink()
        load_mnist(tmp_path)
    _write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09\x01")
    with pytest.raises(InputError, match="header says"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(InputError, match="not an IDX file"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="cannot read"):
        read_idx(tmp_path / "train-labels-idx1-ubyte.gz")
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8))  # 5 labels, 6 images
    with pytest.raises(InputError, match="6 images but 5 labels"):
        load_mnist(tmp_path)


def test_task_errors() -> None:
    with pytest.raises(ConvacError, match="task must be 'local' or 'global', got 'medium'"):
        make_task("medium", 4, 4)
    with pytest.raises(ConvacError, match="source must be one of 'mnist5k', 'digits', 'mnist', got 'emnist'"):
        digit_sources("emnist")
    with pytest.raises(ConvacError, match="needs mnist_dir"):
        digit_sources("mnist")
    with pytest.raises(InputError, match="does not fit"):
        PlacedDigits(torch.ones(2, 10, 10), torch.tensor([0, 1]), 3, seed=0, canvas=8)
    with pytest.raises(ConvacError, match="n_images"):
        PlacedDigits(torch.ones(2, 4, 4), torch.tensor([0, 1]), 0, seed=0)


def test_a_batch_of_images_is_refused_before_allocating() -> None:
    # N105/N197: 10^7 canvases were built at once (40 GB of uint8, then float32).
    from convac.errors import TooLargeError

    train, _ = make_task("local", n_train=10**6, n_test=1, seed=0)
    with pytest.raises(TooLargeError, match=r"^a batch of 1,000,000 images of 64x64 would need 19.1 GiB, over"):
        train.batch(range(len(train)))
    assert train.batch(range(3))[0].shape == (3, 1, 64, 64)
