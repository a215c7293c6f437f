"""The function-entanglement experiment: probes, resume/refuse, summary and report (training runs are in the README)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import convac
from convac.cli import main
from convac.errors import ConvacError
from convac.experiments.function_entanglement import (
    FunctionEntanglementConfig,
    probes,
    run_function_entanglement,
    summarize_cells,
)


def test_probes_fit_the_cut_limit_and_cover_every_block_size() -> None:
    cfg = FunctionEntanglementConfig()
    arch = cfg.architecture("wide_base")
    assert arch.grid == (64, 64) and arch.channels == (8, 8, 4, 4, 2, 2)
    named = dict(probes(arch, max_cut=1024))
    assert [f"block({w})" for w in (2, 4, 8, 16, 32)] == [k for k in named if k.startswith("block(")]
    # The short length scales are far beyond any network-path limit at 64x64.
    assert "checkerboard" not in named and "blocks(8)" not in named
    assert {"blocks(16)", "blocks(32)", "left_right", "up_down"} <= set(named)
    for name, part in named.items():
        assert convac.min_cut(arch, part).value <= 1024, name
    # A single block's subtree closes at layer log2(w) - 1: its up bond is a cut of that width.
    assert convac.min_cut(arch, named["block(2)"]).value <= arch.channels[0]
    assert convac.min_cut(arch, named["block(32)"]).value <= arch.channels[4]
    assert len(named["block(4)"].side_a) == 16
    tip = dict(probes(cfg.architecture("wide_tip"), max_cut=1024))
    assert "blocks(16)" not in tip  # min-cut 2^12 for wide_tip at r = 2


def test_bad_config() -> None:
    for bad in (
        {"tasks": ("middle",)},
        {"r": 0},
        {"lr": -1.0},
        {"seeds": ()},
        {"schedules": ("wide",)},
        {"weights": "mixed"},
    ):
        with pytest.raises(ConvacError):
            FunctionEntanglementConfig(**bad)  # type: ignore[arg-type]
    assert main(["experiment", "function-entanglement", "--out", "/nonexistent/x", "--tasks", "middle"]) == 2


def _record(task: str, schedule: str, seed: int, probes_: list[str], acc: float) -> dict:
    rng = np.random.default_rng(seed)
    epochs = 3
    tracked = [
        {"epoch": e, **{f"{p}/y{y}": 0.1 * e + 0.01 * y + 0.001 * rng.random() for p in probes_ for y in range(10)}}
        for e in range(epochs + 1)
    ]
    return {
        "key": f"{task}|{schedule}|r=2|seed={seed}",
        "task": task,
        "schedule": schedule,
        "r": 2,
        "seed": seed,
        "channels": [8, 8, 4, 4, 2, 2],
        "probes": probes_,
        "min_cut": {p: 4 for p in probes_},
        "history": [{"epoch": e + 1, "loss": 2.0 - 0.5 * e} for e in range(epochs)],
        "tracked": tracked,
        "coefficient": {f"{p}/y{y}": 1.0 for p in probes_ for y in range(10)},
        "test_accuracy": acc,
        "train_accuracy": acc,
        "seconds": 1.0,
    }


def test_finished_cells_are_skipped_and_reported(tmp_path) -> None:
    cfg = FunctionEntanglementConfig(tasks=("local", "global"), schedules=("wide_base", "wide_tip"), seeds=(0,))
    probes_ = ["block(2)", "block(8)", "left_right"]
    records = [
        _record(t, s, 0, probes_, 0.5 + 0.1 * i)
        for i, (t, s) in enumerate([(t, s) for t in cfg.tasks for s in cfg.schedules])
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"torn')
    out = run_function_entanglement(cfg, tmp_path, progress=False)
    assert len(out) == 4
    for name in ("table.md", "profile.png", "training.png", "accuracy.png", "config.json"):
        assert (tmp_path / name).stat().st_size > 100, name
    table = (tmp_path / "table.md").read_text()
    assert "| local | wide_base | 0.500 (1) | left_right | 1.39 |" in table
    with pytest.raises(ConvacError, match="another configuration"):
        run_function_entanglement(FunctionEntanglementConfig(seeds=(5,)), tmp_path, progress=False)


def test_summary_numbers() -> None:
    rec = _record("local", "wide_tip", 0, ["left_right"], 0.7)
    rec2 = _record("local", "wide_tip", 1, ["left_right"], 0.9)
    (row,) = summarize_cells([rec, rec2])
    assert row["n_seeds"] == 2 and row["test_accuracy"] == pytest.approx(0.8)
    assert row["capacity"] == pytest.approx(math.log(4))
    final = [np.mean([r["tracked"][-1][f"left_right/y{y}"] for y in range(10)]) for r in (rec, rec2)]
    assert row["function"] == pytest.approx(np.mean(final))
    assert row["coefficient"] == pytest.approx(1.0)
    assert row["corr_loss"] == pytest.approx(-1.0)  # entropy rises while the loss falls, in these records


def test_neutral_nets_are_measured_in_their_own_gauge() -> None:
    """The network of a neutral image net contracts to its circuit's scores on the blank-divided features.

    So the function entanglement of a neutral net (Gram of ``features(images)``, network from
    ``conv_weight``/``output``) measures the function the net computes, class bias aside.
    """
    import torch

    from convac.models.digit_nets import ConvACImageNet

    assert FunctionEntanglementConfig(weights="neutral").weights == "neutral"
    torch.manual_seed(0)
    net = ConvACImageNet([2, 2, 2, 2], image_size=16, seed=0, weights="neutral").double()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    images = torch.zeros(3, 1, 16, 16, dtype=torch.float64)
    images[0, 0, 3:6, 4:7] = 1.0
    images[1, 0, 10:12, 2:9] = 0.7
    feats = net.features(images)
    assert bool((feats[2] == 1).all())  # a blank canvas: every feature exactly one
    mant, exp = net.convac.circuit(feats, return_exponent=True)
    scores = mant.detach().numpy() * np.exp2(exp.detach().numpy())[:, None]
    tn = convac.to_tensor_network(net.convac)
    via_network = np.stack([tn.contract(feats.detach().numpy(), output=y) for y in range(scores.shape[1])], axis=1)
    np.testing.assert_allclose(via_network, scores, rtol=1e-9)
    np.testing.assert_allclose(scores[2], 1.0, rtol=1e-12)  # blank canvas: 1 for every class


def test_a_corrupt_results_line_is_refused_not_dropped(tmp_path) -> None:
    from dataclasses import asdict

    cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base",), seeds=(0,), r=1, n_train=8)
    (tmp_path / "config.json").write_text(json.dumps(asdict(cfg)))
    (tmp_path / "results.jsonl").write_text('{"key": "a", "tracked": []}\n{broken\n')
    with pytest.raises(ConvacError, match=r"results.jsonl line 2 is not valid JSON; delete that line"):
        run_function_entanglement(cfg, tmp_path, progress=False)
