"""Bad inputs of the inductive-bias sweep and its report: one line each, before anything is allocated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from convac.errors import InputError, TooLargeError
from convac.experiments.inductive_bias import Protocol, Sweep
from convac.experiments.inductive_bias.report import merge_results, write_report

SRC = str(Path(__file__).resolve().parents[3] / "src")
TINY = ["--source", "digits", "--tasks", "local", "--rs", "1", "--seeds", "0", "--n-train", "32", "--n-test", "16"]
TINY += ["--epochs", "2", "--batch-size", "16", "--no-progress", "--workers", "1"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "convac.cli", *args], capture_output=True, text=True, env=env)


def _one_line(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"convac: error: {message}"


def test_a_huge_schedule_is_refused_before_allocating(tmp_path: Path) -> None:  # N223
    with pytest.raises(TooLargeError, match=r"training schedule 'big=1000000,1,1,1,1,1' at r=1 would need \d+ GiB"):
        Sweep(Protocol(batch_size=16), tasks=("local",), schedules=("big=1000000,1,1,1,1,1",), rs=(1,)).check_sizes()
    done = _cli("experiment", "inductive-bias", *TINY, "--schedules", "big=1000000,1,1,1,1,1", "--out", str(tmp_path))
    assert done.returncode == 2 and "would need 733 GiB, over the limit of 4 GiB" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "results.jsonl").exists()


def test_an_absurd_learning_rate_or_seed_is_refused(tmp_path: Path) -> None:  # N230
    with pytest.raises(InputError, match="lr must be a positive number at most 10"):
        Protocol(lr=1e300)
    with pytest.raises(InputError, match=r"every seed must be an integer in \[0, 2\*\*32 - 1\]"):
        Sweep(Protocol(), tasks=("local",), seeds=(2**64,))
    done = _cli(
        "experiment", "inductive-bias", *TINY, "--schedules", "wide_tip", "--out", str(tmp_path), "--lr", "1e300"
    )
    _one_line(done, "lr must be a positive number at most 10, got 1e+300")


def _record(seed: int, accuracy: object) -> dict[str, object]:
    key = f"local|relu|wide_tip|r=1|seed={seed}"
    return {"key": key, "protocol": "p", "task": "local", "family": "relu", "schedule": "wide_tip", "r": 1,
            "seed": seed, "test_accuracy": accuracy, "train_accuracy": 0.5}  # fmt: skip


@pytest.mark.parametrize("accuracy", [float("nan"), 7.5, -0.1, "0.5"])
def test_report_refuses_accuracies_that_are_not_fractions(tmp_path: Path, accuracy: object) -> None:  # N248/N249
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(_record(0, 0.5)) + "\n" + json.dumps(_record(1, accuracy)) + "\n")
    message = f"{path} line 2 has test_accuracy {accuracy!r}, not a fraction in [0, 1]; fix or remove that line"
    with pytest.raises(InputError) as info:
        merge_results([tmp_path])
    assert str(info.value) == message
    _one_line(_cli("experiment", "report", str(tmp_path), "--out", str(tmp_path / "r")), message)


def test_report_on_no_finished_cells(tmp_path: Path) -> None:  # N299
    (tmp_path / "results.jsonl").write_text("")
    message = f"no finished cells in {tmp_path}; run the sweep first"
    with pytest.raises(InputError, match="^" + message.replace("[", r"\[") + "$"):
        merge_results([tmp_path])
    _one_line(_cli("experiment", "report", str(tmp_path), "--out", str(tmp_path / "r")), message)


def test_one_record_read_once_is_never_in_conflict_with_itself(tmp_path: Path) -> None:  # N303
    (tmp_path / "results.jsonl").write_text(json.dumps(_record(0, 0.25)) + "\n")
    assert [r["test_accuracy"] for r in merge_results([tmp_path, tmp_path / "results.jsonl"])] == [0.25]
    (tmp_path / "b.jsonl").write_text(json.dumps(_record(0, 0.5)) + "\n")
    with pytest.raises(InputError, match="has different results in"):
        merge_results([tmp_path, tmp_path / "b.jsonl"])


def test_equal_budget_refuses_a_third_arm_with_another_weight_count(tmp_path: Path) -> None:
    # 1,1,1,6,1,6 at r = 6 is [6, 6, 6, 36, 6, 36]: 60 + 36 + 36 + 216 + 216 + 216 + 360 = 1140 weights, not 1416.
    message = "schedule 'd' has 1140 hidden and output weights at r=6, 'wide_base' 1416"
    with pytest.raises(InputError, match=message):
        Sweep(rs=(6,), schedules=("wide_base", "wide_tip", "d=1,1,1,6,1,6"), equal_budget=True)
    # [6, 6, 6, 36, 18, 15]: 60 + 36 + 36 + 216 + 648 + 270 + 150 = 1416, the hand-made nets' 31 * 36 + 50 * 6.
    fair = Sweep(rs=(6,), schedules=("wide_base", "wide_tip", "d=1,1,1,6,3,2.5"), equal_budget=True)
    assert set(fair.budgets().values()) == {31 * 36 + 50 * 6}
    assert Sweep(rs=(6,), schedules=("wide_base", "d=1,1,1,6,1,6")).budgets()["d", 6] == 1140  # off: allowed
    args = ["experiment", "inductive-bias", *TINY, "--rs", "6", "--equal-budget", "--out", str(tmp_path)]
    done = _cli(*args, "--schedules", "wide_base;wide_tip;d=1,1,1,6,1,6")
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "results.jsonl").exists()


@pytest.mark.parametrize(
    ("baselines", "message"),
    [
        ("wide_tip,uniform", "baseline 'uniform' has no cells in these results; schedules present: wide_tip"),
        ("wide_tip,wide_tip", "baselines has repeated names: ['wide_tip', 'wide_tip']"),
        ("", "give at least one baseline schedule to compare the other schedules with"),
    ],
)
def test_report_refuses_baselines_it_cannot_compare_with(tmp_path: Path, baselines: str, message: str) -> None:
    (tmp_path / "results.jsonl").write_text(json.dumps(_record(0, 0.5)) + "\n")
    names = [name for name in baselines.split(",") if name]
    with pytest.raises(InputError, match="^" + message.replace("[", r"\[") + "$"):
        write_report(merge_results([tmp_path]), tmp_path / "r", names)
    out = tmp_path / "cli"
    _one_line(_cli("experiment", "report", str(tmp_path), "--out", str(out), "--baselines", baselines), message)
    assert not out.exists()  # refused before anything is written
