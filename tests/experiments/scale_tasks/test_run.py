"""The scale-task driver: cells on the shared runner, resume, designed-only reruns, the CLI's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convac.cli import main
from convac.data.scale_tasks import scale_task
from convac.errors import InputError
from convac.experiments.scale_tasks import ScaleTasksConfig, run_cell, run_scale_tasks
from convac.experiments.scale_tasks.cell import designed_shape

TINY = {"n_positions": 8, "n_train": 40, "n_test": 20, "epochs": 1, "budget": 40, "seeds": (0,), "restarts": 1}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_a_cell_is_a_pure_function_of_config_and_seed() -> None:
    cfg = ScaleTasksConfig(**TINY)  # type: ignore[arg-type]
    a, b = run_cell("long", "wide_tip", 0, cfg), run_cell("long", "wide_tip", 0, cfg)
    a.pop("seconds"), b.pop("seconds")
    assert a == b and a["n_params"] == a["budget"]


def test_a_rerun_with_another_design_method_reruns_only_the_designed_cells(tmp_path: Path) -> None:
    tiny = {**TINY, "budget": 56}  # 44, TINY's exact count, has no integer feasible design near its real widths
    cfg = ScaleTasksConfig(scales=("long",), arms=("uniform", "designed"), design_method="objective", **tiny)  # type: ignore[arg-type]
    run_scale_tasks(tmp_path, cfg, progress=False)
    first = _lines(tmp_path / "results.jsonl")
    rows = run_scale_tasks(tmp_path, ScaleTasksConfig(**{**cfg.__dict__, "design_method": "feasible"}), progress=False)
    second = _lines(tmp_path / "results.jsonl")
    assert second[:2] == first and len(second) == 3
    assert second[2]["arm"] == "designed" and second[2]["design_method"] == "feasible"
    assert second[2]["design_spend"] == "proportional"
    assert {r["arm"] for r in rows} == {"uniform", "designed (objective)", "designed (feasible)"}
    assert len({r["n_params"] for r in second}) == 1  # every arm at one count, the designed ones too
    assert (tmp_path / "profiles.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="differs in: n_train"):
        run_scale_tasks(tmp_path, ScaleTasksConfig(**{**cfg.__dict__, "n_train": 41}), progress=False)


@pytest.mark.parametrize("budget", [76, 160])
def test_the_feasible_design_is_widest_where_the_pairs_are_cut(budget: int) -> None:
    cfg = ScaleTasksConfig()  # design_method="feasible", the spare budget spent by "proportional"
    for scale, level in (("short", 0), ("middle", 1), ("long", 2)):
        shape, info = designed_shape(scale_task(500, scale, n_positions=16, seed=0), budget, cfg)
        assert max(range(3), key=shape.__getitem__) == level, (scale, shape, info)
        assert sorted(shape)[-1] > sorted(shape)[-2]  # one widest level, not a tie


def test_restarts_keep_the_lowest_training_loss_and_never_look_at_the_test_set() -> None:
    cfg = ScaleTasksConfig(**{**TINY, "restarts": 3})  # type: ignore[arg-type]
    rec = run_cell("middle", "wide_middle", 0, cfg)
    losses = [r["train_loss"] for r in rec["restarts"]]
    assert len(losses) == 3 and rec["train_loss"] == min(losses) == losses[rec["chosen_restart"]]
    assert rec["test_accuracy"] == rec["restarts"][rec["chosen_restart"]]["test_accuracy"]
    one = run_cell("middle", "wide_middle", 0, ScaleTasksConfig(**TINY))  # type: ignore[arg-type]
    assert one["restarts"][0] == rec["restarts"][0]  # restart 0 is the single run of the seed
    with pytest.raises(InputError, match="restarts"):
        ScaleTasksConfig(restarts=0)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--scales", "medium"], "scales must list some of short, middle, long, got medium"),
        (["--n-positions", "12"], "n_positions must be a power of two of at least 4, got 12"),
        (["--n-types", "1"], "n_types must be at least 2"),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    tmp_path: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["experiment", "scale-tasks", "--out", str(tmp_path), *flags]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_the_cli_runs_and_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["experiment", "scale-tasks", "--out", str(tmp_path), "--scales", "short", "--arms", "wide_base,uniform",
            "--n-positions", "8", "--n-train", "40", "--n-test", "20", "--epochs", "1", "--budget", "40",
            "--seeds", "0,1", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "4 rows" not in out and "| short (2) | wide_base (fits) |" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accuracy.png",
        "results.csv",
        "results.jsonl",
        "summary.json",
        "table.md",
    ]
