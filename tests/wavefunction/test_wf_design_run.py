"""Design from the state, equal-parameter arms, and the run front-end."""

import itertools
import json

import pytest

import convac
from convac.errors import ConvacTypeError, InputError
from convac.wavefunction import (
    WavefunctionRun,
    architecture_for,
    compare_designs,
    design_from_state,
    entanglement_profile,
    equal_param_channels,
    ground_state,
    heisenberg,
    run,
    state_entanglement,
    tfim,
)
from convac.wavefunction._design import equal_arms


def test_entanglement_profile_is_the_state_entropy_per_probe_partition():
    _, state = ground_state(heisenberg((4, 4)), magnetization=0)
    profile = entanglement_profile(state, (4, 4))
    assert list(profile) == ["checkerboard", "blocks(2)", "left_right", "up_down"]
    assert profile["left_right"] == pytest.approx(1.8209, abs=1e-4)
    assert profile["checkerboard"] == pytest.approx(3.1991, abs=1e-4)
    assert profile["left_right"] == pytest.approx(profile["up_down"], abs=1e-10)  # the square's symmetry
    corner = state_entanglement(state, convac.Partition(16, [0, 1, 4, 5])).entropy
    assert corner == pytest.approx(1.5772, abs=1e-4)


@pytest.mark.parametrize(
    ("shape", "kind", "example"),
    [
        ((16,), "wide_base", (8, 4, 4, 2)),
        ((16,), "wide_tip", (2, 4, 4, 8)),
        ((4, 4), "wide_base", (12, 6)),
        ((4, 4), "wide_tip", (6, 12)),
    ],
)
def test_equal_param_channels_hit_the_count_exactly_and_are_monotone(shape, kind, example):
    count = architecture_for(shape, example).n_params
    channels = equal_param_channels(shape, count, kind)
    assert architecture_for(shape, channels).n_params == count
    pairs = list(itertools.pairwise(channels))
    assert all(a >= b for a, b in pairs) if kind == "wide_base" else all(a <= b for a, b in pairs)


def test_designed_and_hand_made_arms_have_identical_parameter_counts():
    _, state = ground_state(tfim((8,)))
    arms = equal_arms(state, (8,), budget=150, max_width=8)
    counts = {arm: architecture_for((8,), arms[arm]).n_params for arm in ("wide_base", "wide_tip", "designed")}
    assert len(set(counts.values())) == 1 and counts["designed"] <= 150
    design = design_from_state(state, (8,), 150, widths=range(1, 9))
    assert design.n_params <= 150


def test_equal_arms_are_three_distinct_networks_with_one_count_when_possible():
    _, state = ground_state(tfim((16,)))
    arms = equal_arms(state, (16,), budget=600, max_width=16)
    assert len({arms[a] for a in ("wide_base", "wide_tip", "designed")}) == 3
    counts = {architecture_for((16,), arms[a]).n_params for a in ("wide_base", "wide_tip", "designed")}
    assert len(counts) == 1 and counts.pop() <= architecture_for((16,), arms["design"]).n_params


def test_equal_arms_follow_a_pooling_schedule():
    windows = [(1, 2), (2, 1), (1, 2)]
    _, state = ground_state(tfim((2, 4)))
    arms = equal_arms(state, (2, 4), budget=300, max_width=8, windows=windows)
    assert all(len(arms[a]) == 3 for a in ("wide_base", "wide_tip", "designed", "design"))
    assert (
        len({architecture_for((2, 4), arms[a], windows).n_params for a in ("wide_base", "wide_tip", "designed")}) == 1
    )


def test_compare_designs_reports_every_arm_and_seed():
    rows = compare_designs(tfim((8,)), budget=120, seeds=(0, 1), max_width=8, steps=5, lr=0.05, threads=1)
    assert [(r["arm"], r["seed"]) for r in rows] == [
        (a, s) for s in (0, 1) for a in ("wide_base", "wide_tip", "designed")
    ]
    assert len({r["n_params"] for r in rows}) == 1
    assert all(r["energy"] >= r["exact_energy"] - 1e-9 for r in rows)


def test_run_writes_summary_history_and_figure(tmp_path):
    config = WavefunctionRun(
        model="heisenberg",
        shape=(2, 4),
        marshall=True,
        magnetization=0,
        channels=(4, 4),
        windows=((1, 2), (2, 2)),
        steps=4,
        lr=0.05,
        threads=1,
        out=str(tmp_path / "run"),
    )
    summary = run(config)
    folder = tmp_path / "run"
    assert json.loads((folder / "summary.json").read_text())["energy"] == summary["energy"]
    assert len((folder / "history.jsonl").read_text().splitlines()) == 4
    assert (folder / "entanglement.png").stat().st_size > 0
    assert summary["exact_energy"] <= summary["energy"]
    assert all(row["min_cut"] <= row["rank_bound"] for row in summary["entanglement"])
    assert all(row["ansatz_rank"] <= row["rank_bound"] for row in summary["entanglement"])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: equal_param_channels((16,), 298, "wide"), InputError, "kind must be 'wide_base' or 'wide_tip'"),
        (lambda: equal_param_channels((16,), 3, "wide_base"), InputError, "has exactly 3 parameters"),
        (lambda: run(WavefunctionRun(model="hubbard")), InputError, "model must be one of 'tfim', 'heisenberg'"),
        (
            lambda: run(WavefunctionRun(shape=(6, 6), channels=(2, 2), windows=((3, 3), (2, 2)))),
            InputError,
            "full_sum=True needs N <= 20",
        ),
        (lambda: run({"model": "tfim"}), ConvacTypeError, "config must be a WavefunctionRun"),
    ],
)
def test_bad_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
