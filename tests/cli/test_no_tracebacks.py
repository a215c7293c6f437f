"""Every bad input of the catalogue (/work/shared/bad-inputs.tsv) typed at the real program ends in one line.

Each row runs ``python -m convac.cli`` in a fresh process, as a user would, and checks exit code 2,
exactly one line on stderr, no "Traceback", and a fragment of the message. ``$F`` in a row stands
for a folder holding the catalogue's input files (built by ``_write_inputs``). To add a case, add a
row: (catalogue id, the command line after ``convac``, a fragment of the expected message).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
]


def _write_inputs(folder: Path) -> None:
    np.save(folder / "zeros.npy", np.zeros((20, 16)))


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
