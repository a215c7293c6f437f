"""``--threads`` of the single-process commands: applied to every thread pool while the command runs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from convac._threads import thread_counts
from convac.cli import main


@pytest.mark.parametrize(("argv", "expected"), [([], 1), (["--threads", "2"], 2)])
def test_demo_runs_its_tour_at_the_threads_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, argv: list[str], expected: int
) -> None:
    import torch  # the tour trains with torch: its pool must follow the flag too

    import convac.experiments.tour as tour

    before = thread_counts()
    seen: dict[str, int] = {}

    def fake_tour(**kwargs: Any) -> SimpleNamespace:
        seen.update(thread_counts())
        return SimpleNamespace(max_relative_error=0.0)

    monkeypatch.setattr(tour, "run_tour", fake_tour)
    assert main(["demo", "--out", str(tmp_path), *argv]) == 0
    assert seen["torch"] == expected and torch.get_num_threads() == before["torch"]
    assert set(seen.values()) == {expected}
    assert thread_counts() == before  # restored after the command


def test_demo_threads_flag_is_one_line_on_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["convac demo: error: --threads must be a positive integer, got '0'"]
