"""Argument checks shared by every public function, so the same mistake gets the same error.

Each check returns the cleaned value or raises a :class:`~convac.errors.ConvacError`: a
:class:`~convac.errors.ConvacTypeError` when the argument has the wrong type, otherwise
``error`` (default :class:`~convac.errors.InputError`). Messages are one sentence that
names the argument, says what is allowed and shows what was given.

>>> positive_int(3, "epochs")
3
>>> positive_int(0, "epochs")
Traceback (most recent call last):
...
convac.errors.InputError: epochs must be a positive integer, got 0
>>> choice("cosine", "schedule", ("cosine", "constant"))
'cosine'
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convac.errors import ConvacError, ConvacTypeError, InputError, TooLargeError

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_MODEL_BYTES",
    "MAX_POSITIONS",
    "choice",
    "finite_array",
    "image_path",
    "instance",
    "integer",
    "model_size",
    "non_negative_int",
    "output_index",
    "positions",
    "positive_int",
    "positive_real",
    "probability",
    "real",
    "size_limit",
]

#: File suffixes matplotlib writes as given (any other suffix, or none, is refused).
IMAGE_SUFFIXES = (".png", ".pdf", ".svg")


def _is_int(value: Any) -> bool:
    # bool is an int subclass, but True as a size or seed is always a mistake.
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[ConvacError] = InputError,
) -> int:
    """``value`` as an ``int`` in ``[minimum, maximum]`` (either bound optional)."""
    if maximum is None:
        allowed = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
    elif minimum is None:
        allowed = f"an integer <= {maximum}"
    else:
        allowed = f"an integer in {minimum}..{maximum}"
    if not _is_int(value):
        raise ConvacTypeError(f"{name} must be {allowed}, got {type(value).__name__} {value!r}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise error(f"{name} must be {allowed}, got {value}")
    return value


def positive_int(value: Any, name: str, *, error: type[ConvacError] = InputError) -> int:
    """``value`` as an ``int >= 1``."""
    return integer(value, name, minimum=1, error=error)


def non_negative_int(value: Any, name: str, *, error: type[ConvacError] = InputError) -> int:
    """``value`` as an ``int >= 0``."""
    return integer(value, name, minimum=0, error=error)


def real(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
    error: type[ConvacError] = InputError,
) -> float:
    """``value`` as a ``float`` in the interval from ``low`` to ``high`` (open ends as flagged)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConvacTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    ok = not math.isnan(value) and (allow_inf or math.isfinite(value))
    ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        if low == 0 and high == math.inf:
            allowed = "a positive number" if low_open else "a non-negative number"
        else:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            allowed = f"a number in {left}{low:g}, {high:g}{right}"
        if allow_inf:
            allowed += " (inf allowed)"
        raise error(f"{name} must be {allowed}, got {value!r}")
    return value


def positive_real(value: Any, name: str, *, error: type[ConvacError] = InputError) -> float:
    """``value`` as a finite ``float > 0``."""
    return real(value, name, low=0.0, low_open=True, error=error)


def probability(value: Any, name: str, *, open_ends: bool = True, error: type[ConvacError] = InputError) -> float:
    """``value`` as a ``float`` in ``(0, 1)`` (or ``[0, 1]`` with ``open_ends=False``)."""
    return real(value, name, low=0.0, high=1.0, low_open=open_ends, high_open=open_ends, error=error)


def choice(value: Any, name: str, allowed: Collection[str], *, error: type[ConvacError] = InputError) -> str:
    """``value`` if it is one of the names ``allowed``."""
    listed = [repr(a) for a in allowed]
    names = " or ".join(listed) if len(listed) <= 2 else "one of " + ", ".join(listed)
    if not isinstance(value, str):
        raise ConvacTypeError(f"{name} must be {names}, got {type(value).__name__} {value!r}")
    if value not in allowed:
        raise error(f"{name} must be {names}, got {value!r}")
    return value


