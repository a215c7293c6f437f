"""Validation helpers of the tree spec: pooling windows and schedules (pure geometry)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from convac._validation import integer
from convac.errors import ArchitectureError, ConvacTypeError


def _check_int(name: str, value: Any, minimum: int = 1) -> int:
    return integer(value, name, minimum=minimum, error=ArchitectureError)


def _exact_log(n: int, base: int) -> int | None:
    """Return k with base**k == n, or None if n is not a power of base."""
    k, p = 0, 1
    while p < n:
        p *= base
        k += 1
    return k if p == n else None


def _prime_factors(n: int) -> list[int]:
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    return [*out, n] if n > 1 else out


def _example_schedule(side: int, depth: int, minimum: int) -> list[int] | None:
    """Return ``depth`` windows (each >= ``minimum``) multiplying to ``side``, or None if none exist."""
    primes = sorted(_prime_factors(side), reverse=True)
    if minimum >= 2 and len(primes) < depth:
        return None
    slots = [1] * depth
    for q in primes:  # largest prime into the smallest slot keeps the windows balanced
        slots[slots.index(min(slots))] *= q
    return sorted(slots)


def _window_entry(value: Any, index: int, ndim: int) -> tuple[int, ...]:
    """One layer's window as a tuple of ``ndim`` sizes (an int is a square window in 2D)."""
    name = f"windows[{index}]"
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = (int(value),) * ndim
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConvacTypeError(
            f"{name} must be an integer or {ndim} integers (one per grid axis), got {type(value).__name__} {value!r}"
        )
    sizes = tuple(value)
    if len(sizes) != ndim:
        raise ArchitectureError(
            f"{name} must have {ndim} entr{'y' if ndim == 1 else 'ies'} (one per grid axis), got {value!r}"
        )
    out = tuple(_check_int(name, v, 1) for v in sizes)
    if math.prod(out) < 2:
        raise ArchitectureError(
            f"{name} is {'x'.join(map(str, out))}, which pools a single position; every window must pool at least 2"
        )
    return out


def _pick(window: int | None, windows: Any) -> tuple[int | None, tuple[Any, ...]]:
    """``(window, windows)`` for the dataclass, refusing both at once."""
    if windows is None:
        return window, ()
    if window is not None:
        raise ArchitectureError("give window (one size for every layer) or windows (one window per layer), not both")
    return None, _as_windows(windows)


def _as_windows(values: Any) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConvacTypeError(
            f"windows must be a list with one window per hidden layer, got {type(values).__name__} {values!r}"
        )
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _as_tuple(values: Iterable[int] | Any, name: str = "channels") -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConvacTypeError(f"{name} must be a list of integers, got {type(values).__name__} {values!r}")
    return tuple(values)
