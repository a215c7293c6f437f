"""``convac wavefunction``: a short run end to end, and its bad inputs as one line."""

from __future__ import annotations

import json
import subprocess
import sys

from convac.cli import main


def test_short_heisenberg_run_writes_its_summary(tmp_path, capsys):
    out = tmp_path / "heis"
    argv = ["wavefunction", "--model", "heisenberg", "--shape", "4", "--marshall", "--magnetization", "0"]
    argv += ["--channels", "2,2", "--steps", "3", "--seed", "1", "--out", str(out)]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["energy"] >= summary["exact_energy"] - 1e-9
    text = capsys.readouterr().out
    assert "relative error" in text and "min-cut" in text


def _one_line(argv: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "convac.cli", *argv], capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def test_full_sum_too_large_is_one_line():
    assert "20" in _one_line(["wavefunction", "--shape", "6x6", "--channels", "2,2", "--steps", "1"])


def test_unknown_optimizer_is_one_line():
    assert "--optimizer" in _one_line(["wavefunction", "--optimizer", "lbfgs"])


def test_symmetrised_run_prints_the_rank_bound(capsys):
    argv = ["wavefunction", "--model", "tfim", "--shape", "8", "--channels", "2,2,2", "--steps", "2"]
    argv += ["--symmetry", "translation_spin_flip", "--optimizer", "sr", "--diag-shift-decay", "0.9"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "rank bound" in text and "tree min-cut" in text


def test_translation_symmetry_on_open_boundaries_is_one_line():
    line = _one_line(["wavefunction", "--shape", "8", "--channels", "2,2,2", "--open", "--symmetry", "translation"])
    assert "periodic" in line


def test_final_samples_measure_the_trained_ansatz(tmp_path, capsys):
    out = tmp_path / "tfim"
    argv = ["wavefunction", "--model", "tfim", "--shape", "8", "--channels", "2,2,2", "--steps", "2", "--sample"]
    argv += ["--sampler", "exact", "--chains", "8", "--samples-per-chain", "2", "--final-samples", "500"]
    assert main([*argv, "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["final"]["n_samples"] == 500


def test_negative_final_samples_is_one_line():
    assert "--final-samples" in _one_line(["wavefunction", "--sample", "--final-samples", "-3"])


def test_a_run_starts_from_a_narrower_checkpoint(tmp_path, capsys):
    argv = ["wavefunction", "--model", "tfim", "--shape", "8", "--steps", "2", "--threads", "1"]
    assert main([*argv, "--channels", "2,2,2", "--out", str(tmp_path / "narrow")]) == 0
    start = str(tmp_path / "narrow" / "checkpoint.pt")
    assert main([*argv, "--channels", "3,3,2", "--start-from", start, "--out", str(tmp_path / "wide")]) == 0
    summary = json.loads((tmp_path / "wide" / "summary.json").read_text())
    assert summary["channels"] == [3, 3, 2] and summary["config"]["start_from"] == start


def test_a_missing_start_is_one_line(tmp_path):
    assert "start_from" in _one_line(["wavefunction", "--shape", "8", "--channels", "2,2,2", "--start-from", "no.pt"])
