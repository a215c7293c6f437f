"""The Ray executor: each task a Ray task, on a Ray started for the run or on an existing cluster.

Joining a cluster: the address is checked before Ray is touched. ``auto`` (Ray finds the
cluster started on this machine) or ``HOST:PORT`` of the cluster head's GCS (port 6379 by
default) are allowed; a Ray client URL (``ray://``) is refused, since the Ray client extra
(``ray[client]``) is not a convac dependency. ``HOST:PORT`` is probed with one TCP connect of
:data:`PROBE_SECONDS` first: left to itself, ``ray.init`` retries an address where nothing
listens for ten minutes. An interrupt while Ray starts shuts down what it had started.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any

from convac.errors import InputError, MissingDependencyError
from convac.experiments._runner.base import Executor, TaskFn, _RemoteTraceback

__all__ = ["PROBE_SECONDS", "RayExecutor", "check_ray_address", "probe_ray_address"]

PROBE_SECONDS = 3.0
"""How long the TCP probe of a ``HOST:PORT`` Ray address waits for the connection."""

_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$")
_EXPECTED = "'auto' or the cluster head's HOST:PORT such as 10.0.0.1:6379"


def check_ray_address(address: object) -> str:
    """Return ``address`` stripped if it is ``auto`` or ``HOST:PORT``; else raise :class:`~convac.errors.InputError`.

    Examples
    --------
    >>> check_ray_address(" 10.0.0.1:6379 "), check_ray_address("auto")
    ('10.0.0.1:6379', 'auto')
    >>> check_ray_address("nonsense")
    Traceback (most recent call last):
    ...
    convac.errors.InputError: the Ray address must be 'auto' or the cluster head's HOST:PORT ..., got 'nonsense'
    """
    if not isinstance(address, str) or not address.strip():
        raise InputError(f"the Ray address must be a non-empty string, {_EXPECTED}; got {address!r}")
    text = address.strip()
    if text.startswith("ray://"):
        raise InputError(
            f"Ray client addresses (ray://...) need ray[client], which convac does not use; give {_EXPECTED}, "
            f"got {text!r}"
        )
    if text == "auto":
        return text
    match = _HOST_PORT.match(text)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise InputError(f"the Ray address must be {_EXPECTED}, got {text!r}")
    return text


def probe_ray_address(address: str, timeout: float = PROBE_SECONDS) -> None:
    """Raise :class:`~convac.errors.InputError` unless something accepts a TCP connection at ``HOST:PORT``.

    Examples
    --------
    >>> probe_ray_address("127.0.0.1:1", timeout=0.5)
    Traceback (most recent call last):
    ...
    convac.errors.InputError: nothing answers at the Ray address 127.0.0.1:1 (no Ray cluster head there); ...
    """
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError:
        raise InputError(
            f"nothing answers at the Ray address {address} (no Ray cluster head there); "
            "start one with `ray start --head` or check the address"
        ) from None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "the ray executor needs the optional package ray: pip install 'convac[ray]'"
        ) from None
    return ray


def _ray_call(fn: TaskFn, initializer: Callable[[], None] | None, task: Any, threads: int = 1) -> Any:
    # Runs in a Ray worker process, which may serve many tasks: the initializer is cheap and
    # idempotent, so it runs before every task. A task holds one Ray CPU, so by default one thread.
    from convac._threads import thread_limit

    if initializer is not None:
        initializer()
    with thread_limit(threads):
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
        self,
        workers: int = 1,
        initializer: Callable[[], None] | None = None,
        address: str | None = None,
        threads: int | None = None,
    ) -> None:
        super().__init__(workers, initializer, threads=threads)
        self.address = None if address is None else check_ray_address(address)

    def run(
        self, fn: TaskFn, tasks: Sequence[Any], on_progress: Callable[[int, Any], None] | None = None
    ) -> Generator[tuple[int, Any], None, None]:
        ray = _import_ray()  # a missing Ray fails here, before the caller's loop starts
        return self._run(ray, fn, tasks)

    def _start(self, ray: Any) -> bool:
        """Initialise Ray unless it already is; True if this call started it (so the run shuts it down)."""
        if ray.is_initialized():
            return False
        if self.address is not None and self.address != "auto":
            probe_ray_address(self.address)
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
            ray.shutdown()
            raise InputError(f"cannot join the Ray cluster at {self.address!r}: {str(exc).splitlines()[0]}") from None
        except BaseException:
            ray.shutdown()  # an interrupt mid-start must not leave a raylet or GCS server behind
            raise
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
            threads = self.threads or 1
            remote = ray.remote(num_cpus=threads, max_retries=0)(_ray_call)
            pending = {remote.remote(fn, self.initializer, task, threads): index for index, task in enumerate(tasks)}
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
