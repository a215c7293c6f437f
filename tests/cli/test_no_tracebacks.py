"""Every bad input of the catalogue of bad inputs, typed at the real program, ends in one line.

The catalogue lists what new users typed that once crashed, hung or misled; its ids are kept here.

Each row runs ``python -m convac.cli`` in a fresh process, as a user would, and checks exit code 2,
exactly one line on stderr, no "Traceback", and a fragment of the message. ``$F`` in a row stands
for a folder holding the catalogue's input files (built by ``_write_inputs``). To add a case, add a
row: (catalogue id, the command line after ``convac``, a fragment of the expected message).
"""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

_SWEEP = (
    "experiment inductive-bias --source digits --tasks local --rs 1 --seeds 0 --n-train 32 --n-test 16 "
    "--epochs 2 --batch-size 16 --no-progress --workers 1 --out ib"
)
_VERIFY = "verify --suite shallow --cells 2 --partitions 5 --workers 1 --no-progress --out v"

ROWS: list[tuple[str, str, str]] = [
    # channel design (convac design)
    ("N086", "design --for-experiment --multipliers nan,1", "--multipliers must be comma-separated positive numbers"),
    ("N087", "design --for-experiment --name 'a b=c' --token", "use a letter, then letters, digits, '_' or '-'"),
    ("N099", "design --from-data $F/zeros.npy --budget 100", "the data carry no correlations"),
    ("N101", "design --from-data digits --profile global --budget 200", "--profile: not allowed with"),
    (
        "N104",
        "design --from-data digits --for-experiment --samples 100",
        "experiment's 64x64 grid, but the data of digits are 8x8",
    ),
    # architecture files and --module (convac analyze)
    ("C16", "analyze --arch $F/random.bin", "is not UTF-8 text"),
    ("C21", "analyze --arch $F/fifo.yaml", "is not a regular file"),
    ("N047", "analyze --input-shape 1,28,28 --module $F/exits_on_import.py:x", "called sys.exit(0)"),
    # data files and sources (convac data-entanglement, design --from-data)
    ("N105", "design --from-data task:local --samples 10000000 --for-experiment", "would need 496 GiB"),
    ("N138", "data-entanglement --no-progress $F/empty.npy", "empty.npy is empty (0 bytes)"),
    ("N139", "data-entanglement --no-progress $F/huge_header.npy", "would need 7.28 TiB, over the limit"),
    ("N156", "data-entanglement --no-progress $F/corrupt.npz", "is not a valid .npz file"),
    ("N157", "data-entanglement --no-progress $F/truncated.npz", "is not a valid .npz file"),
    ("N158", "data-entanglement --no-progress $F/bomb.npz", "would need 15.3 GiB, over the limit"),
    ("N160", "data-entanglement --no-progress $F/empty.csv", "empty.csv is empty (0 bytes)"),
    ("N164", "data-entanglement --no-progress $F/inf.csv --rescale", "features must be finite numbers"),
    ("N184", "data-entanglement --no-progress digits --samples 50 --theta 1e308", "theta must be a number in"),
    ("N197", "data-entanglement --no-progress task:local --samples 10000000", "would need 496 GiB"),
    ("N199", "data-entanglement --no-progress digits --samples 1000000000 --max-blocks 1", "has 1,797 samples"),
    # training and sweeps
    ("N333", "train --lr 1e300 --epochs 1 --no-progress --json", "lr must be a positive number at most 10"),
    ("N334", "train --seed 18446744073709551616 --epochs 1 --no-progress", "seed must be an integer in [0, 2**32 - 1]"),
    (
        "N351",
        "verify --suite shallow --prime 2 --cells 3 --partitions 10 --workers 1 --no-progress --out v",
        "at least",
    ),
    ("N352", "verify --suite paper --prime 3 --cells 2 --partitions 20 --workers 1 --no-progress --out v", "65521"),
    ("N223", _SWEEP + " --schedules big=1000000,1,1,1,1,1", "would need 733 GiB, over the limit"),
    ("N230", _SWEEP + " --schedules wide_tip --lr 1e300", "lr must be a positive number at most 10"),
    # Ray addresses: refused at once, before Ray starts (loopback only)
    ("N370", _VERIFY + " --executor ray --ray-address nonsense", "the Ray address must be 'auto' or"),
    ("N371", _VERIFY + " --executor ray --ray-address 127.0.0.1:1", "nothing answers at the Ray address"),
    ("N376", _VERIFY + " --executor ray --ray-address ray://127.0.0.1:10001", "Ray client addresses"),
    ("N377", _SWEEP + " --schedules wide_tip --executor ray --ray-address nonsense", "the Ray address must be"),
]


def _write_inputs(folder: Path) -> None:
    np.save(folder / "zeros.npy", np.zeros((20, 16)))
    (folder / "random.bin").write_bytes(bytes([0xC0, 0xFF, 0x00, 0x13]) * 64)
    os.mkfifo(folder / "fifo.yaml")  # nobody ever writes to it: opening it for reading would hang
    (folder / "exits_on_import.py").write_text("import sys\nsys.exit(0)\n")
    (folder / "empty.npy").write_bytes(b"")
    (folder / "empty.csv").write_text("")
    (folder / "inf.csv").write_text("0.1,0.2,inf,0.3\n0.2,0.1,0.5,0.9\n")
    header = io.BytesIO()  # a header that claims 10^12 float64 entries, and almost no data behind it
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 1000)})
    (folder / "huge_header.npy").write_bytes(header.getvalue() + bytes(64))
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04garbage" * 10)
    np.savez(folder / "full.npz", x=np.random.default_rng(0).random((50, 16)))
    whole = (folder / "full.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(whole[: len(whole) // 2])
    bomb = io.BytesIO()  # a zip member of 1 MiB on disk whose header claims 16 GB of float64
    np.lib.format.write_array_header_1_0(bomb, {"descr": "<f8", "fortran_order": False, "shape": (2_048_000_000,)})
    with zipfile.ZipFile(folder / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", bomb.getvalue() + bytes(1 << 20))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    _write_inputs(folder)
    return folder


@pytest.mark.parametrize(("case", "command", "fragment"), ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_one_line_exit_2(case: str, command: str, fragment: str, inputs: Path, tmp_path: Path) -> None:
    argv = shlex.split(command.replace("$F", str(inputs)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "convac.cli", *argv], capture_output=True, text=True, cwd=tmp_path, env=env, check=False
    )
    err = proc.stderr
    assert proc.returncode == 2, f"{case}: exit {proc.returncode}\n{err}"
    assert "Traceback" not in err, f"{case}: {err}"
    assert len(err.splitlines()) == 1, f"{case}: stderr is not one line: {err!r}"
    assert err.startswith("convac"), f"{case}: {err}"
    assert fragment in err, f"{case}: {err}"
