"""One place that limits threads: BLAS/OpenMP pools (threadpoolctl) and torch's intra-op pool.

Library code never changes the process's thread settings for good: it limits them inside
:func:`thread_limit` (or lowers them inside :func:`thread_cap`) and restores them on exit, also
when the body raises. Only convac's own worker processes are set for their whole life
(:func:`limit_process_threads`, and :func:`child_thread_env` for the pools a child starts later):
workers x threads never exceed :func:`available_cores` by default (:func:`threads_per_worker`).

Examples
--------
>>> import torch
>>> from convac._threads import thread_limit
>>> before = torch.get_num_threads()
>>> with thread_limit(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from convac._validation import positive_int

__all__ = [
    "available_cores",
    "child_thread_env",
    "limit_process_threads",
    "thread_cap",
    "thread_counts",
    "thread_limit",
    "threads_per_worker",
]

# Read by OpenMP, MKL, OpenBLAS (numpy, scipy) and torch when their pools start.
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def available_cores() -> int:
    """Return the number of cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def threads_per_worker(workers: int) -> int:
    """Threads each of ``workers`` parallel workers may use so that workers x threads <= cores.

    >>> threads_per_worker(available_cores()) == 1
    True
    """
    workers = positive_int(workers, "workers")
    return max(1, available_cores() // workers)


@contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """Limit BLAS/OpenMP and torch threads to ``threads`` inside the block (``None``: no change).

    convac never imports torch for this (the min-cut side never needs it); a torch imported inside
    the block starts at ``threads`` too (see :func:`_torch_pool`).
    """
    if threads is None:
        yield
        return
    threads = positive_int(threads, "threads")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads), _torch_pool(threads, lower_only=False):
        yield


@contextmanager
def _torch_pool(threads: int, *, lower_only: bool) -> Iterator[None]:
    """Hold the torch pool (and every pool started late) at ``threads`` in the block; ``lower_only``: raise none.

    torch already imported: its pool is set and restored after. Not imported yet: the block sets the
    thread environment variables, which torch and other pools read when they start, and afterwards
    gives a torch imported inside the pool it would have had (the saved ``OMP_NUM_THREADS``, else
    every available core). Without that, a cell that imports torch lazily would train on every core
    in one process and on one in a worker, and its floating-point result would depend on where it ran.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        previous = torch.get_num_threads()
        change = not lower_only or previous > threads
        if change:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if change:
                torch.set_num_threads(previous)
        return
    saved = {name: os.environ.get(name) for name in _THREAD_ENV}
    would_be = {name: int(v) if v and v.isdigit() else available_cores() for name, v in saved.items()}
    wanted = {name: min(n, threads) if lower_only else threads for name, n in would_be.items()}
    os.environ.update({name: str(n) for name, n in wanted.items()})
    try:
        yield
    finally:
        _restore_env(saved)
        started = sys.modules.get("torch")
        if started is not None:  # imported inside the block
            started.set_num_threads(would_be["OMP_NUM_THREADS"])


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def thread_cap(threads: int) -> Iterator[None]:
    """Lower every BLAS/OpenMP pool and torch's above ``threads`` to ``threads`` inside the block; raise none.

    A torch imported inside the block is capped too (see :func:`_torch_pool`).

    >>> with thread_cap(1):
    ...     max(thread_counts().values()) <= 1
    True
    """
    threads = positive_int(threads, "threads")
    from threadpoolctl import ThreadpoolController, threadpool_limits

    over = {p["prefix"]: threads for p in ThreadpoolController().info() if p["num_threads"] > threads}
    with threadpool_limits(limits=over or None), _torch_pool(threads, lower_only=True):
        yield


def limit_process_threads(threads: int) -> None:
    """Set this process's BLAS/OpenMP and torch threads to ``threads`` for good (convac's worker processes only).

    Pools that start later (torch imported by a task) read the environment variables set here.
    """
    threads = positive_int(threads, "threads")
    from threadpoolctl import threadpool_limits

    os.environ.update(dict.fromkeys(_THREAD_ENV, str(threads)))
    threadpool_limits(limits=threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


@contextmanager
def child_thread_env(threads: int) -> Iterator[None]:
    """Start processes inside this block with their BLAS/OpenMP/torch pools sized ``threads`` (environment)."""
    threads = positive_int(threads, "threads")
    saved = {name: os.environ.get(name) for name in _THREAD_ENV}
    os.environ.update(dict.fromkeys(_THREAD_ENV, str(threads)))
    try:
        yield
    finally:
        _restore_env(saved)


def thread_counts() -> dict[str, int]:
    """Threads of this process's pools: ``"torch"`` (when imported) and each BLAS/OpenMP library by prefix.

    >>> all(n >= 1 for n in thread_counts().values())
    True
    """
    from threadpoolctl import ThreadpoolController

    counts = {p["prefix"]: int(p["num_threads"]) for p in ThreadpoolController().info()}
    torch = sys.modules.get("torch")
    if torch is not None:
        counts["torch"] = int(torch.get_num_threads())
    return counts
