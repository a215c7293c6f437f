"""Canonical profiles sampled to a stated precision: seed-independent to it, and consistent with all blocks."""

import math

import numpy as np
import pytest
from scipy import stats

from convac.datatensor import LevelEntanglement, canonical_entanglement
from convac.errors import ConvacError


def _smooth_data(n=40, length=64, seed=0):
    """Correlated 1D signals in [0, 1]: a random walk plus noise, so every level carries entanglement."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=(n, length)), axis=1) / 4 + rng.normal(scale=0.3, size=(n, length))
    x = 1 / (1 + np.exp(-walk))
    half = length // 2
    return x, (x[:, :half].mean(axis=1) > x[:, half:].mean(axis=1)).astype(int)


@pytest.fixture(scope="module")
def data():
    x, y = _smooth_data()
    return x, y, canonical_entanglement(x, y)


def test_all_blocks_is_seed_independent_and_exact(data):
    x, y, full = data
    assert not full.sampled and all(lv.ci95 == 0.0 for lv in full.levels)
    assert canonical_entanglement(x, y, seed=7).to_dict() == full.to_dict()


@pytest.mark.parametrize(("seed", "max_blocks"), [(0, None), (1, None), (2, 32), (3, 16)])
def test_sampled_profiles_agree_to_their_confidence_intervals(data, seed, max_blocks):
    x, y, full = data
    prof = canonical_entanglement(x, y, precision=0.05, seed=seed, max_blocks=max_blocks)
    other = canonical_entanglement(x, y, precision=0.05, seed=seed + 10)
    assert prof.precision == 0.05 and prof.sampled
    for lv, ref, alt in zip(prof.levels, full.levels, other.levels, strict=True):
        cap = lv.n_blocks if max_blocks is None else min(max_blocks, lv.n_blocks)
        assert lv.ci95 <= 0.05 or len(lv.blocks) == cap
        # the precision is what the report states: the all-blocks mean lies within it, and two seeds agree
        assert abs(lv.mean - ref.mean) <= lv.ci95 + 1e-12
        assert abs(lv.mean - alt.mean) <= lv.ci95 + alt.ci95 + 1e-12
        assert lv.entropies == tuple(ref.entropies[i] for i in lv.blocks)
    # cheaper than all blocks
    assert sum(len(lv.blocks) for lv in prof.levels) < sum(lv.n_blocks for lv in full.levels)


def test_ci95_is_students_t_with_the_finite_population_factor():
    ents = (0.2, 0.4, 0.3, 0.5)
    lv = LevelEntanglement(side=1, depth=3, n_blocks=10, blocks=(0, 1, 2, 3), entropies=ents)
    sem = stats.sem(ents)
    expected = stats.t.ppf(0.975, 3) * sem * math.sqrt(6 / 9)
    assert lv.ci95 == pytest.approx(expected, rel=1e-12)
    assert LevelEntanglement(1, 3, 4, (0, 1, 2, 3), ents).ci95 == 0.0
    assert LevelEntanglement(1, 3, 4, (0,), (0.1,)).ci95 == math.inf


def test_bad_precision_is_an_input_error():
    x, y = _smooth_data(n=6, length=8)
    for bad in (0, -0.1, "a"):
        with pytest.raises(ConvacError, match="precision"):
            canonical_entanglement(x, y, precision=bad)
