"""The local executor: tasks in this process (one worker) or in a pool of spawned worker processes."""

from __future__ import annotations

import contextlib
import signal
import traceback
from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import Any

from convac._threads import available_cores, child_thread_env, limit_process_threads, thread_cap, threads_per_worker
from convac.errors import InternalError
from convac.experiments._runner.base import Executor, TaskFn, _RemoteTraceback

__all__ = ["LocalExecutor"]


def _die_with_parent(parent: int) -> None:
    # Linux: the kernel kills this worker if its parent dies, even by SIGKILL, so no worker
    # outlives a sweep. Elsewhere the parent's own cleanup is all there is.
    import os

    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _worker_main(conn: Any, parent: int, fn: TaskFn, initializer: Callable[[], None] | None, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    # A worker is convac's own process: its thread pools are sized for its whole life.
    limit_process_threads(threads)
    if initializer is not None:
        initializer()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, task = job

        def progress(payload: Any, index: int = index) -> None:
            conn.send(("progress", index, payload))

        try:
            result = fn(task, progress)
        except BaseException as exc:
            text = "".join(traceback.format_exception(exc))
            try:
                conn.send(("error", index, (exc, text)))
            except Exception:  # an exception that cannot be pickled travels as text
                conn.send(("error", index, (InternalError(f"{type(exc).__name__}: {exc}"), text)))
            continue
        conn.send(("done", index, result))


class _Worker:
    def __init__(self, ctx: Any, fn: TaskFn, initializer: Callable[[], None] | None, threads: int) -> None:
        import os

        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, os.getpid(), fn, initializer, threads), daemon=True
        )
        with child_thread_env(threads):  # pools created while the child imports start at this size
            self.process.start()
        child.close()
        self.index: int | None = None

    def give(self, job: tuple[int, Any] | None) -> None:
        self.index = None if job is None else job[0]
        self.conn.send(job)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def join(self) -> None:
        self.process.join()
        self.conn.close()


class LocalExecutor(Executor):
    """Run cells on this machine: in this process with one worker, else a pool of spawned worker processes.

    Each of ``n`` worker processes runs ``threads`` BLAS/OpenMP/torch threads, by default
    :func:`~convac._threads.threads_per_worker` ``(n)``, so workers x threads never exceed the cores;
    in this process the pools are only lowered to ``threads`` (default: the cores), never raised.

    Examples
    --------
    >>> def square(x, progress):
    ...     progress(x)
    ...     return x * x
    >>> seen = []
    >>> sorted(LocalExecutor(workers=1).run(square, [1, 2, 3], lambda i, p: seen.append(p)))
    [(0, 1), (1, 4), (2, 9)]
    >>> seen
    [1, 2, 3]
    """

    name = "local"

    def run(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None = None
    ) -> Generator[tuple[int, Any], None, None]:
        if self.workers == 1 or len(tasks) <= 1:
            return self._here(fn, tasks, on_progress)
        return self._pool(fn, tasks, on_progress)

    def _here(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None
    ) -> Generator[tuple[int, Any], None, None]:
        for index, task in enumerate(tasks):

            def progress(payload: Any, index: int = index) -> None:
                if on_progress is not None:
                    on_progress(index, payload)

            with thread_cap(self.threads or available_cores()):
                result = fn(task, progress)
            yield index, result

    def _pool(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None
    ) -> Generator[tuple[int, Any], None, None]:
        import multiprocessing
        from multiprocessing.connection import wait

        ctx = multiprocessing.get_context("spawn")
        queue = deque(enumerate(tasks))
        workers: list[_Worker] = []
        finished = False
        n_workers = min(self.workers, len(tasks))
        threads = self.threads or threads_per_worker(n_workers)
        try:
            for _ in range(n_workers):
                worker = _Worker(ctx, fn, self.initializer, threads)
                workers.append(worker)
                worker.give(queue.popleft())
            busy = list(workers)
            while busy:
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
                for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                    result = _receive(worker, on_progress)
                    if result is None:
                        continue
                    worker.give(queue.popleft() if queue else None)  # keep it busy while we yield
                    if worker.index is None:
                        busy.remove(worker)
                    yield result
            finished = True
        finally:
            if not finished:  # interrupted, or a task failed: stop the rest now, do not drain
                for worker in workers:
                    worker.kill()
            for worker in workers:
                worker.join()


def _receive(worker: _Worker, on_progress: Callable[[int, Any], None] | None) -> tuple[int, Any] | None:
    """Handle every message waiting from ``worker``; a finished task's ``(index, result)``, else None."""
    while True:
        try:
            if not worker.conn.poll():
                if not worker.process.is_alive():
                    raise EOFError
                return None
            kind, index, payload = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=1)
            raise InternalError(
                f"a worker process died (exit code {worker.process.exitcode}) while running task {worker.index}; "
                "finished results are saved, run again to resume"
            ) from None
        if kind == "progress":
            if on_progress is not None:
                on_progress(index, payload)
        elif kind == "error":
            exc, text = payload
            raise exc from _RemoteTraceback(f"\n'''\n{text}'''")
        else:
            return index, payload


EXECUTORS: dict[str, type[Executor]] = {LocalExecutor.name: LocalExecutor}
