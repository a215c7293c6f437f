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

import contextlib
import signal
import threading
import traceback
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, ClassVar

from convac.errors import ConvacError, MissingDependencyError

__all__ = [
    "EXECUTORS",
    "Executor",
    "Interrupted",
    "LocalExecutor",
    "RayExecutor",
    "SignalGuard",
    "make_executor",
    "stop_on_signals",
]

Progress = Callable[[Any], None]
TaskFn = Callable[[Any, Progress], Any]


# ---------------------------------------------------------------------------- signals
class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM; ``signum`` says which (the exit code is ``128 + signum``).

    Its message says what was saved and how to resume, e.g. ``interrupted: 7 of 24 cells
    finished and saved in runs/x; run the same command again to resume``.
    """

    def __init__(self, signum: int = signal.SIGINT, message: str = "interrupted") -> None:
        super().__init__(message)
        self.signum = int(signum)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "interrupted"

    @classmethod
    def saved(cls, exc: BaseException, finished: int, total: int, where: object) -> Interrupted:
        """Restate the interrupt ``exc`` with how many of ``total`` cells are saved in ``where``."""
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        return cls(
            signum,
            f"interrupted: {finished} of {total} cells finished and saved in {where}; "
            "run the same command again to resume",
        )


class SignalGuard:
    """Turns SIGINT/SIGTERM into :class:`Interrupted`, except inside :meth:`deferred` blocks.

    A signal that arrives inside a deferred block (writing one result line) is raised as soon as
    the block ends, so a result is never half written by an interrupt.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None

    def handler(self, signum: int, frame: object) -> None:
        if self._depth:
            self._pending = signum
            return
        raise Interrupted(signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold back an interrupt until the block is done."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None:
                signum, self._pending = self._pending, None
                raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[SignalGuard]:
    """While the block runs, SIGINT and SIGTERM raise :class:`Interrupted` (previous handlers restored after).

    Off the main thread Python cannot install handlers: the guard is then inert. A signal that
    the process was started with ignored (``nohup``, a background job) stays ignored.
    """
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        old = signal.getsignal(signum)
        if old is not signal.SIG_IGN:
            previous[signum] = old
            signal.signal(signum, guard.handler)
    try:
        yield guard
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


# ---------------------------------------------------------------------------- executors
class Executor(ABC):
    """Runs tasks and yields ``(index, result)`` as they finish; see the module docstring."""

    name: ClassVar[str]

    def __init__(
        self, workers: int = 1, initializer: Callable[[], None] | None = None, address: str | None = None
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConvacError(f"workers must be a positive integer, got {workers!r}")
        if address is not None and self.name != "ray":
            raise ConvacError(
                f"the {self.name} executor joins no cluster; a Ray address (--ray-address) needs --executor ray"
            )
        self.workers = workers
        self.initializer = initializer

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


def _worker_main(conn: Any, parent: int, fn: TaskFn, initializer: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
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
                conn.send(("error", index, (RuntimeError(f"{type(exc).__name__}: {exc}"), text)))
            continue
        conn.send(("done", index, result))


class _Worker:
    def __init__(self, ctx: Any, fn: TaskFn, initializer: Callable[[], None] | None) -> None:
        import os

        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid(), fn, initializer), daemon=True)
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

            yield index, fn(task, progress)

    def _pool(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None
    ) -> Generator[tuple[int, Any], None, None]:
        import multiprocessing
        from multiprocessing.connection import wait

        ctx = multiprocessing.get_context("spawn")
        queue = deque(enumerate(tasks))
        workers: list[_Worker] = []
        finished = False
        try:
            for _ in range(min(self.workers, len(tasks))):
                worker = _Worker(ctx, fn, self.initializer)
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
            raise RuntimeError(
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


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "the ray executor needs the optional package ray: pip install 'convac[ray]'"
        ) from None
    return ray


def _ray_call(fn: TaskFn, initializer: Callable[[], None] | None, task: Any) -> Any:
    # Runs in a Ray worker process, which may serve many tasks: the initializer (thread limits)
    # is cheap and idempotent, so it runs before every task.
    if initializer is not None:
        initializer()
    return fn(task, lambda payload: None)


class RayExecutor(Executor):
    """Run each task as a Ray task: on a Ray instance started for the run, or on the cluster at ``address``.

    Started here, Ray gets ``workers`` CPUs (so at most that many tasks run at once) and no
    dashboard, and is shut down when the run ends; with ``address`` (e.g. ``"auto"`` or
    ``"10.0.0.1:6379"``) the tasks go to that cluster, one CPU each, and the cluster stays up.
    A Ray already initialised in this process (``ray.init`` by the caller) is used as it is.
    Each task is a pure function of its arguments, so results equal the local executor's.
    Progress payloads are not sent back (a task reports only its result). The worker
    processes must import the same convac as the driver (on a cluster: install it there).

    Examples
    --------
    >>> RayExecutor(workers=2, address="auto").address  # nothing starts before run()
    'auto'
    """

    name = "ray"

    def __init__(
        self, workers: int = 1, initializer: Callable[[], None] | None = None, address: str | None = None
    ) -> None:
        super().__init__(workers, initializer)
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConvacError(
                f"the Ray address must be a non-empty string such as 'auto' or 'HOST:6379', got {address!r}"
            )
        self.address = address

    def run(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None = None
    ) -> Generator[tuple[int, Any], None, None]:
        ray = _import_ray()  # a missing Ray fails here, before the caller's loop starts
        return self._run(ray, fn, tasks)

    def _start(self, ray: Any) -> bool:
        """Initialise Ray unless it already is; True if this call started it (so the run shuts it down)."""
        if ray.is_initialized():
            return False
        # ray.init installs a SIGTERM handler that exits the process; the caller's handler (which
        # saves what finished and says how to resume) must stay in charge.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.getsignal(signal.SIGTERM) if main else None
        try:
            if self.address is None:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=self.address, log_to_driver=False)
        except ConnectionError as exc:
            raise ConvacError(f"cannot join the Ray cluster at {self.address!r}: {exc}") from None
        finally:
            if main and previous is not None:
                signal.signal(signal.SIGTERM, previous)
        return True

    def _run(self, ray: Any, fn: TaskFn, tasks: Sequence[Any]) -> Generator[tuple[int, Any], None, None]:
        if not tasks:
            return
        started = self._start(ray)
        pending: dict[Any, int] = {}
        try:
            # max_retries=0: a task that died is an error to report, not to run twice.
            remote = ray.remote(num_cpus=1, max_retries=0)(_ray_call)
            pending = {remote.remote(fn, self.initializer, task): index for index, task in enumerate(tasks)}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                        raise cause from _RemoteTraceback(f"\n'''\n{exc}'''")
                    yield index, result
        finally:
            for ref in pending:  # interrupted, or a task failed: kill the rest now, do not drain
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            if started:
                ray.shutdown()


EXECUTORS: dict[str, type[Executor]] = {LocalExecutor.name: LocalExecutor, RayExecutor.name: RayExecutor}


def make_executor(
    name: str = "local",
    workers: int = 1,
    initializer: Callable[[], None] | None = None,
    address: str | None = None,
) -> Executor:
    """Return the executor registered under ``name`` in :data:`EXECUTORS`, with ``workers`` workers.

    ``address`` is the Ray cluster to join (``ray`` only; ``None`` starts a local one).

    Examples
    --------
    >>> make_executor("local", workers=2).workers
    2
    >>> make_executor("ray", workers=2).name  # Ray is imported only when it runs
    'ray'
    """
    if name not in EXECUTORS:
        raise ConvacError(f"unknown executor {name!r}; allowed: {', '.join(EXECUTORS)}")
    return EXECUTORS[name](workers=workers, initializer=initializer, address=address)