def instance(value: Any, name: str, types: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it is an instance of ``types``; ``what`` says in words what is expected."""
    if not isinstance(value, types):
        raise ConvacTypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def output_index(output: Any, n_outputs: int, *, allow_none: bool = False) -> int | None:
    """``output`` as an index of one of ``n_outputs`` outputs (or ``None`` if allowed)."""
    if output is None and allow_none:
        return None
    allowed = f"{'None or ' if allow_none else ''}an integer in 0..{n_outputs - 1}"
    if not _is_int(output):
        raise ConvacTypeError(f"output must be {allowed}, got {type(output).__name__} {output!r}")
    if not 0 <= int(output) < n_outputs:
        raise InputError(f"output must be {allowed}, got {int(output)}")
    return int(output)


def finite_array(value: Any, name: str, shape: Sequence[int | None] | None = None) -> np.ndarray:
    """``value`` as a finite float64 array; ``None`` entries of ``shape`` match any length."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConvacTypeError(f"{name} must be an array of real numbers, got {type(value).__name__}") from None
    if shape is not None and (
        arr.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, arr.shape, strict=True))
    ):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise InputError(f"{name} must have shape {want}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} must be finite, got {int((~np.isfinite(arr)).sum())} NaN or infinite entries")
    return arr


def image_path(path: Any, name: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` whose suffix is one of :data:`IMAGE_SUFFIXES`.

    matplotlib appends ``.png`` to a path without a suffix and rejects unknown ones; asking
    for one of these suffixes makes the file written exactly the path given.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConvacTypeError(f"{name} must be a file path, got {type(path).__name__}")
    out = Path(path)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputError(f"{name} must end in {', '.join(IMAGE_SUFFIXES)} (the image format), got {str(path)!r}")
    return out


#: Largest model :func:`model_size` lets through: 4 GiB of float32 weights (10^9 parameters).
MAX_MODEL_BYTES = 1 << 32


def model_size(what: str, n_params: int, limit: int | None = None) -> None:
    """Refuse a model of ``n_params`` float32 weights over ``limit`` bytes before any is allocated.

    Training with Adam needs about four copies (weights, gradients, two moments).
    """
    limit = MAX_MODEL_BYTES if limit is None else limit
    if n_params * 4 > limit:
        raise TooLargeError(
            f"{what} has {n_params:,} parameters, which would need {_human(n_params * 4, 'bytes')} as float32 "
            f"({_human(n_params * 16, 'bytes')} to train with Adam), over the limit of {_human(limit, 'bytes')}; "
            "use fewer channels"
        )


#: Most input positions a partition or min-cut graph may have. Each keeps arrays of that
#: length; ``convac analyze`` at 2^20 inputs measured 147 s and 1.4 GB, so 2^22 is minutes.
MAX_POSITIONS = 1 << 22


def positions(n: int, what: str) -> int:
    """Refuse ``n`` input positions over :data:`MAX_POSITIONS` before any array of that length exists."""
    if n > MAX_POSITIONS:
        raise TooLargeError(
            f"{what} has {n:,} input positions, over the limit of {MAX_POSITIONS:,} for partitions and min-cut "
            f"graphs, which keep several arrays of that length ({_human(8 * n, 'bytes')} for one of int64); "
            "use a smaller grid"
        )
    return n


def size_limit(what: str, amount: float, limit: float, unit: str = "bytes", hint: str = "") -> None:
    """Raise :class:`TooLargeError` if ``amount`` exceeds ``limit``; ``hint`` says what to do instead."""
    if amount > limit:
        raise TooLargeError(f"{what} would need {_human(amount, unit)}, over the limit of {_human(limit, unit)}{hint}")


def _human(amount: float, unit: str) -> str:
    if unit != "bytes":
        return f"{amount:.3g} {unit}"
    for scale, name in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if amount >= scale:
            return f"{amount / scale:.3g} {name}"
    return f"{amount:.0f} bytes"
