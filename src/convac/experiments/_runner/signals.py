"""How a run stops on Ctrl-C or SIGTERM: :class:`Interrupted`, and a guard that defers it while a result is written."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Interrupted", "SignalGuard", "stop_on_signals"]


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
