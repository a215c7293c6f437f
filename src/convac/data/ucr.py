"""UCR time-series sets bundled inside the ``sktime`` wheel (no download), at a power-of-two length.

Four sets of the UCR archive, each with UCR's own train/test split (:data:`UCR_SETS`):

============== ======= ====== ======= ======== =========
set            classes train  test    length   resampled
============== ======= ====== ======= ======== =========
arrowhead      3       36     175     251      256
gunpoint       2       50     150     150      128
italypowerdemand 2     67     1,029   24       32
osuleaf        6       200    242     427      512
============== ======= ====== ======= ======== =========

Every series is linearly interpolated (:func:`resample`) from its length to the nearest power of two
(in log scale), so that the pooling tree over its positions is balanced: each canonical level halves
every block, and the feature-order methods bisect the positions evenly. Labels become 0 .. classes-1
in the sorted order of UCR's label strings. ``sktime`` is an optional dependency (the ``data`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convac._validation import choice, positive_int
from convac.errors import InputError, MissingDependencyError

__all__ = ["UCR_SETS", "load_ucr", "power_of_two_length", "resample"]

#: set -> (sktime loader, UCR's length, resampled length, train samples, test samples)
UCR_SETS: dict[str, tuple[str, int, int, int, int]] = {
    "arrowhead": ("load_arrow_head", 251, 256, 36, 175),
    "gunpoint": ("load_gunpoint", 150, 128, 50, 150),
    "italypowerdemand": ("load_italy_power_demand", 24, 32, 67, 1029),
    "osuleaf": ("load_osuleaf", 427, 512, 200, 242),
}


def power_of_two_length(n: int) -> int:
    """Return the power of two nearest to ``n`` in log scale (ties go up).

    >>> [power_of_two_length(n) for n in (24, 150, 251, 427, 1, 3)]
    [32, 128, 256, 512, 1, 4]
    """
    n = positive_int(n, "the series length")
    lo = 1 << (n.bit_length() - 1)
    return lo if n * n < 2 * lo * lo else 2 * lo  # n / lo < 2 lo / n, i.e. nearer lo in log scale


def resample(x: npt.ArrayLike, length: int) -> npt.NDArray[np.float64]:
    """Linearly interpolate each row of ``x`` (n, T) onto ``length`` evenly spaced points of the same span.

    The first and last points are kept; a row that is a straight line stays that line.

    >>> resample([[0.0, 1.0, 2.0]], 5).tolist()
    [[0.0, 0.5, 1.0, 1.5, 2.0]]
    """
    rows = np.asarray(x, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] < 2:
        raise InputError(f"resample needs series as a 2D array (samples, length >= 2), got shape {rows.shape}")
    length = positive_int(length, "the resampled length")
    old = np.linspace(0.0, 1.0, rows.shape[1])
    new = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, row) for row in rows])


def _sktime_datasets() -> Any:
    try:
        return importlib.import_module("sktime.datasets")
    except ImportError:
        raise MissingDependencyError(
            "the UCR sets need the optional package sktime, which bundles them (pip install 'convac[data]')"
        ) from None


def load_ucr(
    name: str, split: Literal["train", "test"] = "train", resampled: bool = True
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Load one split of a bundled UCR set as ``(series (n, length), labels 0 .. classes-1)``.

    Parameters
    ----------
    name : one of :data:`UCR_SETS` (``arrowhead``, ``gunpoint``, ``italypowerdemand``, ``osuleaf``).
    split : UCR's ``"train"`` or ``"test"`` split.
    resampled : interpolate to the power-of-two length of :data:`UCR_SETS` (default) or keep UCR's length.

    Returns
    -------
    The series as float64 (values as UCR stores them: z-normalised per series) and int64 labels.

    Examples
    --------
    >>> x, y = load_ucr("gunpoint")  # doctest: +SKIP
    >>> x.shape, sorted(set(y.tolist()))  # doctest: +SKIP
    ((50, 128), [0, 1])
    """
    choice(name, "the UCR set", tuple(UCR_SETS))
    choice(split, "the split", ("train", "test"))
    loader, length, new_length, _, _ = UCR_SETS[name]
    load = getattr(_sktime_datasets(), loader)
    # both splits, so that labels map to the same integers whichever split is asked for
    parts = {s: load(split=s, return_type="numpy3D") for s in ("train", "test")}
    classes = np.unique(np.concatenate([np.asarray(parts[s][1]).astype(str) for s in parts]))
    x, labels = parts[split]
    x = np.asarray(x, dtype=np.float64)[:, 0]
    y = np.searchsorted(classes, np.asarray(labels).astype(str)).astype(np.int64)
    if x.shape[1] != length:
        raise MissingDependencyError(
            f"sktime's {name} has series of length {x.shape[1]}, not UCR's {length}; install a sktime release "
            "that bundles the UCR archive's version (pip install 'convac[data]')"
        )
    return (resample(x, new_length) if resampled else x), y
