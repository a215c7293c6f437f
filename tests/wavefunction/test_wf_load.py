"""``load_wavefunction``: a run's checkpoint back as a wave function, checked against a config.

The measurement scripts (``scripts/wavefunction_evaluate.py``, ``wavefunction_report.py``) load
checkpoints through it, so a checkpoint measured under the wrong lattice or weights is refused
instead of loaded into whatever shapes happen to fit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import convac
from convac.errors import ConvacTypeError
from convac.wavefunction import (
    ConvACWaveFunction,
    FullSum,
    WavefunctionRun,
    architecture_for,
    load_wavefunction,
    run,
    tfim,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = WavefunctionRun(
    model="tfim", shape=(8,), channels=(2, 3, 2), symmetry="translation", optimizer="sr", steps=4, lr=0.05, threads=1
)  # fmt: skip


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    run(dataclasses.replace(BASE, out=str(folder)))
    return folder / "checkpoint.pt"


def _by_hand(path: Path, symmetry: str) -> ConvACWaveFunction:
    psi = ConvACWaveFunction(architecture_for((8,), (2, 3, 2)), weights="signed", symmetry=symmetry)
    psi.load_state_dict(torch.load(path, weights_only=False)["psi"])
    return psi


@pytest.mark.parametrize("symmetry", ["translation", "translation_spin_flip", "none"])
def test_the_loaded_wave_function_is_the_saved_tree_under_the_configs_group(checkpoint, symmetry):
    loaded = load_wavefunction(checkpoint, dataclasses.replace(BASE, symmetry=symmetry))
    expected = _by_hand(checkpoint, symmetry)
    sigma = torch.tensor([[(k >> site) & 1 for site in range(8)] for k in range(256)])
    assert loaded.symmetry == symmetry and loaded.arch.channels == (2, 3, 2)
    torch.testing.assert_close(loaded.log_psi(sigma), expected.log_psi(sigma), rtol=0, atol=0)
    assert FullSum(loaded, tfim((8,))).estimate().energy == FullSum(expected, tfim((8,))).estimate().energy


def test_the_checkpoints_channels_are_kept_whatever_widths_the_config_names(checkpoint):
    loaded = load_wavefunction(str(checkpoint), dataclasses.replace(BASE, channels=(5, 5, 5)))
    assert loaded.arch.channels == (2, 3, 2)
    assert loaded.n_params == _by_hand(checkpoint, "translation").n_params


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"windows": (2, 4), "channels": (2, 2)}, r"another depth than channels=\(2, 2\)"),
        ({"weights": "positive"}, "another lattice, windows, sharing or weights"),
        ({"shared": True}, "another lattice, windows, sharing or weights"),
        ({"shape": (4, 2), "windows": ((1, 2), (2, 1), (2, 1)), "symmetry": "none"}, "another lattice"),
    ],
)
def test_a_checkpoint_of_another_ansatz_is_refused(checkpoint, change, message):
    with pytest.raises(convac.ConvacError, match=message) as caught:
        load_wavefunction(checkpoint, dataclasses.replace(BASE, **change))
    assert isinstance(caught.value, ValueError) and str(checkpoint) in str(caught.value)


def test_a_path_that_is_no_checkpoint_is_refused(tmp_path):
    with pytest.raises(convac.ConvacError, match="is not a file"):
        load_wavefunction(tmp_path / "missing.pt", BASE)
    (tmp_path / "notes.pt").write_text("not a pickle")
    with pytest.raises(convac.ConvacError, match=r"is not a checkpoint\.pt of a run"):
        load_wavefunction(tmp_path / "notes.pt", BASE)
    with pytest.raises(ConvacTypeError, match=r"path must be a path to a checkpoint\.pt"):
        load_wavefunction(3, BASE)  # type: ignore[arg-type]
    with pytest.raises(ConvacTypeError, match="config must be a WavefunctionRun"):
        load_wavefunction(tmp_path / "missing.pt", {"model": "tfim"})  # type: ignore[arg-type]


def test_the_evaluate_script_measures_a_kept_checkpoint_in_a_fresh_interpreter(checkpoint, tmp_path):
    # the sampled estimate of the loaded state must agree with that state's exact (full-sum) energy
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "scripts")]))
    done = subprocess.run(
        [
            sys.executable, str(ROOT / "scripts" / "wavefunction_evaluate.py"), str(checkpoint), "model=tfim",
            "shape=8", "channels=2,3,2", "symmetry=translation_spin_flip", "samples=4000", "batch=500", "threads=1",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    row = json.loads((tmp_path / "docs/results/wavefunction/evaluations.jsonl").read_text())
    assert row["step"] == 4 and row["symmetry"] == "translation_spin_flip" and row["n_samples"] == 4000
    exact = FullSum(_by_hand(checkpoint, "translation_spin_flip"), tfim((8,))).estimate().energy
    assert row["full_sum_energy"] == pytest.approx(exact, rel=1e-12)
    assert row["error"] > 0 and abs(row["energy"] - exact) < 4 * row["error"]
