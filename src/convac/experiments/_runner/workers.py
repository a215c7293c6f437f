"""How many workers a run uses by default: as many as the machine's cores allow, never more."""

from __future__ import annotations

from convac._threads import available_cores
from convac._validation import positive_int
from convac.errors import InputError

__all__ = ["check_local_workers", "default_workers", "resolve_workers"]


def default_workers(threads: int = 1) -> int:
    """Workers of ``threads`` threads each that fit the cores this process may use (at least one).

    Examples
    --------
    >>> from convac._threads import available_cores
    >>> default_workers() == available_cores(), default_workers(threads=10**6)
    (True, 1)
    """
    return max(1, available_cores() // positive_int(threads, "threads"))


def resolve_workers(workers: int | None, threads: int = 1) -> int:
    """``workers`` checked (a positive integer), or :func:`default_workers` for None.

    Examples
    --------
    >>> resolve_workers(3), resolve_workers(None) == default_workers()
    (3, True)
    """
    return default_workers(threads) if workers is None else positive_int(workers, "workers")


def _allowed(cores: int) -> str:
    return "1" if cores == 1 else "1 or 2" if cores == 2 else f"between 1 and {cores}"


def check_local_workers(workers: int | None, threads: int = 1) -> int:
    """Like :func:`resolve_workers`, but refuse more workers of ``threads`` threads than the cores hold.

    For CPU-bound cells on this machine: oversubscribed cores only make every cell slower.

    Examples
    --------
    >>> check_local_workers(1), check_local_workers(None) == default_workers()
    (1, True)
    >>> check_local_workers(10**6)
    Traceback (most recent call last):
    ...
    convac.errors.InputError: workers must be ..., got 1000000 (this process may use ... cores)
    """
    value = resolve_workers(workers, threads)
    fits = default_workers(threads)
    if value > fits:
        raise InputError(f"workers must be {_allowed(fits)}, got {value} (this process may use {fits} cores)")
    return value
