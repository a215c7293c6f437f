"""The convac program: thin wrapper, one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from convac.cli import main
from convac.errors import MissingDependencyError


def test_demo_writes_the_tour(capsys, tmp_path):
    assert main(["demo", "--out", str(tmp_path / "report"), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "deep 1D ConvAC: 16 inputs" in out and "total" in out
    assert "max relative difference" in out
    page = (tmp_path / "report" / "report.md").read_text()
    for heading in ("architecture", "tensor network", "Entanglement and min-cut", "Designing", "training run"):
        assert heading in page
    for png in ("network.png", "entanglement.png", "scales.png"):
        assert (tmp_path / "report" / png).stat().st_size > 1000
        assert f"]({png})" in page


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "convac.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.strip()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "choose a command"),
        (["frobnicate"], "invalid choice"),
        (["demo", "--seed", "x"], "--seed must be a non-negative integer, got 'x'"),
        (["demo", "--epochs", "0"], "--epochs must be a positive integer, got '0'"),
        (["train", "--channels", "1,2"], "one entry per hidden layer"),
        (["train", "--channels", "a,b"], "comma-separated integers"),
        (["train", "--epochs", "0"], "epochs must be a positive integer"),
        (["train", "--weights", "complex"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
    assert "Traceback" not in err


def test_train_one_epoch_json(capsys):
    assert main(["train", "--epochs", "1", "--channels", "4,4,4", "--features", "4", "--json", "--no-progress"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["config"]["channels"] == [4, 4, 4] and len(data["history"]) == 1


def test_missing_optional_dependency_is_one_line(monkeypatch, capsys):
    import convac.experiments.tour

    def missing(**_: object) -> None:
        raise MissingDependencyError("to_quimb needs quimb, an optional dependency: pip install 'convac[tn]'")

    monkeypatch.setattr(convac.experiments.tour, "run_tour", missing)
    assert main(["demo", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "optional dependency" in err
