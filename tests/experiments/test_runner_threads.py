"""Workers x threads never exceed the cores by default: every executor sizes its workers' thread pools."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from convac._threads import available_cores, child_thread_env, thread_cap, thread_counts, threads_per_worker
from convac.errors import InputError
from convac.experiments._runner.executors import LocalExecutor, make_executor


def _report_threads(late_torch: bool, progress: Callable[[Any], None]) -> dict[str, Any]:
    """What a worker sees: its pools' threads, with torch imported only now (a pool started late) if asked."""
    if late_torch:
        import torch

        torch.zeros(1).sum()  # starts torch's pool
    return {"pid": os.getpid(), "counts": thread_counts(), "env": os.environ.get("OMP_NUM_THREADS")}


def test_pool_workers_times_threads_fit_the_cores() -> None:
    workers = 2
    results = dict(LocalExecutor(workers=workers).run(_report_threads, [True, False, True, False]))
    per_worker = threads_per_worker(workers)
    assert len({r["pid"] for r in results.values()}) == workers
    for r in results.values():
        assert max(r["counts"].values()) == per_worker  # torch and every BLAS/OpenMP pool
        assert r["env"] == str(per_worker)
        assert workers * max(r["counts"].values()) <= max(available_cores(), workers)
    assert results[0]["counts"]["torch"] == per_worker  # torch imported by the task, after the limits


def test_explicit_threads_reach_the_executor() -> None:
    assert make_executor("local", workers=2, threads=1).threads == 1
    assert make_executor("ray", workers=2, threads=2).threads == 2
    assert make_executor("local", workers=2).threads is None  # None: the cores shared out


def test_in_process_runs_are_capped_at_the_cores_and_restored() -> None:
    torch = pytest.importorskip("torch")
    before = thread_counts()
    ((_, seen),) = list(LocalExecutor(workers=1, threads=1).run(_report_threads, [False]))
    assert max(seen["counts"].values()) == 1 and seen["pid"] == os.getpid()
    assert thread_counts() == before
    ((_, seen),) = list(LocalExecutor(workers=1).run(_report_threads, [False]))
    assert max(seen["counts"].values()) <= max(available_cores(), 1)
    assert torch.get_num_threads() == before["torch"]


def test_thread_cap_lowers_and_never_raises() -> None:
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with thread_cap(max(2, available_cores())):
            assert torch.get_num_threads() == 1  # a deliberately low setting stays
        with thread_cap(1):
            assert max(thread_counts().values()) == 1
    finally:
        torch.set_num_threads(previous)


def test_child_thread_env_is_restored() -> None:
    before = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    with child_thread_env(3):
        assert os.environ["OMP_NUM_THREADS"] == os.environ["OPENBLAS_NUM_THREADS"] == "3"
    assert {k: os.environ.get(k) for k in before} == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_threads(bad: object) -> None:
    with pytest.raises(InputError, match=r"threads must be a positive integer or None \(one share of the cores\), got"):
        LocalExecutor(workers=1, threads=bad)  # type: ignore[arg-type]


def test_verify_cells_run_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from convac.experiments.verify import run as verify_run

    monkeypatch.setattr(verify_run, "run_cell", lambda cell: thread_counts())
    counts = verify_run._cell_task(None, lambda payload: None)  # type: ignore[arg-type]
    assert max(counts.values()) == 1


@pytest.mark.parametrize(
    ("block", "expected"),
    [("thread_limit(1)", "1"), ("thread_cap(1)", "1"), ("thread_cap(available_cores() + 3)", "cores")],
)
def test_torch_imported_inside_a_thread_limit_starts_limited_and_is_restored_after(block: str, expected: str) -> None:
    """A cell that imports torch lazily trains on the limit in this process too, as it does in a worker;
    a cap above the cores raises nothing."""
    import subprocess
    import sys
    import textwrap

    pytest.importorskip("torch")
    script = textwrap.dedent(
        f"""
        import os, sys
        from convac._threads import available_cores, thread_cap, thread_limit
        assert "torch" not in sys.modules
        with {block}:
            import torch
            inside = (torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS"))
        print(inside[0], inside[1], torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS"), available_cores())
        """
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    inside, inside_env, after, after_env, cores = out.stdout.split()
    want = cores if expected == "cores" else expected
    assert (inside, inside_env) == (want, want)
    assert after_env == "None" and after == cores  # the pool torch would have had; the environment as it was
