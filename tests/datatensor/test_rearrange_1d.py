"""1D entanglement orders: direction fixed by the data, misplaced blocks moved back (Or-opt)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.datatensor._seriate import _or_opt, _path_cost, _polish, _two_opt, orient


def graded_ar1(n, length, seed):
    """AR(1) whose coupling grows along the sequence (0.6 -> 0.95): feature 0's strongest link is the weakest."""
    rng = np.random.default_rng(seed)
    phi = np.linspace(0.6, 0.95, length)
    x = np.empty((n, length))
    x[:, 0] = rng.standard_normal(n)
    for i in range(1, length):
        x[:, i] = phi[i] * x[:, i - 1] + np.sqrt(1 - phi[i] ** 2) * rng.standard_normal(n)
    return (x - x.min()) / (x.max() - x.min())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_direction_follows_the_data_not_the_seed(seed):
    """The known order comes back exactly, not reversed, whatever the scramble and the bisector's seed."""
    X = graded_ar1(3000, 32, 0)
    shuffle = np.random.default_rng([seed, 3]).permutation(32)
    perm = convac.rearrange_features(X[:, shuffle], seed=seed)
    assert shuffle[perm].tolist() == list(range(32))


def test_orient_reverses_only_when_the_first_end_is_the_stronger():
    w = np.diag([0.9, 0.5, 0.2], 1)
    w = w + w.T
    assert orient(w, np.arange(4)).tolist() == [3, 2, 1, 0]
    assert orient(w, np.arange(4)[::-1].copy()).tolist() == [3, 2, 1, 0]
    assert orient(w, np.array([2])).tolist() == [2]


def test_or_opt_moves_a_block_that_2_opt_cannot():
    """8 points in the plane (seed 2): 2-opt stops above the brute-force shortest path; Or-opt reaches it."""
    pts = np.random.default_rng(2).random((8, 2))
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    best = min(_path_cost(d, np.array(p)) for p in itertools.permutations(range(8)))
    stuck = _two_opt(d, np.arange(8), max_passes=50)
    assert _path_cost(d, stuck) > best + 0.1
    assert _path_cost(d, _or_opt(d, stuck.copy())) == pytest.approx(best, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7))
def test_polish_never_lengthens_and_reaches_brute_force_on_a_line(seed, n):
    """Polishing keeps a permutation and never lengthens the path; on points of a line it reaches the optimum."""
    rng = np.random.default_rng(seed)
    pts = rng.random(n)
    d = np.abs(pts[:, None] - pts[None, :])
    start = rng.permutation(n)
    out = _polish(d, start)
    assert sorted(out.tolist()) == list(range(n))
    assert _path_cost(d, out) <= _path_cost(d, start) + 1e-12
    best = min(_path_cost(d, np.array(p)) for p in itertools.permutations(range(n)))
    assert _path_cost(d, out) == pytest.approx(best, abs=1e-12)
