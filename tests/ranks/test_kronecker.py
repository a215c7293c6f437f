"""The root matricization as a sum of Kronecker products, and the shape of the App. D gap partitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ArchitectureError
from convac.ranks import generic_ranks, rank_mod
from convac.ranks._generic_rank import _matricize, coefficient_tensor_mod
from convac.ranks._kronecker import gap_pattern, half_tensors_mod, kronecker_sum_matricization

P = 4194301  # FAST_PRIME
BALANCED = [(0, *rest) for rest in itertools.combinations(range(1, 16), 7)]


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from([[3, 3, 2], [2, 5, 3], [4, 2, 2]]),
    st.lists(st.booleans(), min_size=7, max_size=7),
    st.integers(0, 2**16),
)
def test_kronecker_sum_equals_the_network_matricization(channels: list[int], bits: list[bool], seed: int) -> None:
    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=channels)
    side_a = (0, *[i + 1 for i, b in enumerate(bits) if b])
    if len(side_a) == 8:
        side_a = (0,)
    part = convac.Partition(8, side_a)
    direct = _matricize(coefficient_tensor_mod(arch, seed=seed, prime=P), part)
    assert (kronecker_sum_matricization(arch, part, seed=seed, prime=P) == direct).all()


def _terms(arch: convac.Architecture, side_a: tuple[int, ...], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    h_u, h_w, a = half_tensors_mod(arch, seed, P)
    out = []
    for g in range(a.shape[0]):
        mats = []
        for tensor, offset in ((h_u[..., g], 0), (h_w[..., g], 8)):
            rows = [i - offset for i in side_a if offset <= i < offset + 8]
            cols = [i - offset for i in range(offset, offset + 8) if i not in side_a]
            mats.append(np.transpose(tensor, rows + cols).reshape(2 ** len(rows), 2 ** len(cols)))
        out.append((mats[0], mats[1]))
    return out


def test_gap_mechanism_two_kronecker_terms_with_overlapping_column_spaces() -> None:
    # Channels [3, 5, 11, 2]: r_3 = 2, so [A] = a_0 X_u^0 (x) X_w^0 + a_1 X_u^1 (x) X_w^1.
    arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[3, 5, 11, 2])
    side_a = (0, 1, 2, 3, 4, 8, 9, 10)  # {0..3} in A, {12..15} in B, {4..7} split 1/3, {8..11} 3/1
    part = convac.Partition(16, side_a)
    seed = 0
    full = kronecker_sum_matricization(arch, part, seed=seed, prime=P)
    assert (full == _matricize(coefficient_tensor_mod(arch, seed=seed, prime=P), part)).all()
    (xu0, xw0), (xu1, xw1) = _terms(arch, side_a, seed)
    r = [[rank_mod(x, P) for x in pair] for pair in ((xu0, xw0), (xu1, xw1))]
    assert r == [[6, 6], [6, 6]]  # each Kronecker term has rank 36
    # Joint column and row spaces of each half: X_u^g = C_u K_u^g R_u^T with 10 x 6 cores K_u^g,
    # X_w^g with 6 x 10 cores, so [A] is equivalent to a_0 K_u^0 (x) K_w^0 + a_1 K_u^1 (x) K_w^1,
    # a 60 x 60 matrix: 60 = 10 * 6 is exactly the min-cut.
    spans = [
        rank_mod(np.hstack([xu0, xu1]), P),
        rank_mod(np.vstack([xu0, xu1]), P),
        rank_mod(np.hstack([xw0, xw1]), P),
        rank_mod(np.vstack([xw0, xw1]), P),
    ]
    assert spans == [10, 6, 6, 10]
    rank = rank_mod(full, P)
    cut = convac.min_cut(arch, part).value
    assert rank == 56 and cut == 60
    # The shortfall is a property of sums of two Kronecker products of these shapes, not of
    # the network: with independent uniform 10 x 6 and 6 x 10 factors the rank is 56 as well,
    # while square factors (8 x 8) fill the whole space.
    rng = np.random.default_rng(1)

    def two_term_rank(m: int, n: int) -> int:
        u = [rng.integers(0, P, (m, n)).astype(object) for _ in range(2)]
        w = [rng.integers(0, P, (n, m)).astype(object) for _ in range(2)]
        return rank_mod(((np.kron(u[0], w[0]) + np.kron(u[1], w[1])) % P).astype(np.int64), P)

    assert two_term_rank(10, 6) == 56 and two_term_rank(8, 8) == 64
    # Generic, not a bad draw: two more weight draws and the largest prime give the same rank.
    assert generic_ranks(arch, [part, part], seed=1) == [56, 56]
    assert convac.generic_rank(arch, part, seed=2, prime=2**31 - 1) == 56


def test_gap_mechanism_with_three_kronecker_terms() -> None:
    # The full grid also has gaps with r_3 = 3: channels [5, 11, 13, 3] give rank 172 against
    # min-cut 176 on the same partition shape. Each X has rank 8; the joint spans are 22, 8, 8, 22,
    # so [A] reduces to a sum of three Kronecker products of 22 x 8 and 8 x 22 cores, a 176 x 176
    # matrix that three such terms cannot fill.
    arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[5, 11, 13, 3])
    side_a = (0, 1, 2, 3, 4, 8, 9, 10)
    part = convac.Partition(16, side_a)
    terms = _terms(arch, side_a, seed=0)
    assert len(terms) == 3 and all(rank_mod(x, P) == 8 for pair in terms for x in pair)
    xu, xw = [t[0] for t in terms], [t[1] for t in terms]
    spans = [
        rank_mod(np.hstack(xu), P),
        rank_mod(np.vstack(xu), P),
        rank_mod(np.hstack(xw), P),
        rank_mod(np.vstack(xw), P),
    ]
    assert spans == [22, 8, 8, 22]
    assert convac.min_cut(arch, part).value == 176
    assert rank_mod(kronecker_sum_matricization(arch, part, seed=0, prime=P), P) == 172
    rng = np.random.default_rng(1)

    def kronecker_sum_rank(m: int, n: int, terms: int) -> int:
        u = [rng.integers(0, P, (m, n)).astype(object) for _ in range(terms)]
        w = [rng.integers(0, P, (n, m)).astype(object) for _ in range(terms)]
        return rank_mod((sum(np.kron(u[g], w[g]) for g in range(terms)) % P).astype(np.int64), P)

    # Independent uniform cores of the same shapes fall short by the same 4; 16 x 11 cores fill 176.
    assert kronecker_sum_rank(22, 8, 3) == 172 and kronecker_sum_rank(16, 11, 3) == 176
    assert convac.generic_rank(arch, part, seed=3, prime=2**31 - 1) == 172


def test_gap_partitions_have_the_gap_shape_on_a_subset() -> None:
    # A subset of the full scan (benchmarks/gap_scan.py): every shaped partition plus a seeded
    # sample of the rest. Gaps occur only in shaped partitions; half of the shaped ones have one.
    arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[3, 5, 11, 2])
    shaped = [s for s in BALANCED if gap_pattern(s)]
    rng = np.random.default_rng(0)
    others = [BALANCED[i] for i in rng.choice(len(BALANCED), 80, replace=False) if not gap_pattern(BALANCED[i])]
    parts = [convac.Partition(16, s) for s in shaped + others]
    cuts = [int(c) for c in convac.min_cut_values(arch, np.array([q.mask for q in parts]))]
    ranks = generic_ranks(arch, parts, seed=0, prime=P, cap=[c + 1 for c in cuts])
    gaps = [i for i, (r, c) in enumerate(zip(ranks, cuts, strict=True)) if r < c]
    assert len(shaped) == 128
    assert gaps and all(i < len(shaped) for i in gaps)
    assert len(gaps) == 64
    assert {(ranks[i], cuts[i]) for i in gaps} == {(56, 60)}
    # Among the shaped partitions, the gaps are exactly those whose halves split 5/3 (a whole
    # block plus one input of its neighbour on one side); a 7/1 split has min-cut 8 and no gap.
    five_three = [sorted([len(set(s) & set(range(8))), len(set(s) & set(range(8, 16)))]) == [3, 5] for s in shaped]
    assert [i for i in range(len(shaped)) if five_three[i]] == gaps
    # Not every gap partition has {0,1,2,3} on side A (position 0 is always on side A here,
    # so the whole block on side A may be {4..7}).
    assert any(not set(range(4)) <= set(shaped[i]) for i in gaps)


def test_gap_pattern_and_bad_inputs() -> None:
    assert gap_pattern((0, 1, 2, 3, 4, 8, 9, 10))
    assert gap_pattern((0, 4, 5, 6, 7, 9, 10, 11))  # {4..7} in A, {12..15} in B, {0..3} split 1/3, {8..11} 3/1
    assert not gap_pattern((0, 1, 2, 3, 8, 9, 10, 11))  # whole blocks only
    assert not gap_pattern((0, 1, 2, 3, 4, 5, 12, 13))  # 2/2 splits
    assert sum(gap_pattern(s) for s in BALANCED) == 128
    with pytest.raises(ArchitectureError, match="N = 16"):
        gap_pattern((0, 1), n_inputs=4)
    with pytest.raises(ArchitectureError, match="deep 1D ConvAC with window 2"):
        half_tensors_mod(convac.Architecture.shallow(n_inputs=4, n_features=2, hidden=3), 0, P)
