"""One place that limits threads: BLAS/OpenMP pools (threadpoolctl) and torch's intra-op pool.

Library code never changes the process's thread settings for good: it limits them inside
:func:`thread_limit` and restores them on exit, also when the body raises.

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

__all__ = ["available_cores", "thread_limit", "threads_per_worker"]


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

    torch's pool is limited only when torch is already imported: the min-cut side of convac
    never imports torch, and should not pay for it here.
    """
    if threads is None:
        yield
        return
    threads = positive_int(threads, "threads")
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None and previous is not None:
                torch.set_num_threads(previous)
