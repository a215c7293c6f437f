"""Design from the state, equal-parameter arms, and the run front-end."""

import dataclasses
import itertools
import json

import numpy as np
import pytest
import torch

import convac
from convac.channel_design import DEFAULT_MARGIN
from convac.errors import ConvacTypeError, InputError
from convac.wavefunction import (
    ConvACWaveFunction,
    FullSum,
    WavefunctionRun,
    architecture_for,
    canonical_profile,
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


def _dense_entropy(state, block, n):
    """Von Neumann entropy of the reduced density matrix of ``block``, by eigvalsh (no SVD, no convac.schmidt)."""
    rest = [i for i in range(n) if i not in block]
    matrix = state.reshape((2,) * n).transpose(list(block) + rest).reshape(2 ** len(block), -1)
    p = np.linalg.eigvalsh(matrix @ matrix.T)
    p = p[p > 1e-14]
    return float(-(p * np.log(p)).sum())


@pytest.fixture(scope="module")
def tfim16_state():
    return ground_state(tfim((16,)))[1]


@pytest.fixture(scope="module")
def heis44_state():
    return ground_state(heisenberg((4, 4), marshall=True), magnetization=0)[1]


def test_canonical_profile_of_the_tfim_chain_is_the_dense_block_entropy(tfim16_state):
    profile = canonical_profile(tfim16_state, (16,))
    assert [lv.side for lv in profile.levels] == [1, 2, 4, 8]
    for lv in profile.levels:
        blocks = [list(range(start, start + lv.side)) for start in range(0, 16, lv.side)]
        assert lv.ci95 == 0.0 and len(lv.entropies) == len(blocks) == lv.n_blocks
        assert lv.entropies == pytest.approx([_dense_entropy(tfim16_state, b, 16) for b in blocks], abs=1e-10)
    # the reference block entropies, L = 1, 2, 4, 8
    assert profile.means == pytest.approx([0.4732, 0.5894, 0.6922, 0.7501], abs=1e-4)


def test_canonical_profile_of_heisenberg_4x4_is_the_dense_site_and_square_entropy(heis44_state):
    profile = canonical_profile(heis44_state, (4, 4))
    squares = [[r * 4 + c for r in (r0, r0 + 1) for c in (c0, c0 + 1)] for r0 in (0, 2) for c0 in (0, 2)]
    sites = [[i] for i in range(16)]
    for lv, blocks in zip(profile.levels, (sites, squares), strict=True):
        assert lv.entropies == pytest.approx([_dense_entropy(heis44_state, b, 16) for b in blocks], abs=1e-10)
    assert profile.means == pytest.approx([np.log(2), 1.5772], abs=1e-4)  # a singlet's site; the 2x2 corner


def test_feasible_design_from_the_state_meets_every_level_at_exactly_the_budget(tfim16_state):
    profile = canonical_profile(tfim16_state, (16,))
    d = design_from_state(tfim16_state, (16,), 605)
    arch = architecture_for((16,), d.channels)
    assert arch.n_params == d.n_params == 605
    for lv in profile.levels:  # ln min-cut >= S + margin (capped at the inputs' ln 2^side), by convac.min_cut
        part = convac.Partition(16, range(lv.side), grid=(16,))
        required = min(lv.mean + DEFAULT_MARGIN, lv.side * np.log(2))
        assert np.log(convac.min_cut(arch, part).value) >= required - 1e-9


def test_a_budget_below_the_requirements_gives_the_closest_design_or_raises(tfim16_state):
    d = design_from_state(tfim16_state, (16,), 300)
    assert architecture_for((16,), d.channels).n_params == 300
    assert "short" in [lv.status for lv in d.levels]
    with pytest.raises(InputError, match=r"need \d+ parameters, above the budget 300"):
        design_from_state(tfim16_state, (16,), 300, infeasible="raise")


def test_the_objective_rule_stays_available_for_any_schedule():
    _, state = ground_state(tfim((8,)))
    assert design_from_state(state, (8,), 150, method="objective", widths=range(1, 9)).n_params <= 150
    windows = [(1, 2), (2, 1), (1, 2)]
    _, state = ground_state(tfim((2, 4)))
    arms = equal_arms(state, (2, 4), budget=300, max_width=8, windows=windows, method="objective")
    assert all(len(arms[a]) == 3 for a in ("wide_base", "wide_tip", "designed", "design"))
    assert (
        len({architecture_for((2, 4), arms[a], windows).n_params for a in ("wide_base", "wide_tip", "designed")}) == 1
    )


def test_equal_arms_put_the_feasible_design_against_both_hand_made_shapes_at_one_count(tfim16_state):
    arms = equal_arms(tfim16_state, (16,), budget=600, max_width=16)
    assert arms["designed"] == arms["design"]
    assert len({arms[a] for a in ("wide_base", "wide_tip", "designed")}) == 3
    counts = {architecture_for((16,), arms[a]).n_params for a in ("wide_base", "wide_tip", "designed")}
    assert len(counts) == 1 and counts.pop() <= 600
    exact = architecture_for((16,), arms["designed"]).n_params
    assert design_from_state(tfim16_state, (16,), exact).channels == arms["designed"]


def test_compare_designs_reports_every_arm_and_seed():
    rows = compare_designs(tfim((8,)), budget=120, seeds=(0, 1), max_width=8, steps=5, lr=0.05, threads=1)
    assert [(r["arm"], r["seed"]) for r in rows] == [
        (a, s) for s in (0, 1) for a in ("wide_base", "wide_tip", "designed")
    ]
    assert len({r["n_params"] for r in rows}) == 1
    assert all(r["energy"] >= r["exact_energy"] - 1e-9 for r in rows)
    # one arm alone is the same run as in the full comparison (same widths, seed, optimiser)
    alone = compare_designs(
        tfim((8,)), budget=120, seeds=(1,), arms=("designed",), max_width=8, steps=5, lr=0.05, threads=1
    )
    assert [(r["arm"], r["seed"]) for r in alone] == [("designed", 1)]
    assert alone[0]["energy"] == pytest.approx(rows[-1]["energy"], abs=1e-12)
    assert alone[0]["channels"] == rows[-1]["channels"]


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


def test_a_sampled_run_measures_its_final_ansatz_from_fresh_samples(tmp_path):
    config = WavefunctionRun(
        model="tfim", shape=(8,), channels=(2, 2, 2), symmetry="translation", full_sum=False, sampler="exact",
        optimizer="sr", steps=3, lr=0.05, n_chains=16, n_per_chain=4, threads=1, final_samples=3000,
        out=str(tmp_path / "run"),
    )  # fmt: skip
    summary = run(config)
    final = summary["final"]
    assert final["n_samples"] == 3000 and summary["energy"] == final["energy"] and summary["error"] == final["error"]
    trained = ConvACWaveFunction(architecture_for((8,), (2, 2, 2)), weights="signed", symmetry="translation")
    trained.load_state_dict(torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["psi"])
    exact = FullSum(trained, tfim((8,))).estimate().energy
    assert abs(final["energy"] - exact) < 4 * final["error"]
    assert run(dataclasses.replace(config, final_samples=0, out=None))["final"] is None


def test_a_run_started_from_a_narrower_checkpoint_starts_at_its_energy(tmp_path):
    # full sums: a step's energy is exact, so a (widened) start must reproduce the saved state's to rounding
    narrow = WavefunctionRun(
        model="tfim", shape=(8,), channels=(2, 2, 2), symmetry="translation", optimizer="sr", steps=6, lr=0.05,
        threads=1, out=str(tmp_path / "narrow"),
    )  # fmt: skip
    run(narrow)
    checkpoint = str(tmp_path / "narrow" / "checkpoint.pt")
    trained = ConvACWaveFunction(architecture_for((8,), (2, 2, 2)), weights="signed", symmetry="translation")
    trained.load_state_dict(torch.load(checkpoint, weights_only=False)["psi"])
    expected = FullSum(trained, tfim((8,))).estimate().energy
    started = dataclasses.replace(narrow, steps=1, start_from=checkpoint)

    def first_energy(name, **change):
        summary = run(dataclasses.replace(started, out=str(tmp_path / name), **change))
        return summary["n_params"], json.loads((tmp_path / name / "history.jsonl").read_text().splitlines()[0])

    n_params, record = first_energy("same")
    assert n_params == trained.n_params and record["energy"] == pytest.approx(expected, rel=1e-12)
    n_params, record = first_energy("wide", channels=(3, 4, 2))
    assert n_params > trained.n_params and record["energy"] == pytest.approx(expected, rel=1e-12)
    assert first_energy("fresh", start_from=None)[1]["energy"] != pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start_from": "missing.pt"}, "is not a file"),
        ({"start_from": __file__}, "is not a checkpoint.pt of a run"),
        ({"windows": (2, 4), "channels": (2, 2)}, "another depth"),
        ({"weights": "positive"}, "another lattice, windows, sharing or weights"),
        ({"shared": True}, "another lattice, windows, sharing or weights"),
        ({"shape": (16,), "channels": (2, 2, 2, 2)}, "another depth"),
        ({"shape": (4, 2), "windows": ((1, 2), (2, 1), (2, 1)), "symmetry": "none"}, "another lattice"),
        ({"channels": (1, 2, 2)}, "at least the current one"),
    ],
)
def test_a_start_that_does_not_fit_is_refused(tmp_path, change, message):
    base = WavefunctionRun(
        model="tfim", shape=(8,), channels=(2, 2, 2), symmetry="translation", steps=1, threads=1,
        out=str(tmp_path / "narrow"),
    )  # fmt: skip
    run(base)
    config = dataclasses.replace(base, start_from=str(tmp_path / "narrow" / "checkpoint.pt"), out=None)
    with pytest.raises(convac.ConvacError, match=message):
        run(dataclasses.replace(config, **change))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: equal_param_channels((16,), 298, "wide"), InputError, "kind must be 'wide_base' or 'wide_tip'"),
        (lambda: compare_designs(tfim((8,)), 120, arms=("designed", "tall")), InputError, "arm must be one of"),
        (lambda: compare_designs(tfim((8,)), 120, arms=()), InputError, "arms is empty"),
        (lambda: equal_param_channels((16,), 3, "wide_base"), InputError, "has exactly 3 parameters"),
        (lambda: run(WavefunctionRun(model="hubbard")), InputError, "model must be one of 'tfim', 'heisenberg'"),
        (
            lambda: run(WavefunctionRun(shape=(6, 6), channels=(2, 2), windows=((3, 3), (2, 2)))),
            InputError,
            "full_sum=True needs N <= 20",
        ),
        (lambda: run({"model": "tfim"}), ConvacTypeError, "config must be a WavefunctionRun"),
        (
            lambda: run(WavefunctionRun(shape=(4,), channels=(2, 2), full_sum=False, steps=1, final_samples=1)),
            InputError,
            "final_samples must be",
        ),
        (
            lambda: design_from_state(np.eye(16)[0], (4,), 40, method="mincut"),
            InputError,
            "method must be 'feasible' or 'objective'",
        ),
        (
            lambda: design_from_state(np.full(256, 0.0625), (2, 4), 100, windows=[(1, 2), (2, 2)]),
            InputError,
            "a feasible design needs the canonical pooling tree",
        ),
        (
            lambda: equal_arms(np.full(16, 0.25), (4,), 5),
            InputError,
            "no parameter count up to 5 is hit by a wide-base and a wide-tip vector",
        ),
    ],
)
def test_bad_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
