"""Executors and interrupts: results and progress come back, failures and Ctrl-C/SIGTERM stop every worker.

The last two tests send a real signal to the real ``convac`` command while its workers are busy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from convac.cli import main
from convac.errors import ConvacError
from convac.experiments._runner.executors import (
    EXECUTORS,
    Interrupted,
    LocalExecutor,
    RayExecutor,
    make_executor,
    stop_on_signals,
)

SRC = str(Path(__file__).resolve().parents[2] / "src")
STOP_SECONDS = 2.0
posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups and SIGTERM delivery are POSIX")
needs_main_thread = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signal handlers need the main thread"
)


def _square(x: int, progress: Callable[[Any], None]) -> int:
    progress(("pid", os.getpid()))
    return x * x


def _sleep_or_fail(x: int, progress: Callable[[Any], None]) -> None:
    progress(os.getpid())
    if x == 1:
        time.sleep(0.5)
        raise ConvacError("cell 1 is bad")
    time.sleep(60)


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
    return out


def _wait_gone(pids: set[int], since: float) -> set[int]:
    while _alive(pids) and time.monotonic() - since < STOP_SECONDS:
        time.sleep(0.02)
    return _alive(pids)


def test_a_failing_task_raises_here_and_stops_the_running_ones() -> None:
    # (Results coming back from the pool: test_process_pool_gives_the_same_* in the sweeps' tests.)
    pids: dict[int, int] = {}
    with pytest.raises(ConvacError, match="cell 1 is bad") as info:
        list(LocalExecutor(workers=2).run(_sleep_or_fail, [0, 1, 2], lambda i, pid: pids.setdefault(i, pid)))
    start = time.monotonic()
    assert "_sleep_or_fail" in str(info.value.__cause__)  # the worker's traceback travels along
    assert set(pids) == {0, 1} and len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    assert not _wait_gone(set(pids.values()), start)  # the 60 s task was killed, task 2 never ran


def test_one_worker_runs_in_this_process_and_the_registry() -> None:
    seen: list[Any] = []
    assert list(make_executor("local", 1).run(_square, [3], lambda i, p: seen.append(p))) == [(0, 9)]
    assert seen == [("pid", os.getpid())]
    assert {"local": LocalExecutor, "ray": RayExecutor} == EXECUTORS
    with pytest.raises(ConvacError, match="unknown executor 'dask'; allowed: local, ray"):
        make_executor("dask")
    with pytest.raises(ConvacError, match=r"a Ray address \(--ray-address\) needs --executor ray"):
        make_executor("local", address="auto")
    for bad in (0, 1.5, True):
        with pytest.raises(ConvacError, match="workers must be a positive integer"):
            make_executor("local", bad)  # type: ignore[arg-type]


@posix_only
@needs_main_thread
def test_signals_become_interrupted_but_wait_for_a_write() -> None:
    before = signal.getsignal(signal.SIGTERM)
    written = []
    with stop_on_signals() as guard:
        with pytest.raises(Interrupted) as info, guard.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler has run by now, and held the interrupt back
            written.append("whole line")
        assert written == ["whole line"] and info.value.signum == signal.SIGTERM
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    assert signal.getsignal(signal.SIGTERM) is before
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with stop_on_signals():  # a run started with Ctrl-C ignored (a background job) keeps it ignored
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)
    saved = Interrupted.saved(Interrupted(signal.SIGTERM), 7, 24, "runs/x")
    assert isinstance(saved, KeyboardInterrupt) and saved.signum == signal.SIGTERM
    assert str(saved) == "interrupted: 7 of 24 cells finished and saved in runs/x; run the same command again to resume"


def test_cli_exit_codes_on_interrupt(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from convac.experiments import inductive_bias

    for exc, code in [
        (Interrupted.saved(Interrupted(signal.SIGTERM), 1, 4, "o"), 143),
        (Interrupted.saved(KeyboardInterrupt(), 1, 4, "o"), 130),
        (KeyboardInterrupt(), 130),
    ]:

        def stop(*args: object, exc: BaseException = exc, **kwargs: object) -> None:
            raise exc

        monkeypatch.setattr(inductive_bias, "run_sweep", stop)
        assert main(["experiment", "inductive-bias", "--out", "o"]) == code
        err = capsys.readouterr().err
        assert err == f"convac: {str(exc) or 'interrupted'}\n"


# ---------------------------------------------------------------------------- a real signal, the real command
def _start(args: list[str]) -> subprocess.Popen[str]:
    # Ctrl-C is re-enabled first: a test run in the background may have started with SIGINT ignored.
    code = "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    code += "sys.argv[0] = 'convac'; from convac.cli import main; sys.exit(main())"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C would reach it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_when_saved(
    proc: subprocess.Popen[str], saved: Callable[[], int], signum: int, group: bool
) -> tuple[float, set[int]]:
    """Send ``signum`` to the command (or its group) once a result is on disk; seconds to exit, processes left."""
    pids: set[int] = set()
    deadline = time.monotonic() + 300
    while saved() < 1:
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"no result before the command ended or timed out: {proc.communicate()[1][-2000:]}")
        with contextlib.suppress(psutil.Error):
            pids |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.05)
    pids |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
    assert len(pids) >= 2, "the workers should be running"
    start = time.monotonic()
    if group:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    try:
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return time.monotonic() - start, _wait_gone(pids, start)


def _lines(path: Path) -> list[str]:
    """The cell records of a results file (its header line left out)."""
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if '"kind": "header"' not in line]


def _interrupted_line(stderr: str, total: int) -> int:
    last = stderr.strip().splitlines()[-1]
    prefix = "convac: interrupted: "
    assert last.startswith(prefix) and last.endswith(
        f" of {total} cells finished and saved in {last.split(' saved in ')[1].split(';')[0]}; "
        "run the same command again to resume"
    ), stderr
    return int(last[len(prefix) :].split(" of ")[0])


@posix_only
def test_ctrl_c_stops_the_sweep_at_once_and_a_rerun_finishes_it(tmp_path: Path, capsys) -> None:
    import torch

    from convac.experiments.inductive_bias import Protocol, Sweep, run_sweep

    out = tmp_path / "run"
    args = ["experiment", "inductive-bias", "--out", str(out), "--tasks", "local", "--rs", "1", "--seeds", "0,1"]
    args += ["--n-train", "32", "--n-test", "8", "--epochs", "4", "--batch-size", "8", "--no-progress"]
    sweep = Sweep(Protocol(n_train=32, n_test=8, epochs=4, batch_size=8), tasks=("local",), rs=(1,), seeds=(0, 1))
    proc = _start([*args, "--workers", "2"])

    def saved() -> int:  # a finished cell, and another one part-way (its checkpoint)
        return min(len(_lines(out / "results.jsonl")), len(list((out / "checkpoints").glob("*.pt"))))

    seconds, left = _interrupt_when_saved(proc, saved, signal.SIGINT, group=True)  # as Ctrl-C in a terminal
    stderr = proc.communicate()[1]
    assert proc.returncode == 130, stderr
    assert seconds < STOP_SECONDS and not left, (seconds, left)
    finished = _lines(out / "results.jsonl")
    assert _interrupted_line(stderr, 4) == len(finished) < 4
    assert all(json.loads(line)["key"] for line in finished)  # every line whole
    done = {json.loads(line)["key"] for line in finished}
    cut_short = {
        c.key: torch.load(out / "checkpoints" / f"{c.filename}.pt", weights_only=True)["epoch"]
        for c in sweep.cells()
        if (out / "checkpoints" / f"{c.filename}.pt").exists()
    }
    assert not done & set(cut_short)  # a saved cell's checkpoint goes with the same interrupt-free step

    assert main([*args, "--workers", "1"]) == 0  # the same command again
    assert f"{4 - len(finished)} cells run, {len(finished)} already done" in capsys.readouterr().out
    after = _lines(out / "results.jsonl")
    assert after[: len(finished)] == finished and len(after) == 4  # nothing recomputed or lost
    got = {r["key"]: r for r in map(json.loads, after)}
    assert {k: got[k]["resumed_from_epoch"] for k in cut_short} == cut_short  # resumed where it stopped
    reference = run_sweep(sweep, tmp_path / "ref", progress=False, report=False).records
    measured = ("key", "train_accuracy", "test_accuracy", "final_loss", "n_params")
    for ref in reference:
        mine = got[ref["key"]]
        assert {k: mine[k] for k in measured} == {k: ref[k] for k in measured}
        assert [h["loss"] for h in mine["history"]] == [h["loss"] for h in ref["history"]]


@posix_only
def test_sigterm_stops_verify_at_once_and_a_rerun_finishes_it(tmp_path: Path) -> None:
    from convac.experiments.verify import run_cell, suite_cells

    out = tmp_path / "v"
    args = ["verify", "--suite", "paper", "--cells", "4", "--partitions", "8", "--out", str(out), "--no-progress"]
    proc = _start([*args, "--workers", "2"])
    # To the command alone, as `kill PID` or a job scheduler sends it: the workers hear nothing.
    saved = lambda: len(_lines(out / "paper.jsonl"))  # noqa: E731
    seconds, left = _interrupt_when_saved(proc, saved, signal.SIGTERM, group=False)
    stderr = proc.communicate()[1]
    assert proc.returncode == 143, stderr
    assert seconds < STOP_SECONDS and not left, (seconds, left)
    finished = _lines(out / "paper.jsonl")
    assert _interrupted_line(stderr, 4) == len(finished) < 4

    assert main([*args, "--workers", "1"]) == 0
    after = _lines(out / "paper.jsonl")
    assert after[: len(finished)] == finished and len(after) == 4
    timing = {"seconds", "seconds_cut", "seconds_rank", "cpu_seconds"}
    got = {r["index"]: {k: v for k, v in r.items() if k not in timing} for r in map(json.loads, after)}
    for cell in suite_cells("paper", cells=4, partitions=8):
        expected = {k: v for k, v in run_cell(cell).items() if k not in timing}
        assert got[cell.index] == json.loads(json.dumps(expected))
