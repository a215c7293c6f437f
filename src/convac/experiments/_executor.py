"""Moved to :mod:`convac.experiments._runner`; this old path re-exports it."""

from convac.experiments._runner.executors import (
    EXECUTORS,
    Executor,
    Interrupted,
    LocalExecutor,
    RayExecutor,
    SignalGuard,
    make_executor,
    stop_on_signals,
)

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
