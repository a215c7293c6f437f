"""UCR sets from the sktime wheel: splits, labels, the power-of-two resampling, and the missing-package error."""

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.interpolate import interp1d

from convac.data.ucr import UCR_SETS, load_ucr, power_of_two_length, resample
from convac.errors import InputError, MissingDependencyError


@given(st.integers(1, 10**7))
def test_power_of_two_length_is_the_nearest_in_log_scale(n):
    p = power_of_two_length(n)
    assert p & (p - 1) == 0
    others = [1 << k for k in range(26)]
    assert abs(math.log2(n / p)) <= min(abs(math.log2(n / q)) for q in others) + 1e-12


def test_resampled_lengths_follow_the_rule():
    for _, length, new_length, _, _ in UCR_SETS.values():
        assert power_of_two_length(length) == new_length


@given(st.integers(2, 60), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_resample_is_linear_interpolation(length, new_length, seed):
    x = np.random.default_rng(seed).normal(size=(3, length))
    got = resample(x, new_length)
    want = interp1d(np.linspace(0, 1, length), x, axis=1)(np.linspace(0, 1, new_length))
    assert got.shape == (3, new_length) and np.allclose(got, want)
    line = resample(np.arange(length, dtype=float)[None], 2)
    assert line.tolist() == [[0.0, length - 1.0]]


def test_bad_inputs():
    with pytest.raises(InputError, match=r"resample needs series as a 2D array \(samples, length >= 2\), got shape"):
        resample(np.zeros(5), 8)
    with pytest.raises(InputError, match="the resampled length must be a positive integer"):
        resample(np.zeros((2, 5)), 0)
    with pytest.raises(InputError, match="the UCR set must be one of 'arrowhead', 'gunpoint',"):
        load_ucr("coffee")
    with pytest.raises(InputError, match="the split must be 'train' or 'test', got 'validation'"):
        load_ucr("gunpoint", "validation")  # type: ignore[arg-type]


def test_missing_sktime_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sktime.datasets", None)  # import then raises ImportError
    with pytest.raises(MissingDependencyError, match=r"need the optional package sktime.*pip install 'convac\[data\]'"):
        load_ucr("arrowhead")


@pytest.mark.parametrize("name", sorted(UCR_SETS))
def test_ucr_sets_keep_ucrs_splits_and_labels(name):
    datasets = pytest.importorskip("sktime.datasets")
    loader, length, new_length, n_train, n_test = UCR_SETS[name]
    raw_x, raw_y = getattr(datasets, loader)(split="test", return_type="numpy3D")
    x, y = load_ucr(name, "test", resampled=False)
    assert x.shape == (n_test, length) and np.array_equal(x, raw_x[:, 0])
    classes = sorted(set(raw_y.tolist()))
    assert y.tolist() == [classes.index(label) for label in raw_y.tolist()]  # sorted label strings -> 0, 1, ...
    xr, yr = load_ucr(name, "train")
    assert xr.shape == (n_train, new_length) and yr.min() == 0 and yr.max() == len(classes) - 1
    raw_train = load_ucr(name, "train", resampled=False)[0]
    assert np.array_equal(xr[:, [0, -1]], raw_train[:, [0, -1]])  # the span is kept
