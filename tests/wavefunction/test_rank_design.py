"""Design from a state's rank per canonical level (``measure="rank"``): the cuts it gives can hold the state."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.experiments.scale_tasks.arms import canonical_cut_capacities
from convac.wavefunction import canonical_profile, design_from_state, truncation_rank


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=12),
    st.sampled_from([0.0, 1e-12, 1e-3, 0.1, 0.5]),
)
def test_truncation_rank_is_the_fewest_values_that_leave_at_most_tol_out(values: list[float], tol: float) -> None:
    r = truncation_rank(values, tol)
    weights = np.sort(np.asarray(values) ** 2)[::-1]
    weights /= weights.sum()
    assert 1 <= r <= len(values)
    assert weights[r:].sum() <= tol + 1e-15
    if r > 1:  # one value fewer leaves more than tol out
        assert weights[r - 1 :].sum() > tol


@pytest.fixture(scope="module")
def convac_state() -> np.ndarray:
    # a shared-weight ConvAC on 16 spins as a state vector (site 0 most significant = the tensor's C order)
    arch = convac.Architecture.deep_1d(16, 2, [4, 4, 4, 2], shared=True)
    model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
    return np.asarray(convac.coefficient_tensor(model)).reshape(-1)


def test_rank_profile_counts_the_states_each_cut_carries(convac_state: np.ndarray) -> None:
    profile = canonical_profile(convac_state, (16,), measure="rank", tol=1e-12)
    ranks = [sorted({round(math.exp(v)) for v in level.entropies}) for level in profile.levels]
    # side 1: a spin; side 2: the block function is symmetric under the swap (shared weights, product pooling),
    # so 3 of its 4 states; side 4: the width 4; side 8: the width 2 (the min-cut elsewhere)
    assert ranks == [[2], [3], [4], [2]]
    assert profile.extra["measure"] == "rank" and profile.extra["tol"] == 1e-12
    entropy = canonical_profile(convac_state, (16,))
    assert all(e <= math.log(r[0]) + 1e-12 for e, r in zip(entropy.means, ranks, strict=True))
    assert entropy.extra["measure"] == "entropy"


@pytest.mark.parametrize("budget", [61, 68, 75, 82, 89])
def test_rank_design_holds_every_rank_at_exactly_the_budget_where_the_entropy_design_does_not(
    convac_state: np.ndarray, budget: int
) -> None:
    made = design_from_state(convac_state, (16,), budget, measure="rank", tol=1e-12, shared=True)
    assert made.n_params == budget
    cuts = canonical_cut_capacities(made.channels, 16, 2)
    assert all(c >= r for c, r in zip(cuts, (2, 3, 4, 2), strict=True))
    assert all(level.status != "short" for level in made.levels)
    # the entropy (0.06 nats at side 4, plus ln 2) asks for 3 where the state has rank 4
    by_entropy = design_from_state(convac_state, (16,), budget, shared=True)
    assert canonical_cut_capacities(by_entropy.channels, 16, 2)[2] < 4


def test_bad_truncation_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="tol"):
        truncation_rank([0.8, 0.6], tol=-0.1)
    with pytest.raises(convac.InputError, match="zero"):
        truncation_rank([0.0, 0.0])
    with pytest.raises(convac.InputError, match="non-negative"):
        truncation_rank([0.8, -0.6])


def test_bad_measure_and_tolerance_are_clear_errors(convac_state: np.ndarray) -> None:
    with pytest.raises(convac.InputError, match="measure"):
        canonical_profile(convac_state, (16,), measure="renyi")
    with pytest.raises(ValueError, match="tol"):
        canonical_profile(convac_state, (16,), measure="rank", tol=-1e-3)
    with pytest.raises(convac.InputError, match="method='feasible'"):
        design_from_state(convac_state, (16,), 80, method="objective", measure="rank")
