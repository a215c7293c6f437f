"""Where sweep cells run, and how a run stops on Ctrl-C or SIGTERM.

A sweep hands an executor a task function and a list of tasks and gets ``(index, result)``
pairs back as the tasks finish, in any order. Every task is a pure function of its own
config and seed, so any executor gives the same results; the sweep writes each result to
disk the moment it arrives. Executors are chosen by name from :data:`EXECUTORS`; ``local``
runs the tasks in this process (one worker) or in a pool of spawned worker processes;
``ray`` runs each task as a Ray task, on a Ray instance started for the run (``workers``
CPUs) or on an existing cluster (``address``); Ray is imported only then.

A task function has the signature ``fn(task, progress)``; ``progress(payload)`` sends a small
picklable payload to the caller's ``on_progress(index, payload)`` while the task runs.

Stopping: closing the iterator that :meth:`Executor.run` returns (which happens when the
consumer's loop is left by an exception such as :class:`Interrupted`) cancels the tasks not
yet started and kills the running workers at once; nothing is drained. Workers ignore
SIGINT (a Ctrl-C reaches the whole process group; the parent alone decides) and, on Linux,
die with their parent even if it is killed outright. On Ray, the tasks not finished are
cancelled with ``ray.cancel(force=True)`` (which kills the worker processes running them) and
a Ray instance started for the run is shut down; Ray's own processes block SIGINT, so a
Ctrl-C reaches only the driver, which decides.
"""

from __future__ import annotations

from collections.abc import Callable

from convac.errors import InputError
from convac.experiments._runner.base import Executor, Progress, TaskFn
from convac.experiments._runner.local import LocalExecutor
from convac.experiments._runner.ray import RayExecutor
from convac.experiments._runner.signals import Interrupted, SignalGuard, stop_on_signals

__all__ = [
    "EXECUTORS",
    "Executor",
    "Interrupted",
    "LocalExecutor",
    "Progress",
    "RayExecutor",
    "SignalGuard",
    "TaskFn",
    "make_executor",
    "stop_on_signals",
]

EXECUTORS: dict[str, type[Executor]] = {LocalExecutor.name: LocalExecutor, RayExecutor.name: RayExecutor}


def make_executor(
    name: str = "local",
    workers: int = 1,
    initializer: Callable[[], None] | None = None,
    address: str | None = None,
    threads: int | None = None,
) -> Executor:
    """Return the executor registered under ``name`` in :data:`EXECUTORS`, with ``workers`` workers.

    ``address`` is the Ray cluster to join (``ray`` only; ``None`` starts a local one). ``threads``
    is each worker's BLAS/OpenMP/torch threads (default: the cores shared out among the workers;
    one per Ray task).

    Examples
    --------
    >>> make_executor("local", workers=2).workers
    2
    >>> make_executor("ray", workers=2).name  # Ray is imported only when it runs
    'ray'
    """
    if name not in EXECUTORS:
        raise InputError(f"unknown executor {name!r}; allowed: {', '.join(EXECUTORS)}")
    return EXECUTORS[name](workers=workers, initializer=initializer, address=address, threads=threads)
