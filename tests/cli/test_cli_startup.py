"""The min-cut side of convac starts without torch (and without matplotlib unless a figure is asked for)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE_NET = f"{Path(__file__).resolve().parents[1] / 'fx' / 'cnn_shapes.py'}:example_net"

_PROBE = """
import runpy, sys
sys.argv = ["convac", *{argv!r}]
try:
    runpy.run_module("convac.cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("PROBE", code, "torch" in sys.modules, "matplotlib" in sys.modules, "ray" in sys.modules)
"""


def _imports(argv: list[str], cwd) -> tuple[int, bool, bool, bool]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True, check=False, cwd=cwd
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("PROBE")]
    assert line, proc.stderr
    _, code, torch, mpl, ray = line[-1].split()
    return int(code), torch == "True", mpl == "True", ray == "True"


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["analyze", "--help"],
        ["analyze", "--inputs", "8", "--channels", "2,2,2"],
        ["analyze", "--compare-schedules", "wide_base,wide_tip", "--r", "2"],
        ["design", "--profile", "local"],
        ["design", "--for-experiment", "--profile", "global", "--token"],
        ["verify", "--suite", "shallow", "--cells", "2", "--partitions", "3", "--workers", "1", "--no-progress"],
    ],
)
def test_min_cut_commands_never_import_torch(argv, tmp_path):
    if argv[0] == "verify":
        argv = [*argv, "--out", str(tmp_path / "v")]
    code, torch, mpl, ray = _imports(argv, tmp_path)
    assert code == 0
    assert not torch, f"convac {' '.join(argv)} imported torch"
    assert not ray, f"convac {' '.join(argv)} imported ray (only --executor ray may)"
    assert not mpl, f"convac {' '.join(argv)} imported matplotlib without a figure"


def test_torch_only_for_a_module(tmp_path):
    argv = ["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,8,8", "--rank", "no"]
    code, torch, mpl, ray = _imports(argv, tmp_path)
    assert code == 0 and torch and not mpl and not ray


def test_matplotlib_only_for_a_figure(tmp_path):
    argv = ["analyze", "--inputs", "8", "--channels", "2,2,2", "--figure", str(tmp_path / "s.png")]
    code, torch, mpl, _ = _imports(argv, tmp_path)
    assert code == 0 and mpl and not torch


def test_import_convac_and_its_min_cut_side_is_torch_free():
    code = (
        "import sys, convac, convac.spec, convac.experiments, convac.mincut, convac.ranks; "
        "convac.min_cut; convac.generic_rank; convac.design; convac.verify; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("argv", "loaded"),
    [
        (["--help"], set()),
        (["--version"], set()),
        (["analyze", "--help"], {"convac.cli.analyze"}),
        (["experiment", "--help"], {"convac.cli.experiment"}),
        (["experiment", "report", "--help"], {"convac.cli.experiment", "convac.cli.experiment.report"}),
    ],
)
def test_only_the_named_command_module_is_imported(argv, loaded, tmp_path):
    code = (
        "import contextlib, io, sys\nfrom convac.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main({argv!r})\n"
        "    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('convac.cli.') and not m.startswith('convac.cli._')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert set(ast.literal_eval(out.stdout.strip().splitlines()[-1])) == loaded
