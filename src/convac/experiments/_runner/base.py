"""The executor interface: run tasks, yield ``(index, result)`` as they finish (see :mod:`.executors`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from typing import Any, ClassVar

from convac.errors import InputError

__all__ = ["Executor", "Progress", "TaskFn"]

Progress = Callable[[Any], None]
TaskFn = Callable[[Any, Progress], Any]


class Executor(ABC):
    """Runs tasks and yields ``(index, result)`` as they finish; see the module docstring."""

    name: ClassVar[str]

    def __init__(
        self,
        workers: int = 1,
        initializer: Callable[[], None] | None = None,
        address: str | None = None,
        threads: int | None = None,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError(f"workers must be a positive integer, got {workers!r}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise InputError(f"threads must be a positive integer or None (one share of the cores), got {threads!r}")
        if address is not None and self.name != "ray":
            raise InputError(
                f"the {self.name} executor joins no cluster; a Ray address (--ray-address) needs --executor ray"
            )
        self.workers = workers
        self.initializer = initializer
        # BLAS/OpenMP/torch threads per worker; None: the cores shared out (workers x threads <= cores).
        self.threads = threads

    @abstractmethod
    def run(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None = None
    ) -> Generator[tuple[int, Any], None, None]:
        """Yield ``(index into tasks, fn(task, progress))`` as tasks finish.

        Closing the iterator early cancels the tasks not started and stops the running ones
        at once. An exception raised by a task is raised here (the other tasks are stopped).
        """


class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return str(self.args[0])
