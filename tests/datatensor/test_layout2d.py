"""The 2D layout of the entanglement method: embedding, assignment, swap polish."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

import convac
from convac.datatensor._layout2d import embedding_layout, grid_adjacency, swap_polish
from convac.datatensor._seriate import grid_score


def framed_fields(n, side, frame, sigma, seed):
    """Smooth random fields in the centre of a side x side canvas whose ``frame`` outer rings are blank (MNIST-like)."""
    rng = np.random.default_rng(seed)
    inner = side - 2 * frame
    f = np.stack([gaussian_filter(rng.standard_normal((inner + 8, inner + 8)), sigma)[4:-4, 4:-4] for _ in range(n)])
    f = (f - f.min()) / (f.max() - f.min())
    canvas = np.zeros((n, side, side))
    canvas[:, frame : side - frame, frame : side - frame] = f
    return canvas


def field_layout(back, side, frame):
    """(share of centre cells holding blank features, share of field-field cell pairs that are true neighbours)."""
    r, c = np.divmod(back.reshape(side, side), side)
    blank = (r < frame) | (r >= side - frame) | (c < frame) | (c >= side - frame)
    pairs, true = 0, 0
    for a in (0, 1):
        both = np.diff(blank.astype(int), axis=a) == 0
        both &= ~(blank[:-1] if a == 0 else blank[:, :-1])
        step = (abs(np.diff(r, axis=a)) + abs(np.diff(c, axis=a))) == 1
        pairs, true = pairs + both.sum(), true + (both & step).sum()
    return blank[frame:-frame, frame:-frame].mean(), true / pairs


@pytest.mark.parametrize("seed", [0, 1])
def test_blank_frame_goes_to_the_border_and_the_field_keeps_its_geometry(seed):
    """16x16 canvases, a smooth field inside a blank 2-cell frame (MNIST-like), permuted.

    The default puts the field in the middle (at most 10 % of the 12x12 centre blank) with >= 90 % of
    the field's cell pairs true neighbours; the quadrant bisection ("entanglement-blocks") gives the 112
    blank features a region of their own (about 40 % of the centre blank) and keeps fewer neighbours.
    """
    side, frame = 16, 2
    X = framed_fields(1500, side, frame, 1.5, seed).reshape(-1, side, side)
    shuffle = np.random.default_rng([seed, 4]).permutation(side * side)
    X = X.reshape(-1, side * side)[:, shuffle].reshape(-1, side, side)
    blank, kept = field_layout(shuffle[convac.rearrange_features(X, seed=seed)], side, frame)
    assert blank <= 0.1 and kept >= 0.9
    blank_b, kept_b = field_layout(shuffle[convac.rearrange_features(X, method="entanglement-blocks")], side, frame)
    assert blank_b >= 0.3 and kept_b < kept


def test_distance_affinity_is_recovered_exactly_up_to_symmetry():
    r, c = np.divmod(np.arange(64), 8)
    w = np.exp(-np.hypot(r[:, None] - r, c[:, None] - c))
    np.fill_diagonal(w, 0)
    shuffle = np.random.default_rng(3).permutation(64)
    back = shuffle[embedding_layout(w[np.ix_(shuffle, shuffle)], (8, 8))].reshape(8, 8)
    natural = np.arange(64).reshape(8, 8)
    assert any(np.array_equal(back, np.rot90(b, k)) for b in (natural, natural.T) for k in range(4))


def _random_affinity(rng, n):
    """A symmetric random affinity with a zero diagonal (n x n)."""
    w = rng.random((n, n))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0)
    return w


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(2, 3), (3, 3), (3, 4), (4, 4)]))
def test_swap_polish_climbs_to_a_swap_local_optimum(seed, shape):
    """The score never drops, and at the end no single swap (brute force over all pairs) raises it."""
    rng = np.random.default_rng(seed)
    n = shape[0] * shape[1]
    w = _random_affinity(rng, n)
    start = rng.permutation(n).reshape(shape)
    out = swap_polish(w, start)
    assert sorted(out.ravel().tolist()) == list(range(n))
    final = grid_score(w, out)
    assert final >= grid_score(w, start) - 1e-9
    flat = out.ravel()
    for p in range(n):
        for q in range(p + 1, n):
            trial = flat.copy()
            trial[[p, q]] = trial[[q, p]]
            assert grid_score(w, trial.reshape(shape)) <= final + 1e-9


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(1, 5), (2, 2), (3, 5), (4, 4)]))
def test_grid_adjacency_is_the_grid_score(seed, shape):
    rng = np.random.default_rng(seed)
    n = shape[0] * shape[1]
    w = _random_affinity(rng, n)
    grid = rng.permutation(n)
    adj = grid_adjacency(shape).toarray()
    assert 0.5 * np.sum(adj * w[np.ix_(grid, grid)]) == pytest.approx(grid_score(w, grid.reshape(shape)))


def test_without_live_features_every_feature_is_embedded():
    w = np.full((9, 9), 0.1)
    np.fill_diagonal(w, 0)
    assert sorted(embedding_layout(w, (3, 3)).tolist()) == list(range(9))
