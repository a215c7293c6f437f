"""Cells trained together (stacked, vmapped) take the same steps as cells trained one by one."""

from __future__ import annotations

import pytest
import torch

from convac.cli import main
from convac.experiments.inductive_bias import Cell, Protocol, Sweep, load_results, run_cell, run_sweep
from convac.experiments.inductive_bias._batched import run_group

# Pieces of 3 do not divide the batch of 8, and 20 images leave a short last batch. He init: the
# data-dependent init of these r <= 2 nets on 20 canvases gives weights up to 1e6 and losses up to
# 1e14, where float rounding (any change of summation order, the batched convs' too) moves the
# losses by whole units; and Adam turns rounding noise in a near-zero gradient into a full
# lr-sized step, so ill-conditioned nets drift apart by ~lr per step whatever is compared.
TINY = Protocol(n_train=20, n_test=8, epochs=2, lr=3e-3, batch_size=8, micro_batch=3, init="he")
CELLS = [
    Cell("local", "relu", "wide_tip", 2, 0),
    Cell("global", "relu", "wide_tip", 2, 1),
    Cell("local", "relu", "wide_tip", 2, 2),
]


class _Stop(Exception):
    pass


def _close(a: dict, b: dict) -> None:
    assert a["key"] == b["key"] and a["channels"] == b["channels"] and a["n_params"] == b["n_params"]
    assert a["train_accuracy"] == b["train_accuracy"] and a["test_accuracy"] == b["test_accuracy"]
    assert [h["loss"] for h in a["history"]] == pytest.approx([h["loss"] for h in b["history"]], rel=1e-5)


def _states_close(path_a, path_b) -> None:
    a, b = torch.load(path_a, weights_only=True), torch.load(path_b, weights_only=True)
    assert a["identity"] == b["identity"] and a["epoch"] == b["epoch"] and torch.equal(a["rng"], b["rng"])
    assert a["model"].keys() == b["model"].keys()
    for name in a["model"]:
        torch.testing.assert_close(a["model"][name], b["model"][name], rtol=1e-5, atol=1e-6)
    assert a["optimizer"]["param_groups"] == b["optimizer"]["param_groups"]
    for i, state in a["optimizer"]["state"].items():
        for key, value in state.items():
            torch.testing.assert_close(value, b["optimizer"]["state"][i][key], rtol=1e-4, atol=1e-9)


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    out = tmp_path_factory.mktemp("alone")
    records = [run_cell(TINY, cell, out / f"{k}.pt") for k, cell in enumerate(CELLS)]
    return records, out


def test_group_takes_each_cells_own_steps(alone, tmp_path) -> None:
    """Weights, Adam state, losses and accuracies of 3 stacked networks equal the one-by-one runs."""
    records, out = alone
    seen = []
    together = run_group(TINY, CELLS, [tmp_path / f"{k}.pt" for k in range(3)], on_epoch=lambda *a: seen.append(a[:2]))
    assert seen == [(k, e) for e in (1, 2) for k in range(3)]
    for k in range(3):
        _close(together[k], records[k])
        assert together[k]["trained_with"] == 3
        _states_close(out / f"{k}.pt", tmp_path / f"{k}.pt")


def test_group_resumes_cells_interrupted_one_by_one(alone, tmp_path) -> None:
    """A checkpoint written by run_cell resumes in a group (same format), ending where an
    uninterrupted run ends; cells at different epochs fall back to one by one."""
    records, _ = alone

    def stop(epoch, record):
        raise _Stop

    for k, cell in enumerate(CELLS[:2]):
        with pytest.raises(_Stop):
            run_cell(TINY, cell, tmp_path / f"{k}.pt", on_epoch=stop)
    resumed = run_group(TINY, CELLS[:2], [tmp_path / f"{k}.pt" for k in range(2)])
    for k in range(2):
        assert resumed[k]["resumed_from_epoch"] == 1 and resumed[k]["trained_with"] == 2
        _close(resumed[k], records[k])
    with pytest.raises(_Stop):
        run_cell(TINY, CELLS[2], tmp_path / "late.pt", on_epoch=stop)
    mixed = run_group(TINY, [CELLS[0], CELLS[2]], [tmp_path / "fresh.pt", tmp_path / "late.pt"])
    assert [r["resumed_from_epoch"] for r in mixed] == [0, 1] and "trained_with" not in mixed[0]
    _close(mixed[0], records[0])
    _close(mixed[1], records[2])


def test_sweep_with_batch_cells_matches_and_resumes(tmp_path) -> None:
    """The sweep groups ReLU cells by schedule and r (ConvAC cells run alone), writes every cell and
    skips them on a re-run, with results equal to the plain sweep's up to rounding."""
    sweep = Sweep(TINY, tasks=("local", "global"), schedules=("wide_tip",), rs=(2,), seeds=(0, 1))
    plain = run_sweep(sweep, tmp_path / "plain", progress=False, report=False)
    seen = []
    batched = run_sweep(
        sweep, tmp_path / "batched", progress=False, report=False, batch_cells=True, on_epoch=lambda *a: seen.append(a)
    )
    assert batched.ran == 4 and len(seen) == 8
    assert all(r["trained_with"] == 4 for r in batched.records)
    for a, b in zip(batched.records, plain.records, strict=True):
        _close(a, b)
    again = run_sweep(sweep, tmp_path / "batched", progress=False, report=False, batch_cells=True)
    assert again.ran == 0 and again.skipped == 4
    assert not any((tmp_path / "batched" / "checkpoints").iterdir())


def test_sweep_batch_cells_runs_convac_cells_alone(tmp_path) -> None:
    sweep = Sweep(
        Protocol(n_train=8, n_test=4, epochs=1, batch_size=8),
        tasks=("local",),
        schedules=("wide_tip",),
        rs=(1,),
        seeds=(0, 1),
        families=("relu", "convac"),
    )
    result = run_sweep(sweep, tmp_path, progress=False, report=False, batch_cells=True)
    by_family = {r["family"]: r.get("trained_with") for r in result.records}
    assert result.ran == 4 and by_family == {"relu": 2, "convac": None}


def test_cli_batch_cells(tmp_path, capsys) -> None:
    args = ["experiment", "inductive-bias", "--out", str(tmp_path), "--tasks", "local", "--schedules", "wide_tip"]
    args += ["--rs", "1", "--seeds", "0,1", "--n-train", "8", "--n-test", "4", "--epochs", "1", "--batch-size", "8"]
    assert main([*args, "--no-progress", "--batch-cells"]) == 0
    assert [r["trained_with"] for r in load_results(tmp_path)] == [2, 2]


def test_device_resident_canvases_equal_the_built_ones() -> None:
    from convac.data.tasks import make_task
    from convac.experiments.inductive_bias._batched import _OnDevice

    train, _ = make_task("global", 50, 4, seed=3)
    resident = _OnDevice(train, "cpu", chunk=16)
    index = torch.tensor([49, 0, 17, 17, 33])
    x, y = resident.batch(index)
    x_ref, y_ref = train.batch(index)
    assert len(resident) == 50 and x.dtype == torch.float32
    assert torch.equal(x, x_ref) and torch.equal(y, y_ref)
