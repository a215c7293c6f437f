"""rearrange_features keeps order: a scrambled known order comes back with block order and orientation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

import convac
from convac.datatensor import affinity, canonical_entanglement
from convac.datatensor._igtd import _ranks, igtd
from convac.datatensor._rearrange import LEGACY_METHODS, METHODS
from convac.datatensor._seriate import greedy_chain, snake, spectral_order
from convac.errors import ConvacError


def ar1(n, length, phi, seed):
    """Stationary AR(1) sequences scaled to [0, 1]: corr(i, j) = phi^|i - j|, a path of decaying affinity."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, length))
    x[:, 0] = rng.standard_normal(n)
    for i in range(1, length):
        x[:, i] = phi * x[:, i - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(n)
    return (x - x.min()) / (x.max() - x.min())


def smooth_fields(n, side, sigma, seed):
    """Isotropic smooth random fields on a side x side torus-free grid, scaled to [0, 1]."""
    rng = np.random.default_rng(seed)
    f = np.stack([gaussian_filter(rng.standard_normal((side + 8, side + 8)), sigma)[4:-4, 4:-4] for _ in range(n)])
    return (f - f.min()) / (f.max() - f.min())


def dihedral(a):
    """The 8 images of a square array under flips and rotations."""
    return [np.rot90(b, k) for b in (a, a.T) for k in range(4)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ar1_order_recovered_exactly_up_to_reversal(seed):
    X = ar1(3000, 32, 0.8, seed)
    shuffle = np.random.default_rng([seed, 1]).permutation(32)
    perm = convac.rearrange_features(X[:, shuffle], seed=seed)
    back = shuffle[perm]  # original position of the feature at each new position
    assert back.tolist() in (list(range(32)), list(range(31, -1, -1)))


@pytest.mark.parametrize("seed", [0, 1])
def test_ar1_order_is_lost_without_block_order(seed):
    """The old behaviour keeps the blocks but not their order: what the new default adds."""
    X = ar1(3000, 32, 0.8, seed)
    shuffle = np.random.default_rng([seed, 1]).permutation(32)
    back = shuffle[convac.rearrange_features(X[:, shuffle], method="entanglement-unordered", seed=seed)]
    assert back.tolist() not in (list(range(32)), list(range(31, -1, -1)))
    assert sorted(back[:16] // 16) in ([0] * 16, [1] * 16)  # ... while the halves are right


@pytest.mark.parametrize("method", ["entanglement", "entanglement-blocks"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_2d_field_recovered_up_to_symmetry(seed, method):
    """A smooth isotropic field on 8x8: the grid comes back up to a flip/rotation of the whole, with tolerance.

    Tolerance: at least 90 % of the 4-neighbour pairs of the result are neighbours in the original grid,
    and the best of the 8 symmetries matches at least 75 % of the positions exactly.
    """
    X = smooth_fields(2000, 8, 1.5, seed).reshape(2000, 64)
    shuffle = np.random.default_rng([seed, 2]).permutation(64)
    perm = convac.rearrange_features(X[:, shuffle].reshape(-1, 8, 8), method=method, seed=seed)
    back = shuffle[perm].reshape(8, 8)
    r, c = np.divmod(back, 8)
    steps = np.concatenate([(abs(np.diff(r, axis=a)) + abs(np.diff(c, axis=a))).ravel() for a in (0, 1)])
    assert np.mean(steps == 1) >= 0.9
    natural = np.arange(64).reshape(8, 8)
    assert max(np.mean(back == d) for d in dihedral(natural)) >= 0.75


def test_ordering_keeps_the_canonical_entanglement():
    """Ordering and orienting blocks are symmetries of the pooling tree: the measure does not move."""
    X = ar1(400, 16, 0.7, 5)[:, np.random.default_rng(5).permutation(16)]
    ordered = convac.rearrange_features(X, method="entanglement")
    unordered = convac.rearrange_features(X, method="entanglement-unordered")
    assert not np.array_equal(ordered, unordered)
    a = canonical_entanglement(X[:200, ordered]).means
    b = canonical_entanglement(X[:200, unordered]).means
    np.testing.assert_allclose(a, b, atol=1e-9)
    Y = smooth_fields(300, 4, 1.0, 6).reshape(300, 16)[:, np.random.default_rng(6).permutation(16)]
    ordered = convac.rearrange_features(Y.reshape(-1, 4, 4), method="entanglement-blocks")
    unordered = convac.rearrange_features(Y.reshape(-1, 4, 4), method="entanglement-unordered")
    a = canonical_entanglement(Y[:150, ordered].reshape(-1, 4, 4)).means
    b = canonical_entanglement(Y[:150, unordered].reshape(-1, 4, 4)).means
    np.testing.assert_allclose(a, b, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    method=st.sampled_from(sorted(METHODS) + list(LEGACY_METHODS)),
    shape=st.sampled_from([(2,), (7,), (12,), (3, 5), (4, 4), (1, 6)]),
    seed=st.integers(0, 3),
)
def test_every_method_returns_a_permutation(method, shape, seed):
    n = int(np.prod(shape))
    X = np.random.default_rng(seed).random((20, *shape))
    perm = convac.rearrange_features(X, method=method, seed=seed)
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(n))


@pytest.mark.parametrize("legacy", LEGACY_METHODS)
def test_legacy_names_are_the_unordered_bisection(legacy):
    X = ar1(200, 12, 0.6, 7)
    bisector = "auto" if legacy == "auto" else legacy
    expected = convac.rearrange_features(X, method="entanglement-unordered", bisector=bisector)
    np.testing.assert_array_equal(convac.rearrange_features(X, method=legacy), expected)


def test_baselines_on_a_path():
    """On a path graph the chain and the Fiedler vector recover the path; snake keeps grid neighbours."""
    w = np.diag(np.full(9, 0.9), 1) + np.diag(np.full(8, 0.4), 2)
    w = w + w.T
    shuffle = np.random.default_rng(8).permutation(10)
    for order in (greedy_chain(w[np.ix_(shuffle, shuffle)]), spectral_order(w[np.ix_(shuffle, shuffle)], (1, 10))):
        assert shuffle[order].tolist() in (list(range(10)), list(range(9, -1, -1)))
    grid = snake(np.arange(12), (3, 4)).reshape(3, 4)
    assert grid.tolist() == [[0, 1, 2, 3], [7, 6, 5, 4], [8, 9, 10, 11]]


def _igtd_error(w, perm, shape):
    n = len(perm)
    pixel = np.empty(n, dtype=int)
    pixel[perm] = np.arange(n)
    rr, cc = np.divmod(np.arange(n), shape[1])
    q = _ranks(np.hypot(rr[:, None] - rr, cc[:, None] - cc))
    return np.abs(_ranks(1 - w) - q[np.ix_(pixel, pixel)]).sum() / 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_igtd_lowers_its_error_and_recovers_a_consistent_grid(seed):
    """When feature distances are pixel distances, IGTD's swaps reach zero error: the grid up to symmetry.

    (A local search: other scrambles can stop in a local minimum, e.g. ``default_rng(9)``'s.)
    """
    rr, cc = np.divmod(np.arange(16), 4)
    dist = np.hypot(rr[:, None] - rr, cc[:, None] - cc)
    w = 1 - dist / dist.max()
    np.fill_diagonal(w, 0)
    shuffle = np.random.default_rng(seed).permutation(16)
    ws = w[np.ix_(shuffle, shuffle)]
    perm = igtd(ws, (4, 4), seed=0)
    assert _igtd_error(ws, np.arange(16), (4, 4)) > 0
    assert _igtd_error(ws, perm, (4, 4)) == 0
    back = shuffle[perm].reshape(4, 4)
    assert any(np.array_equal(back, d) for d in dihedral(np.arange(16).reshape(4, 4)))


def test_affinity_used_is_the_documented_one():
    X = ar1(100, 6, 0.5, 10)
    np.testing.assert_allclose(affinity(X), np.abs(np.corrcoef(X.T)) - np.eye(6), atol=1e-12)


def test_bad_method_and_bisector():
    X = np.random.default_rng(11).random((10, 4))
    with pytest.raises(ConvacError, match=r"method must be one of 'entanglement', .*'igtd', 'auto'.*got 'refined'"):
        convac.rearrange_features(X, method="refined")
    with pytest.raises(ConvacError, match="bisector must be one of 'auto', 'metis', 'kernighan_lin', got 'louvain'"):
        convac.rearrange_features(X, bisector="louvain")
