"""The ray executor on a real local Ray (one ``ray.init(num_cpus=2)`` for the module).

Sweeps give the same results as the local executor, either executor resumes the other's
results files, a failing cell's error comes back as itself, and a Ctrl-C stops the Ray
workers at once with every finished cell saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import psutil
import pytest

from convac.cli import main
from convac.errors import ConvacError, MissingDependencyError
from convac.experiments._runner.executors import RayExecutor, make_executor
from convac.experiments.inductive_bias import Cell, Protocol, Sweep, _cell_task, run_sweep
from convac.experiments.verify import verify

ray = pytest.importorskip("ray")  # in the test extra; CI installs it

SRC = str(Path(__file__).resolve().parents[2] / "src")
TIMING = {"seconds", "seconds_cut", "seconds_rank", "cpu_seconds", "device"}
# The 8x8 digits load fastest; the failing-cell test loads the real digits in a Ray worker.
SWEEP = Sweep(
    Protocol(n_train=16, n_test=8, epochs=2, batch_size=8, source="digits"),
    tasks=("local",),
    rs=(1,),
    seeds=(0, 1),
)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # The workers import convac from this checkout, as the driver does.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = SRC + ("" if old is None else os.pathsep + old)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


def _untimed(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k not in TIMING and k != "history"}
    if "history" in record:
        out["losses"] = [h["loss"] for h in record["history"]]
    return out


def _rows(report) -> list[dict]:
    return [{k: v for k, v in asdict(row).items() if k not in ("cpu_seconds", "ms_per_case")} for row in report.rows]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _cells(path: Path) -> list[str]:
    """The cell records of a results file (its header line left out)."""
    return [line for line in path.read_text().splitlines() if '"kind": "header"' not in line]


def test_verify_on_ray_equals_local_and_resumes_across_executors(tmp_path: Path) -> None:
    kwargs = {"cells": 3, "partitions": 3, "workers": 2, "progress": False}
    local = verify(["powers", "shallow"], out=tmp_path / "local", **kwargs)
    on_ray = verify(["powers", "shallow"], out=tmp_path / "ray", executor="ray", **kwargs)
    assert _rows(local) == _rows(on_ray) and local.ok
    for name in ("powers.jsonl", "shallow.jsonl"):
        a, b = _jsonl(tmp_path / "local" / name), _jsonl(tmp_path / "ray" / name)
        assert a[0] == b[0]  # the header: same configuration
        assert sorted(map(_untimed, a[1:]), key=lambda r: r["index"]) == sorted(
            map(_untimed, b[1:]), key=lambda r: r["index"]
        )
    # An interrupted local run (its last two cells lost) is finished by Ray, and the other way round.
    for first, then in (("local", "ray"), ("ray", "local")):
        path = tmp_path / first / "shallow.jsonl"
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-2]) + "\n")
        again = verify(["shallow"], out=tmp_path / first, executor=then, **kwargs)
        assert _rows(again) == _rows(local)[1:]
        assert sorted(map(_untimed, _jsonl(path)[1:]), key=lambda r: r["index"]) == sorted(
            map(_untimed, _jsonl(tmp_path / "local" / "shallow.jsonl")[1:]), key=lambda r: r["index"]
        )


def test_inductive_bias_on_ray_equals_local_and_resumes_across_executors(tmp_path: Path) -> None:
    local = run_sweep(SWEEP, tmp_path / "local", progress=False, report=False)
    on_ray = run_sweep(SWEEP, tmp_path / "ray", progress=False, report=False, workers=2, executor="ray")
    assert [_untimed(r) for r in on_ray.records] == [_untimed(r) for r in local.records]
    # Half the cells written by one executor, the rest by the other.
    half = Sweep(SWEEP.protocol, tasks=SWEEP.tasks, rs=SWEEP.rs, seeds=(0,))
    for first, then in (("local", "ray"), ("ray", "local")):
        out = tmp_path / f"{first}-then-{then}"
        assert run_sweep(half, out, progress=False, report=False, executor=first, workers=2).ran == 2
        rest = run_sweep(SWEEP, out, progress=False, report=False, executor=then)
        assert (rest.ran, rest.skipped) == (2, 2)
        assert [_untimed(r) for r in rest.records] == [_untimed(r) for r in local.records]


def test_a_failing_cell_comes_back_as_its_own_error() -> None:
    real = Protocol(n_train=16, n_test=8, epochs=1, batch_size=8)
    bad = (real, Cell("local", "mlp", "wide_base", 1, 0), None, "cpu")
    good = (real, Cell("local", "relu", "wide_base", 1, 0), None, "cpu")
    with pytest.raises(ConvacError, match="mlp"):
        list(make_executor("ray", workers=2).run(_cell_task, [good, bad]))
    assert ray.is_initialized()  # the caller's Ray is left running
    assert list(RayExecutor(workers=2).run(_cell_task, [])) == []


def test_bad_addresses_and_a_missing_ray(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    with pytest.raises(ConvacError, match="Ray address must be a non-empty string"):
        RayExecutor(address=" ")
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'convac\[ray\]'"):
        RayExecutor().run(_cell_task, [1])
    code = main(["verify", "--suite", "powers", "--cells", "1", "--out", str(tmp_path), "--executor", "ray"])
    assert code == 2 and "pip install 'convac[ray]'" in capsys.readouterr().err
    code = main(["verify", "--suite", "powers", "--out", str(tmp_path), "--ray-address", "auto"])
    assert code == 2 and "--ray-address) needs --executor ray" in capsys.readouterr().err


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_ray_sweep(
    code: str, args: list[str], env: dict[str, str], results: Path
) -> tuple[subprocess.Popen[str], str, set[int], float]:
    """Start the sweep on Ray, SIGINT its process group once the first cell is saved; wait (and when SIGINT went)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--executor", "ray", "--workers", "2"],
        env=env,
        start_new_session=True,
        # pytest-xdist workers ignore SIGINT and children inherit that; convac (rightly) keeps an
        # ignored SIGINT ignored, as under nohup. Start the command as a shell would.
        preexec_fn=_default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    pids: set[int] = set()
    while not (results.exists() and _cells(results)):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"no result before the command ended or timed out: {proc.communicate()[1][-2000:]}")
        with contextlib.suppress(psutil.Error):
            pids |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal, the moment the first cell is saved
    start = time.monotonic()
    try:
        stderr = proc.communicate(timeout=60)[1]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc, stderr, pids, start


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_ctrl_c_stops_ray_workers_and_keeps_finished_cells(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    args = ["experiment", "inductive-bias", "--out", str(out), "--tasks", "local", "--rs", "1", "--seeds", "0,1,2"]
    # Cells of a few seconds each: the Ctrl-C lands while some are still running or waiting.
    args += ["--n-train", "64", "--n-test", "8", "--epochs", "8", "--batch-size", "8", "--no-progress"]
    args += ["--source", "digits"]
    code = "import sys; sys.argv[0] = 'convac'; from convac.cli import main; sys.exit(main())"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("RAY_ADDRESS", None)
    for attempt in range(2):
        proc, stderr, pids, start = _interrupt_ray_sweep(code, args, env, out / "results.jsonl")
        # Ray's core worker itself sometimes aborts (a C++ check, "you have likely discovered a bug in Ray")
        # when SIGINT reaches the whole process group; that is Ray's, not convac's: start again, once
        if proc.returncode == 130 or "likely discovered a bug in Ray" not in stderr or attempt == 1:
            break
        shutil.rmtree(out)
    results = out / "results.jsonl"
    assert proc.returncode == 130, f"{len(_cells(results))} of 6 cells finished; {stderr}"
    while time.monotonic() - start < 20 and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not left, [psutil.Process(p).cmdline()[:3] for p in left]  # Ray's workers and daemons are gone
    finished = _cells(results)
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"convac: interrupted: {len(finished)} of 6 cells finished and saved"), stderr
    assert 1 <= len(finished) < 6 and all(json.loads(line)["key"] for line in finished)
    # The same command with the local executor finishes the sweep; nothing finished is recomputed.
    assert main([*args, "--workers", "1"]) == 0
    assert f"{6 - len(finished)} cells run, {len(finished)} already done" in capsys.readouterr().out
    assert _cells(results)[: len(finished)] == finished
