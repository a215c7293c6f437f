"""data_entanglement: the dense SVD, the shallow ConvAC it is, closed forms, underflow, bad input."""

from functools import reduce

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.datatensor._gram import feature_map, gram
from convac.errors import ConvacError, InputError, PartitionError


def dense_schmidt(X, y, side_a, theta):
    """Schmidt values of the data tensor built in full (2^N entries) and matricized."""
    n, N = X.shape
    a = 0.5 * np.pi * theta
    D = sum(y[m] * reduce(np.kron, [np.array([np.cos(a * x), np.sin(a * x)]) for x in X[m]]) for m in range(n))
    D = D.reshape([2] * N)
    side_b = [j for j in range(N) if j not in side_a]
    s = np.linalg.svd(np.transpose(D, list(side_a) + side_b).reshape(2 ** len(side_a), -1), compute_uv=False)
    return s / np.linalg.norm(s)


def compare(lam, s):
    k = max(len(lam), len(s))
    lam, s = np.pad(lam, (0, k - len(lam))), np.pad(s, (0, k - len(s)))
    return np.abs(lam - s).max()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 7),
    N=st.integers(2, 7),
    theta=st.floats(0.1, 2.0),
    seed=st.integers(0, 10_000),
)
def test_equals_dense_svd(n, N, theta, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((n, N))
    y = rng.normal(size=n)
    side_a = sorted(rng.choice(N, size=rng.integers(1, N), replace=False).tolist())
    d = convac.data_entanglement(X, y, convac.Partition(N, side_a), theta=theta)
    assert compare(d.schmidt_values, dense_schmidt(X, y, side_a, theta)) < 1e-7
    # squared Schmidt values of tiny rank-deficient tails are noise of ~1e-16: entropies agree tightly
    assert abs(d.entropy - convac.schmidt.entropy(dense_schmidt(X, y, side_a, theta))) < 1e-9


def test_equals_entanglement_of_the_shallow_convac():
    # D is the coefficient tensor of a shallow ConvAC: hidden channel m has weights phi(x_j^m) at position j
    rng = np.random.default_rng(3)
    n, N, theta = 5, 6, 0.8
    X, y = rng.random((n, N)), rng.normal(size=n)
    arch = convac.Architecture.shallow(n_inputs=N, n_features=2, hidden=n)
    model = convac.ShallowConvAC(arch, weights="signed").double()
    u, v = feature_map(X, theta)
    with torch.no_grad():
        model.conv[0].copy_(torch.from_numpy(np.stack([u.T, v.T], axis=1)))  # (positions, M, Z)
        model.output_raw.copy_(torch.from_numpy(y[:, None]))
    for part in [convac.Partition.left_right(N), convac.Partition.interleaved(N), convac.Partition(N, [1, 4, 5])]:
        ref = convac.entanglement(model, part)
        d = convac.data_entanglement(X, y, part, theta=theta)
        assert compare(d.schmidt_values, ref.schmidt_values) < 1e-8
        assert d.entropy == pytest.approx(ref.entropy, abs=1e-9)


def test_bell_pair_product_state_and_duplicates():
    bell = convac.data_entanglement(np.array([[0.0, 0.0], [1.0, 1.0]]), partition=convac.Partition(2, [0]))
    assert bell.entropy == pytest.approx(np.log(2), abs=1e-12)
    assert bell.schmidt_rank == 2
    one = convac.data_entanglement(np.random.default_rng(0).random((1, 9)), partition=convac.Partition.left_right(9))
    assert one.entropy == pytest.approx(0.0, abs=1e-12) and one.schmidt_rank == 1
    same = convac.data_entanglement(np.full((6, 4), 0.3), partition=convac.Partition.left_right(4))
    assert same.entropy == pytest.approx(0.0, abs=1e-12)


def test_labels_are_one_vs_rest_averaged():
    rng = np.random.default_rng(1)
    X, labels = rng.random((12, 6)), np.arange(12) % 3
    part = convac.Partition.left_right(6)
    d = convac.data_entanglement(X, labels, part)
    assert d.classes == (0, 1, 2)
    each = [convac.data_entanglement(X, np.where(labels == c, 1.0, -1.0), part).entropy for c in range(3)]
    assert d.entropy == pytest.approx(np.mean(each), abs=1e-12)
    assert list(d.per_class().values()) == pytest.approx(each, abs=1e-12)


def test_grid_input_is_row_major():
    rng = np.random.default_rng(2)
    X = rng.random((8, 4, 4))
    part = convac.Partition.up_down((4, 4))
    a = convac.data_entanglement(X, partition=part).entropy
    b = convac.data_entanglement(X.reshape(8, 16), partition=convac.Partition(16, range(8))).entropy
    assert a == pytest.approx(b, abs=1e-12)


def test_batches_are_opt_in_and_stated():
    rng = np.random.default_rng(4)
    X = rng.random((20, 6))
    part = convac.Partition.left_right(6)
    exact = convac.data_entanglement(X, partition=part)
    assert exact.exact and exact.n_batches == 1
    batched = convac.data_entanglement(X, partition=part, batch_size=5, seed=1)
    assert not batched.exact and batched.n_batches == 4 and len(batched.entanglements) == 4
    assert batched.to_dict()["exact"] is False


def test_gram_underflow_is_harmless():
    # 3000 factors: off-diagonal products underflow; compare with a log-scale product where representable
    rng = np.random.default_rng(5)
    X = rng.random((6, 3000))
    u, v = feature_map(X, 1.0)
    g = gram(u, v, range(3000))
    c = np.cos(0.5 * np.pi * (X[:, None, :] - X[None, :, :]))
    logs = np.log(np.abs(c)).sum(axis=2)
    sign = np.prod(np.sign(c), axis=2)
    representable = logs > -700
    np.testing.assert_allclose(g[representable], (sign * np.exp(logs))[representable], rtol=1e-9, atol=0)
    assert np.all(np.abs(g[~representable]) < 1e-300)
    assert np.allclose(np.diag(g), 1.0)


@pytest.mark.parametrize(
    ("X", "y", "part", "error"),
    [
        (np.full((3, 4), 1.5), None, convac.Partition.left_right(4), InputError),
        (np.full((3, 4), np.nan), None, convac.Partition.left_right(4), InputError),
        (np.zeros(4), None, convac.Partition.left_right(4), InputError),
        (np.zeros((3, 1)), None, convac.Partition.left_right(4), InputError),
        (np.zeros((3, 4)), np.ones(2), convac.Partition.left_right(4), InputError),
        (np.zeros((3, 4)), np.zeros(3), convac.Partition.left_right(4), InputError),
        (np.zeros((3, 4)), np.array(["a", "b", "c"]), convac.Partition.left_right(4), InputError),
        (np.zeros((3, 4)), None, convac.Partition.left_right(6), PartitionError),
        (np.zeros((3, 4)), None, None, PartitionError),
        (np.zeros((3, 4)), None, [0, 1], TypeError),
        ("abc", None, convac.Partition.left_right(4), TypeError),
    ],
)
def test_bad_input(X, y, part, error):
    with pytest.raises(error):
        convac.data_entanglement(X, y, part)


def test_bad_options():
    X, part = np.zeros((3, 4)), convac.Partition.left_right(4)
    with pytest.raises(ConvacError, match="theta"):
        convac.data_entanglement(X, partition=part, theta=0)
    with pytest.raises(TypeError, match="theta"):
        convac.data_entanglement(X, partition=part, theta=True)
    with pytest.raises(ConvacError, match="batch_size"):
        convac.data_entanglement(X, partition=part, batch_size=0)
    with pytest.raises(ConvacError, match="weights cancel"):
        convac.data_entanglement(np.zeros((2, 4)), np.array([1.0, -1.0]), part)
