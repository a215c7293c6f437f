"""The teacher probe (scripts/scale_tasks_teacher_probe.py) computes what docs/findings/scale-tasks.md says."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

import convac
from convac.experiments.scale_tasks.arms import architecture, canonical_cut_capacities

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "scale_tasks_teacher_probe.py"


def _small(widths: tuple[int, ...], seed: int) -> convac.DeepConvAC:
    arch = architecture(widths, 8, 3, n_outputs=1)
    return convac.DeepConvAC(arch, representation="onehot", seed=seed, weights="signed").double()


def _dense(model: convac.DeepConvAC) -> np.ndarray:
    return np.asarray(convac.coefficient_tensor(model))


@pytest.mark.parametrize("seeds", [(1, 2), (3, 4), (5, 5)])
def test_log_overlap_is_the_dense_inner_product(probe: ModuleType, seeds: tuple[int, int]) -> None:
    a, b = _small((3, 2, 2), seeds[0]), _small((2, 3, 2), seeds[1])
    dense = float((_dense(a) * _dense(b)).sum())
    with torch.no_grad():
        sign, log_abs = probe.log_overlap(a, b)
    assert float(sign) == np.sign(dense)
    assert float(log_abs) == pytest.approx(math.log(abs(dense)), abs=1e-10)


def test_fidelity_is_the_dense_one_and_ignores_scale(probe: ModuleType) -> None:
    a, b = _small((3, 2, 2), 7), _small((3, 3, 2), 8)
    ta, tb = _dense(a), _dense(b)
    dense = (ta * tb).sum() ** 2 / ((ta * ta).sum() * (tb * tb).sum())
    with torch.no_grad():
        log_bb = probe.log_overlap(b, b)[1]
        assert float(probe.neg_log_fidelity(a, b, log_bb)) == pytest.approx(-math.log(dense), rel=1e-9)
        a.output_raw.mul_(-3.0)
        assert float(probe.neg_log_fidelity(a, b, log_bb)) == pytest.approx(-math.log(dense), rel=1e-9)
        assert abs(float(probe.neg_log_fidelity(b, b, log_bb))) < 1e-12


@pytest.mark.parametrize("task", ["short", "middle", "long"])
def test_teacher_levels_are_whitened_and_its_ranks_are_its_cuts(probe: ModuleType, task: str) -> None:
    t = probe.teacher(task, 0)
    pooled = np.eye(probe.M)
    for layer in range(t.arch.depth):
        w = t.conv_weight(layer).detach().numpy()
        gram = w.T @ pooled @ w
        assert np.allclose(gram @ gram, gram, atol=1e-9)  # an orthogonal projector: orthonormal within its span
        pooled = gram * gram
    weights = probe.spectra(t)
    ranks = [int((w > 1e-9).sum()) for w in weights]
    assert tuple(ranks) == canonical_cut_capacities(probe.TEACHERS[task], probe.N_POSITIONS, probe.M)
    for w, r in zip(weights, ranks, strict=True):
        assert w.sum() == pytest.approx(1.0)
        assert w[r - 1] > 1e-6 and (w[r:] < 1e-12).all()  # a wide gap: the float rank is not in doubt


def test_each_hand_arm_has_the_budget_and_meets_only_its_task(probe: ModuleType) -> None:
    needs = {k: canonical_cut_capacities(w, probe.N_POSITIONS, probe.M) for k, w in probe.TEACHERS.items()}
    for arm, widths in probe.HAND_ARMS.items():
        assert architecture(widths, probe.N_POSITIONS, probe.M, n_outputs=1).n_params == probe.BUDGET
        cuts = canonical_cut_capacities(widths, probe.N_POSITIONS, probe.M)
        met = {k for k, need in needs.items() if all(c >= r for c, r in zip(cuts, need, strict=True))}
        assert met == ({arm.removeprefix("fits-")} if arm.startswith("fits-") else set())
        if arm.startswith("fits-"):  # wide enough at every layer to hold the teacher exactly
            assert all(a >= b for a, b in zip(widths, probe.TEACHERS[arm.removeprefix("fits-")], strict=True))


@pytest.mark.parametrize("task", ["short", "middle", "long"])
def test_rank_design_meets_every_rank_at_exactly_the_budget(probe: ModuleType, task: str) -> None:
    weights = probe.spectra(probe.teacher(task, 0))
    widths = probe.designed_widths("designed-rank", weights)
    assert architecture(widths, probe.N_POSITIONS, probe.M, n_outputs=1).n_params == probe.BUDGET
    cuts = canonical_cut_capacities(widths, probe.N_POSITIONS, probe.M)
    assert all(c >= int((w > 1e-9).sum()) for c, w in zip(cuts, weights, strict=True))
    assert probe.floor(weights, widths) == (0.0, 0)


def test_floor_is_the_tail_beyond_the_cut_and_no_fit_goes_below_it(probe: ModuleType) -> None:
    t = probe.teacher("long", 0)
    weights = probe.spectra(t)
    bound, side = probe.floor(weights, probe.HAND_ARMS["fits-short"])
    # its cuts at sides 4 and 8 are 2, where the teacher has ranks 3 and 6: the larger tail binds
    tails = {4: float(weights[2][2:].sum()), 8: float(weights[3][2:].sum())}
    assert side == max(tails, key=tails.__getitem__)
    assert bound == pytest.approx(max(tails.values()))
    assert bound > 0.05
    fitted = probe.fit(t, probe.HAND_ARMS["fits-short"], seed=0, iters=150)
    assert bound - 1e-9 <= fitted < 1.0


def test_the_fitting_arm_holds_its_teacher_and_the_fit_finds_it_nearby(probe: ModuleType) -> None:
    t = probe.teacher("middle", 1)
    widths = probe.HAND_ARMS["fits-middle"]
    start = probe.student(widths, seed=3)
    noise = torch.Generator().manual_seed(0)
    with torch.no_grad():  # the teacher embedded in the wider student: extra channels are zero
        for layer in range(t.arch.depth):
            w = t.conv_weight(layer)
            start.conv[layer].zero_()[: w.shape[0], : w.shape[1]] = w
        start.output_raw.zero_()[: t.output.shape[0]] = t.output
        log_tt = probe.log_overlap(t, t)[1]
        assert float(probe.neg_log_fidelity(start, t, log_tt)) == pytest.approx(0.0, abs=1e-12)
        for layer in range(t.arch.depth):
            shape = start.conv[layer].shape
            start.conv[layer].add_(0.003 * torch.randn(shape, generator=noise, dtype=torch.float64))
        disturbed = float(-torch.expm1(-probe.neg_log_fidelity(start, t, log_tt)))
    assert disturbed > 0.05  # the weights are small: 0.003 is a large disturbance
    assert probe.fit(t, widths, seed=0, iters=300, start=start) < 1e-4 * disturbed


def test_more_restarts_reuse_the_earlier_fits_and_the_table_keeps_settings_apart(
    probe: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds: list[int] = []

    def fake_fit(t: object, widths: tuple[int, ...], seed: int, iters: int) -> float:
        seeds.append(seed)
        return 0.5

    monkeypatch.setattr(probe, "fit", fake_fit)
    three = probe.cell("long", "flat", 0, restarts=3, iters=5)
    six = probe.cell("long", "flat", 0, restarts=6, iters=5, earlier=[0.25, 0.5, 0.5])
    stride = probe.RESTART_SEED_STRIDE
    assert seeds == [probe.STUDENT_SEED_OFFSET + j * stride for j in (0, 1, 2, 3, 4, 5)]
    assert six["restarts"][:3] == [0.25, 0.5, 0.5] and six["infidelity"] == 0.25
    assert three["floor"] == six["floor"] > 0 and three["floor_side"] in (4, 8)
    page = probe.table([three, six])
    assert "### Best of 3 fits" in page and "### Best of 6 fits" in page
