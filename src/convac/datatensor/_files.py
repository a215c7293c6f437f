"""Users' feature files (``.npy``, ``.npz``, ``.csv``) read without trusting them.

A file is refused with one :class:`~convac.errors.InputError` sentence when it is empty,
corrupt or truncated, or holds NaN, infinite or non-numeric values, and with a
:class:`~convac.errors.TooLargeError` *before* anything is allocated when its header claims
more than :data:`MAX_DATA_BYTES` as float64: the shape of a ``.npy`` file, and of every
member of an ``.npz`` archive, is read from the header first (a 1 KiB archive can claim
16 GiB of zeros).

>>> import os, tempfile
>>> import numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
>>> np.save(path, np.zeros((3, 4)))
>>> load_file(path)[0].shape
(3, 4)
>>> np.save(path, np.zeros((10**6, 10**3), dtype=np.uint8))  # 1 GB as uint8, 8 GB as float64
>>> load_file(path)
Traceback (most recent call last):
    ...
convac.errors.TooLargeError: x.npy holds a (1000000, 1000) array, which as float64 would need 7.45 GiB, ...
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from convac._validation import size_limit
from convac.errors import ConvacError, InputError

__all__ = ["MAX_DATA_BYTES", "load_file", "scale_unit"]

MAX_DATA_BYTES = 1 << 31
"""Largest feature array a file may hold, counted as float64 (2 GiB: 268 million values)."""

_SUFFIXES = (".npy", ".npz", ".csv", ".txt")


def scale_unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Min-max scale the whole array (one min and max for all features) to [0, 1].

    >>> scale_unit(np.array([2.0, 4.0, 3.0])).tolist(), scale_unit(np.ones(2)).tolist()
    ([0.0, 1.0, 0.5], [0.0, 0.0])
    """
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros_like(x, dtype=np.float64)
    return (x - lo) / (hi - lo)


def _check_header(f: IO[bytes], what: str) -> int:
    """Read a ``.npy`` header from ``f``, refuse a shape over the limit, and return the bytes its data need."""
    from numpy.lib import format as npformat

    try:
        version = npformat.read_magic(f)
        read = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
        shape, _, dtype = read(f)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{what} is not a valid .npy array ({_first_line(exc)})") from None
    entries = math.prod(shape)
    size_limit(
        f"{what} holds a {tuple(shape)} array, which as float64",
        8 * entries,
        MAX_DATA_BYTES,
        hint="; give fewer samples or features",
    )
    return int(dtype.itemsize * entries)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_npy(p: Path) -> Any:
    with p.open("rb") as f:
        needed = _check_header(f, p.name)
        stored = p.stat().st_size - f.tell()
    if needed > stored:
        raise InputError(f"{p.name} is truncated: its header claims {needed:,} bytes of data but {stored:,} follow")
    return np.load(p, allow_pickle=False)


def _load_npz(p: Path) -> tuple[Any, Any]:
    try:
        archive = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise InputError(f"{p.name} is not a valid .npz file (not a zip archive, or truncated)") from None
    with archive:
        names = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        key = "X" if "X" in names else "x" if "x" in names else None
        if key is None:
            raise InputError(f"{p.name} has no array named X or x (it has {', '.join(names) or 'no arrays'})")
        arrays = {}
        for name in (key, "y"):
            if name not in names:
                continue
            with archive.open(names[name]) as member:
                _check_header(member, f"{p.name}[{name!r}]")
            try:
                with archive.open(names[name]) as member:
                    arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
            except (zipfile.BadZipFile, EOFError) as exc:
                raise InputError(f"{p.name}[{name!r}] is corrupt or truncated ({_first_line(exc)})") from None
    return arrays[key], arrays.get("y")


def _load_csv(p: Path, label_column: int | None) -> tuple[Any, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy warns "input contained no data"
        table = np.loadtxt(p, delimiter=",", ndmin=2)
    if table.size == 0:
        raise InputError(f"{p.name} has no data rows (the file holds only blank lines or comments)")
    y = None
    if label_column is not None:
        if not -table.shape[1] <= label_column < table.shape[1]:
            raise InputError(f"label column {label_column} is outside the {table.shape[1]} columns of {p.name}")
        y = table[:, label_column]
        table = np.delete(table, label_column, axis=1)
    return table, y


def _read(p: Path, suffix: str, label_column: int | None) -> tuple[Any, Any]:
    if suffix == ".npy":
        return _load_npy(p), None
    if suffix == ".npz":
        return _load_npz(p)
    size_limit(f"{p.name}, read as float64,", 8 * p.stat().st_size, MAX_DATA_BYTES, hint="; give a smaller file")
    return _load_csv(p, label_column)


def load_file(
    path: str | Path, label_column: int | None = None, rescale: bool = False
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    """Features (and labels) from ``.npy`` (X only), ``.npz`` (arrays ``X``/``x`` and optional ``y``) or CSV.

    In a CSV every column is a feature unless ``label_column`` names the one holding integer labels.
    With ``rescale`` the values are min-max scaled to [0, 1]; otherwise they must already lie there.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.csv")
    >>> open(path, "w").close()
    >>> load_file(path)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: empty.csv is empty (0 bytes)
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if not p.is_file():
        raise InputError(f"{p} is not a regular file (a directory, pipe or device); give a .npy, .npz or .csv file")
    suffix = p.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"cannot read {p.name}: give a .npy, .npz or .csv file")
    if p.stat().st_size == 0:
        raise InputError(f"{p.name} is empty (0 bytes)")
    try:
        x, y = _read(p, suffix, label_column)
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, ConvacError):
            raise
        raise InputError(f"cannot read {p.name}: {_first_line(exc)}") from None
    return _clean(p.name, x, y, rescale)


def _clean(name: str, x: Any, y: Any, rescale: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise InputError(f"{name} holds {x.dtype} data; features must be numbers")
    x = x.astype(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{name} has {int(bad.sum()):,} NaN or infinite values (the first at index {first}); "
            "features must be finite numbers"
        )
    if rescale and x.size:
        x = scale_unit(x)
    if y is not None:
        y = np.asarray(y)
        if y.dtype.kind == "f":
            if not np.all(y == np.round(y)):
                raise InputError(f"labels in {name} must be integers")
            y = y.astype(np.int64)
    return x, y
