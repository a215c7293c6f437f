"""Canonical partitions of the pooling tree and the per-level profile."""

import itertools

import numpy as np
import pytest

import convac
from convac.datatensor import canonical_entanglement, canonical_levels, canonical_partitions, design_profile
from convac.errors import ConvacError, PartitionError


@pytest.mark.parametrize("grid", [(8,), (16,), (4, 4), (8, 8), (28, 28), (5,), (3, 6)])
def test_levels_tile_the_grid_and_nest(grid):
    n = int(np.prod(grid))
    levels = canonical_levels(grid)
    coarse = levels[-1]
    assert sorted(p for b in coarse.blocks for p in b) == list(range(n))
    for fine, parent in itertools.pairwise(levels):
        # every block lies inside one block of the level above it (or is a leaf carried down)
        for b in fine.blocks:
            owners = [pb for pb in parent.blocks if set(b) <= set(pb)]
            assert len(owners) == 1
    for lv in levels:
        flat = [p for b in lv.blocks for p in b]
        assert len(flat) == len(set(flat))


def test_power_of_two_levels_are_the_paper_blocks():
    levels = canonical_levels((16,))
    assert [lv.side for lv in levels] == [1, 2, 4, 8]
    assert levels[1].blocks[3] == (6, 7)
    grid = canonical_levels((8, 8))
    assert [lv.side for lv in grid] == [1, 2, 4]
    assert grid[1].blocks[0] == (0, 1, 8, 9)  # 2x2 squares
    assert len(grid[2].blocks) == 4 and all(len(b) == 16 for b in grid[2].blocks)
    parts = canonical_partitions((8, 8), 4)
    assert [p.side_a for p in parts][1] == tuple(r * 8 + c for r in range(4) for c in range(4, 8))
    with pytest.raises(PartitionError, match="no pooling level"):
        canonical_partitions((8,), 3)


def test_profile_bounds_and_sampling():
    rng = np.random.default_rng(0)
    X = rng.random((12, 16))
    prof = canonical_entanglement(X, np.arange(12) % 2)
    assert not prof.sampled
    for lv in prof.levels:
        assert len(lv.blocks) == lv.n_blocks
        assert lv.mean <= min(lv.side * np.log(2), np.log(12)) + 1e-9
    assert prof.levels[1].entropies[0] == pytest.approx(
        convac.data_entanglement(X, np.arange(12) % 2, canonical_partitions((16,), 2)[0]).entropy, abs=1e-12
    )
    few = canonical_entanglement(X, max_blocks=2, seed=3)
    assert few.sampled and all(len(lv.blocks) <= 2 for lv in few.levels)
    assert canonical_entanglement(X, max_blocks=2, seed=3).to_dict() == few.to_dict()
    with pytest.raises(ConvacError, match="max_blocks"):
        canonical_entanglement(X, max_blocks=0)


def test_product_data_has_zero_profile_and_no_design_profile():
    prof = canonical_entanglement(np.random.default_rng(1).random((1, 8)))
    assert prof.means == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
    with pytest.raises(ConvacError, match="zero entanglement"):
        design_profile(prof)


def test_design_takes_a_data_profile():
    rng = np.random.default_rng(2)
    X = rng.random((20, 16))
    prof = canonical_entanglement(X, np.arange(20) % 2)
    weights = prof.design_profile()
    assert set(weights) == {"checkerboard", "blocks(2)", "blocks(4)", "left_right"}
    d = convac.design((16,), budget=300, profile=prof)
    total = sum(weights.values())
    assert d.profile == pytest.approx({k: v / total for k, v in weights.items()})
    assert d.n_params <= 300
