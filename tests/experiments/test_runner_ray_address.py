"""Ray addresses are checked before Ray starts: nonsense, client URLs and dead ports fail in one line, fast.

Also: an interrupt while Ray starts leaves no Ray process behind. Loopback addresses only.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from convac.errors import InputError
from convac.experiments._runner.executors import make_executor
from convac.experiments._runner.ray import RayExecutor, check_ray_address, probe_ray_address

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("nonsense", "the Ray address must be 'auto' or the cluster head's HOST:PORT such as 10.0.0.1:6379, got"),
        ("127.0.0.1", "must be 'auto' or the cluster head's HOST:PORT"),
        ("127.0.0.1:0", "must be 'auto' or the cluster head's HOST:PORT"),
        ("127.0.0.1:70000", "must be 'auto' or the cluster head's HOST:PORT"),
        ("a b:1", "must be 'auto' or the cluster head's HOST:PORT"),
        ("ray://127.0.0.1:10001", "Ray client addresses (ray://...) need ray[client], which convac does not use"),
        (" ", "the Ray address must be a non-empty string"),
        (6379, "the Ray address must be a non-empty string"),
    ],
)
def test_bad_addresses_are_refused_before_ray_starts(address: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        check_ray_address(address)
    with pytest.raises(InputError, match="Ray"):
        make_executor("ray", address=address)  # type: ignore[arg-type]


def test_good_addresses_pass() -> None:
    assert check_ray_address("auto") == "auto"
    assert check_ray_address(" head-node.local:6379 ") == "head-node.local:6379"
    assert check_ray_address("[::1]:6379") == "[::1]:6379"
    assert RayExecutor(address="127.0.0.1:6379").address == "127.0.0.1:6379"


def test_a_dead_port_fails_within_the_probe_timeout() -> None:
    address = f"127.0.0.1:{_free_port()}"
    start = time.perf_counter()
    with pytest.raises(InputError, match=f"nothing answers at the Ray address {address} .*ray start --head"):
        probe_ray_address(address)
    assert time.perf_counter() - start < 5
    with socket.socket() as server:  # something listening passes the probe
        server.bind(("127.0.0.1", 0))
        server.listen()
        probe_ray_address(f"127.0.0.1:{server.getsockname()[1]}", timeout=1)


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "convac.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("nonsense", "the Ray address must be 'auto' or the cluster head's HOST:PORT"),  # N370
        ("ray://127.0.0.1:10001", "Ray client addresses (ray://...) need ray[client]"),  # N376
        ("DEAD", "nothing answers at the Ray address"),  # N371
    ],
)
def test_cli_verify_ray_address_is_one_line(tmp_path: Path, address: str, message: str) -> None:
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_free_port()}" if address == "DEAD" else address
    start = time.perf_counter()
    done = _cli(
        *["verify", "--suite", "shallow", "--cells", "2", "--partitions", "5", "--workers", "1", "--no-progress"],
        "--out",
        str(tmp_path),
        "--executor",
        "ray",
        "--ray-address",
        address,
    )
    assert time.perf_counter() - start < 30
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and message in done.stderr


def test_cli_experiment_ray_address_nonsense_is_one_line(tmp_path: Path) -> None:  # N377
    done = _cli(
        *[
            "experiment",
            "inductive-bias",
            "--source",
            "digits",
            "--tasks",
            "local",
            "--rs",
            "1",
            "--seeds",
            "0",
            "--n-train",
            "32",
        ],
        *[
            "--n-test",
            "16",
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--schedules",
            "wide_tip",
            "--no-progress",
            "--workers",
            "1",
        ],
        "--out",
        str(tmp_path),
        "--executor",
        "ray",
        "--ray-address",
        "nonsense",
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "convac: error: the Ray address must be 'auto' or the cluster head's HOST:PORT such as 10.0.0.1:6379, "
        "got 'nonsense'"
    )


_START_RAY = """
import time
from convac.experiments._runner.ray import RayExecutor
print("starting", flush=True)
try:
    list(RayExecutor(workers=1).run(lambda task, progress: task, [1]))
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="signals are POSIX")
def test_an_interrupt_while_ray_starts_leaves_no_ray_process() -> None:
    pytest.importorskip("ray")
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", _START_RAY], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "starting"
    parent = psutil.Process(proc.pid)
    children: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # interrupt once Ray's servers are up, before the task ran
        children = parent.children(recursive=True)
        if any("gcs_server" in " ".join(c.cmdline()) for c in children if c.is_running()):
            break
        time.sleep(0.05)
    assert children, "Ray never started a process"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    _gone, alive = psutil.wait_procs(children, timeout=30)
    names = [" ".join(p.cmdline())[:80] for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in alive:
        p.kill()
    assert not names, f"left behind: {names}"
