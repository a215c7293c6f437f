"""``--windows`` on ``convac analyze`` and ``convac design``."""

from __future__ import annotations

import pytest

from convac.cli import main


def test_analyze_with_windows_prints_every_scale(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["analyze", "--grid", "28x28", "--channels", "4,4,4", "--windows", "2x2,2x2,7x7", "--shared"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for label in ("checkerboard", "blocks(2)", "blocks(4)", "left_right", "up_down"):
        assert label in out
    assert main(["analyze", "--inputs", "12", "--channels", "2,2,2", "--windows", "2,3,2"]) == 0


def test_design_with_windows(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["design", "--inputs", "84", "--budget", "400", "--windows", "2,2,3,7"]
    assert main(argv) == 0
    assert "left_right" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--windows", "2,a"], "--windows must be comma-separated windows such as 2,2,3,7"),
        (["--windows", "2x2x2"], "--windows must be comma-separated"),
        (["--windows", "0,2"], "--windows must be comma-separated"),
        (["--windows", "2,2x2,7x7"], "--windows must give every window the same way"),
        (["--window", "2", "--windows", "2x2,2x2,7x7"], "not both"),
        (["--windows", "2x2,2x2,7x6"], "the windows along the width axis multiply to 2 * 2 * 6 = 24, but width is 28"),
        (["--windows", "2x2,2x2"], "got 2 windows and 3 channel entries"),
        (["--windows", "1x1,4x4,7x7"], "windows[0] is 1x1, which pools a single position"),
        (["--shallow", "--windows", "28x28"], "drop --window/--windows"),
    ],
)
def test_bad_windows_are_one_line_exit_2(flags: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    channels = "4" if "--shallow" in flags else "4,4,4"
    assert main(["analyze", "--grid", "28x28", "--channels", channels, *flags]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert fragment in err, err
