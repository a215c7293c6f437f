"""rearrange_features recovers hidden group structure and lowers canonical entanglement."""

import sys

import numpy as np
import pytest

import convac
from convac.datatensor import affinity, canonical_entanglement
from convac.errors import ConvacError, InputError


def grouped(n, n_groups, size, seed):
    """Features in correlated groups: each group is one latent value plus small noise."""
    rng = np.random.default_rng(seed)
    z = rng.random((n, n_groups))
    x = np.repeat(z, size, axis=1) + 0.08 * rng.standard_normal((n, n_groups * size))
    return np.clip(x, 0, 1)


@pytest.mark.parametrize("method", ["metis", "kernighan_lin"])
def test_hidden_groups_are_recovered_1d(method):
    X = grouped(300, 4, 4, seed=0)
    shuffle = np.random.default_rng(1).permutation(16)
    Xs = X[:, shuffle]
    perm = convac.rearrange_features(Xs, method=method)
    assert sorted(perm.tolist()) == list(range(16))
    groups = shuffle[perm] // 4  # original group of the feature at each new position
    assert all(len(set(groups[i : i + 4])) == 1 for i in range(0, 16, 4))
    sub = slice(0, 60)
    original = canonical_entanglement(X[sub]).means
    shuffled = canonical_entanglement(Xs[sub]).means
    back = canonical_entanglement(Xs[sub][:, perm]).means
    assert shuffled[2] > original[2] + 0.5  # blocks of 4 cut groups apart when shuffled
    assert back[2] == pytest.approx(original[2], abs=0.05)


def test_hidden_groups_fill_quadrants_2d():
    X = grouped(300, 4, 4, seed=2)
    shuffle = np.random.default_rng(3).permutation(16)
    perm = convac.rearrange_features(X[:, shuffle].reshape(-1, 4, 4), method="metis")
    groups = (shuffle[perm] // 4).reshape(4, 4)
    for r in (0, 2):
        for c in (0, 2):
            assert len(set(groups[r : r + 2, c : c + 2].ravel().tolist())) == 1


def test_grid_option_and_odd_sizes():
    X = grouped(100, 3, 5, seed=4)
    perm = convac.rearrange_features(X, grid=(3, 5), method="kernighan_lin")
    assert sorted(perm.tolist()) == list(range(15))
    assert sorted(convac.rearrange_features(X[:, :7], method="metis").tolist()) == list(range(7))


def test_affinity_is_abs_correlation_and_handles_constants():
    rng = np.random.default_rng(5)
    X = rng.random((50, 3))
    X[:, 2] = 0.5
    a = affinity(X)
    assert a[0, 1] == pytest.approx(abs(np.corrcoef(X[:, 0], X[:, 1])[0, 1]))
    assert a[0, 2] == 0 and a[2, 2] == 0
    labels = np.arange(50) % 2
    within = np.mean([abs(np.corrcoef(X[labels == c, 0], X[labels == c, 1])[0, 1]) for c in (0, 1)])
    assert affinity(X, labels)[0, 1] == pytest.approx(within)


def test_bad_input_and_missing_pymetis(monkeypatch):
    X = np.random.default_rng(6).random((10, 4))
    with pytest.raises(ConvacError, match=r"method must be one of 'entanglement', .*, got 'metis2'"):
        convac.rearrange_features(X, method="metis2")
    with pytest.raises(InputError, match="grid"):
        convac.rearrange_features(X, grid=(3, 3))
    with pytest.raises(InputError, match="one entry per sample"):
        convac.rearrange_features(X, y=np.ones(3))
    monkeypatch.setitem(sys.modules, "pymetis", None)  # makes `import pymetis` raise ImportError
    with pytest.raises(ConvacError, match="pip install 'convac\\[data\\]'"):
        convac.rearrange_features(X, method="metis")
    with pytest.raises(ConvacError, match="pip install 'convac\\[data\\]'"):  # graphs over 14 features use METIS
        convac.rearrange_features(np.random.default_rng(6).random((10, 20)), bisector="metis")
