"""Partitions: validation, named families, 2D numbering."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convac import Architecture, Partition, PartitionError

ARCH_1D = Architecture.deep_1d(16, 2, [2, 2, 2, 2])
ARCH_2D = Architecture.deep_2d(4, 4, 2, [2, 2])


def test_left_right_and_interleaved_1d():
    assert Partition.left_right(ARCH_1D).side_a == tuple(range(8))
    assert Partition.interleaved(ARCH_1D).side_a == tuple(range(0, 16, 2))
    assert Partition.checkerboard(ARCH_1D).side_a == tuple(range(0, 16, 2))
    assert Partition.blocks(ARCH_1D, 8).side_a == Partition.left_right(ARCH_1D).side_a
    assert Partition.blocks(ARCH_1D, 4).side_a == (0, 1, 2, 3, 8, 9, 10, 11)


def test_2d_families_use_row_major_positions():
    lr = Partition.left_right(ARCH_2D)
    assert lr.side_a == (0, 1, 4, 5, 8, 9, 12, 13)
    ud = Partition.up_down(ARCH_2D)
    assert ud.side_a == tuple(range(8))
    cb = Partition.checkerboard(ARCH_2D)
    rows, cols = np.divmod(np.array(cb.side_a), 4)
    assert np.all((rows + cols) % 2 == 0) and len(cb.side_a) == 8
    assert Partition.interleaved(ARCH_2D) == cb
    assert cb.picture().splitlines() == ["ABAB", "BABA", "ABAB", "BABA"]
    blocks = Partition.blocks(ARCH_2D, 2)
    assert blocks.picture().splitlines() == ["AABB", "AABB", "BBAA", "BBAA"]


@given(n=st.integers(2, 64), seed=st.integers(0, 10_000))
def test_random_is_balanced_reproducible_and_valid(n, seed):
    p = Partition.random(n, seed=seed)
    assert p == Partition.random(n, seed=seed)
    assert len(p.side_a) == n // 2
    assert sorted(p.side_a + p.side_b) == list(range(n))
    assert p.swapped().side_a == p.side_b


def test_mask_round_trip():
    p = Partition(6, [1, 3])
    assert p.mask.tolist() == [False, True, False, True, False, False]
    assert Partition.from_mask(p.mask) == p


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Partition(4, []), "side_a is empty"),
        (lambda: Partition(4, [0, 1, 2, 3]), "side_b is empty"),
        (lambda: Partition(4, [0, 5]), "outside 0..3"),
        (lambda: Partition(4, [-1]), "outside 0..3"),
        (lambda: Partition(4, [0, 0, 1]), "more than once"),
        (lambda: Partition(4, [0, 1], [1, 2, 3]), "disjoint"),
        (lambda: Partition(4, [0], [1, 2]), "on neither side"),
        (lambda: Partition(1, [0]), "at least 2 positions"),
        (lambda: Partition.up_down(ARCH_1D), "needs a 2D grid"),
        (lambda: Partition.blocks(ARCH_1D, 16), "block width must be in 1..15"),
        (lambda: Partition.random(8, size=8), "size of side A"),
        (lambda: Partition(6, [0, 1], grid=(2, 2)), "grid"),
    ],
)
def test_bad_partitions(build, match):
    with pytest.raises(PartitionError, match=match):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Partition(4, "01"),
        lambda: Partition(4, [0.0, 1]),
        lambda: Partition(4.0, [0]),
        lambda: Partition(4, [True]),
        lambda: Partition.left_right("arch"),
        lambda: Partition.blocks(ARCH_1D, 2.0),
    ],
)
def test_bad_partition_types(build):
    with pytest.raises(TypeError):
        build()


def test_check_fits():
    Partition.left_right(ARCH_1D).check_fits(ARCH_1D)
    with pytest.raises(PartitionError, match="16 inputs"):
        Partition(8, [0]).check_fits(ARCH_1D)
