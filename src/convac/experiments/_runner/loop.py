"""The sweep loop every study shares: run the unfinished cells on an executor, save each as it arrives."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from convac.experiments._runner.base import Executor, TaskFn
from convac.experiments._runner.signals import Interrupted, stop_on_signals

__all__ = ["run_tasks"]


def run_tasks(
    executor: Executor,
    fn: TaskFn,
    jobs: Sequence[Any],
    save: Callable[[int, Any], None],
    *,
    saved: Callable[[], int],
    total: int,
    where: object,
    on_progress: Callable[[int, Any], None] | None = None,
) -> None:
    """Run ``fn`` on every job and call ``save(index, result)`` for each as it finishes.

    ``save`` runs with SIGINT/SIGTERM held back, so a result line is never half written by an
    interrupt. An interrupt stops the executor at once and raises
    :class:`~convac.experiments._runner.signals.Interrupted` saying that ``saved()`` of ``total``
    cells are in ``where`` and how to resume.

    Examples
    --------
    >>> from convac.experiments._runner.local import LocalExecutor
    >>> out = {}
    >>> run_tasks(LocalExecutor(), lambda x, progress: x * x, [1, 2, 3], out.__setitem__,
    ...           saved=lambda: len(out), total=3, where="memory")
    >>> out
    {0: 1, 1: 4, 2: 9}
    """
    with stop_on_signals() as guard:
        try:
            with contextlib.closing(executor.run(fn, jobs, on_progress)) as results:
                for index, result in results:
                    with guard.deferred():  # the line is written whole, then the interrupt
                        save(index, result)
        except KeyboardInterrupt as exc:
            raise Interrupted.saved(exc, saved(), total, where) from None
