"""Scale tasks: the label is a function of the d-pairs only, balanced, seeded, with uninformative marginals,
and the data's canonical entanglement peaks at the level of the pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from convac.data.scale_tasks import SCALES, scale_distance, scale_label, scale_pairs, scale_task
from convac.datatensor import canonical_entanglement
from convac.errors import InputError

CASES = [(n, s, q) for n in (8, 16, 32) for s in SCALES for q in (2, 3)]


@pytest.mark.parametrize(("n_positions", "scale", "n_types"), CASES)
def test_label_is_the_agreement_of_the_marked_d_pair(n_positions: int, scale: str, n_types: int) -> None:
    task = scale_task(200, scale, n_positions=n_positions, n_types=n_types, seed=1)
    pairs = scale_pairs(n_positions, task.distance)
    rows = np.arange(200)
    a, b = task.symbols[rows, pairs[task.marked, 0]], task.symbols[rows, pairs[task.marked, 1]]
    # computed here from the marked pair alone, not through scale_label
    assert np.array_equal(task.y, (a == b).astype(np.int64))
    assert np.array_equal(scale_label(task.symbols, task.distance), task.y)
    assert ((a > 0) & (b > 0)).all() and ((task.symbols > 0).sum(axis=1) == 2).all()
    assert (pairs[:, 1] - pairs[:, 0] == task.distance).all()
    # the pairs are the ones the pooling tree joins at block side 2d: both ends in one 2d-block, in its two halves
    assert (pairs[:, 0] // (2 * task.distance) == pairs[:, 1] // (2 * task.distance)).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.sampled_from(SCALES), perm_seed=st.integers(0, 2**16))
def test_permutations_that_keep_the_d_pairs_keep_every_label(seed: int, scale: str, perm_seed: int) -> None:
    task = scale_task(100, scale, n_positions=16, n_types=3, seed=seed)
    pairs = scale_pairs(16, task.distance)
    rng = np.random.default_rng(perm_seed)
    # send pair p to pair sigma(p), each end to either end (swaps inside pairs), and rename the types
    sigma, flip = rng.permutation(len(pairs)), rng.integers(0, 2, len(pairs))
    where = np.empty(16, dtype=np.int64)
    for p, (i, j) in enumerate(pairs):
        ti, tj = pairs[sigma[p]][:: 1 - 2 * flip[p]]
        where[i], where[j] = ti, tj
    moved = np.zeros_like(task.symbols)
    moved[:, where] = task.symbols
    types = np.concatenate([[0], rng.permutation(3) + 1])
    assert np.array_equal(scale_label(types[moved], task.distance), task.y)


@pytest.mark.parametrize("scale", SCALES)
def test_breaking_the_d_pairs_randomises_the_labels(scale: str) -> None:
    n = 4000
    task = scale_task(n, scale, n_positions=16, n_types=3, seed=2)
    pairs = scale_pairs(16, task.distance)
    rng = np.random.default_rng(0)
    redrawn = task.symbols.copy()
    redrawn[np.arange(n), pairs[task.marked, 1]] = rng.integers(1, 4, n)  # the second mark's type, afresh
    agree = scale_label(redrawn, task.distance) == task.y
    # new label = [t1 == t2'] with t2' uniform: it matches the old label with probability exactly 1/2
    assert stats.binomtest(int(agree.sum()), n, 0.5).pvalue > 1e-3
    # pairs at any other distance carry nothing: no sample has an agreeing pair there
    others = [d for d in (1, 2, 4, 8) if d != task.distance]
    assert all(scale_label(task.symbols, d).sum() == 0 for d in others)


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_classes_are_balanced_exactly(n: int) -> None:
    y = scale_task(n, "middle", seed=3).y
    assert int(y.sum()) == n // 2


def test_the_seed_gives_the_same_task_and_another_seed_another() -> None:
    a, b = scale_task(50, "long", seed=4), scale_task(50, "long", seed=4)
    assert np.array_equal(a.symbols, b.symbols) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.symbols, scale_task(50, "long", seed=5).symbols)
    assert np.array_equal(a.X, a.symbols / a.n_types) and a.X.min() >= 0 and a.X.max() <= 1


@pytest.mark.parametrize("scale", SCALES)
def test_no_single_position_depends_on_the_label(scale: str) -> None:
    task = scale_task(20_000, scale, n_positions=16, n_types=3, seed=5)
    pvalues = []
    for i in range(16):
        table = np.array([[np.sum((task.symbols[:, i] == k) & (task.y == c)) for k in range(4)] for c in (0, 1)])
        pvalues.append(stats.chi2_contingency(table).pvalue)
        # and the frequencies are the designed ones: marked with probability 2/16, each type alike
        freq = table.sum(axis=0) / table.sum()
        assert abs(freq[0] - 14 / 16) < 0.01 and np.allclose(freq[1:], 2 / 16 / 3, atol=0.006)
    # every position's symbol is independent of the class; Bonferroni over 16 positions at 1e-3
    assert min(pvalues) > 1e-3 / 16


@pytest.mark.parametrize("scale", SCALES)
def test_canonical_entanglement_peaks_at_the_level_of_the_pairs(scale: str) -> None:
    task = scale_task(500, scale, n_positions=16, n_types=3, seed=0)
    profile = canonical_entanglement(task.X, task.y)
    sides = [lv.side for lv in profile.levels]
    peak = sides[int(np.argmax(profile.means))]
    # blocks of side d cut d pairs; blocks of side 2d and more cut none
    assert peak == task.distance, (sides, profile.means)
    at_d = profile.means[sides.index(task.distance)]
    assert all(m < at_d for s, m in zip(sides, profile.means, strict=True) if s > task.distance)


def test_named_scales_and_distances() -> None:
    assert [scale_distance(s, 32) for s in SCALES] == [2, 8, 16]
    assert scale_pairs(4, 1).tolist() == [[0, 1], [2, 3]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: scale_task(10, "huge"), "scale must be one of 'short', 'middle', 'long', got 'huge'"),
        (lambda: scale_task(10, 3), "distance must be a power of two with 2 * distance <= n_positions = 16, got 3"),
        (lambda: scale_task(10, 16), "distance must be a power of two with 2 * distance <= n_positions = 16, got 16"),
        (lambda: scale_task(10, n_positions=12), "n_positions must be a power of two of at least 4, got 12"),
        (lambda: scale_task(10, n_types=1), "n_types must be at least 2 (class 0 needs two different mark types)"),
        (lambda: scale_task(0), "n_samples"),
        (lambda: scale_label([[0.5, 1.0]], 1), "symbols must be an integer array of shape (n, N), got float64"),
        (lambda: scale_label([1, 0], 1), "symbols must be an integer array of shape (n, N), got int64 of shape (2,)"),
    ],
)
def test_bad_arguments_say_what_is_allowed(call: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        call()  # type: ignore[operator]
    assert message in str(err.value)
