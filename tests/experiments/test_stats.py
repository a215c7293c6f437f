"""Paired statistics against scipy.stats on random data, and closed forms on small cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from convac.errors import InputError
from convac.experiments._stats import paired_test, sign_flip_p, sign_test_p, t_interval

# Accuracies as fractions: differences stay well away from float noise at 1e-3 resolution.
accuracies = st.lists(st.integers(0, 1000).map(lambda k: k / 1000), min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_paired_test_matches_scipy_ttest_rel_binomtest_and_t_ppf(data):
    a = data.draw(accuracies)
    b = data.draw(st.lists(st.integers(0, 1000).map(lambda k: k / 1000), min_size=len(a), max_size=len(a)))
    diffs = np.subtract(a, b)
    test = paired_test(diffs)
    assert test.n == len(a) and test.wins + test.losses + test.ties == len(a)
    assert test.wins == int(np.sum(diffs > 1e-9)) and test.losses == int(np.sum(diffs < -1e-9))
    assert test.mean == pytest.approx(np.mean(a) - np.mean(b), abs=1e-12)
    nonzero = test.wins + test.losses
    expected_sign = stats.binomtest(test.wins, nonzero, 0.5).pvalue if nonzero else 1.0
    assert test.sign_p == pytest.approx(expected_sign, rel=1e-9)
    if np.std(diffs) > 1e-9:
        ref = stats.ttest_rel(a, b)
        assert test.t == pytest.approx(ref.statistic, rel=1e-6)
        assert test.t_p == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)
        half = stats.t.ppf(0.975, len(a) - 1) * np.std(diffs, ddof=1) / math.sqrt(len(a))
        assert test.ci == pytest.approx((diffs.mean() - half, diffs.mean() + half), abs=1e-12)
        # The CI excludes 0 exactly when the t-test rejects at 5 %.
        assert (test.ci[0] > 0 or test.ci[1] < 0) == (test.t_p < 0.05)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-50, 50).map(lambda k: k / 100), min_size=2, max_size=9))
def test_sign_flip_p_matches_scipy_exact_permutation_test(diffs):
    ref = stats.permutation_test(
        (np.array(diffs),),
        np.mean,
        permutation_type="samples",
        alternative="two-sided",
        n_resamples=np.inf,
    )
    if not any(diffs):
        assert sign_flip_p(diffs) == 1.0
        return
    # scipy doubles the smaller one-sided p; for the symmetric sign-flip null that is P(|mean| >= |observed|).
    assert sign_flip_p(diffs) == pytest.approx(ref.pvalue, rel=1e-9)


def test_sign_flip_p_samples_above_the_exact_limit_and_agrees_with_the_normal_approximation():
    rng = np.random.default_rng(3)
    diffs = rng.normal(0.3, 1.0, size=30)
    p = sign_flip_p(diffs, n_resamples=20_000, seed=1)
    assert p == sign_flip_p(diffs, n_resamples=20_000, seed=1)  # seeded
    # The sign-flip null has variance sum(d^2)/n^2 for the mean: a z-test approximates it.
    z = abs(diffs.mean()) / math.sqrt(np.sum(diffs**2)) * len(diffs)
    assert p == pytest.approx(2 * stats.norm.sf(z), abs=0.02)


def test_closed_forms_on_small_cases():
    # 3 seeds all one way: the smallest two-sided sign-test p with three seeds, 2 * (1/2)^3.
    assert sign_test_p(3, 0) == sign_test_p(0, 3) == 0.25
    # The count: 9 of 12 seed pairs one way, p = 2 * (1 + 12 + 66 + 220) / 4096.
    assert sign_test_p(9, 3) == pytest.approx(2 * 299 / 4096)
    assert sign_test_p(6, 6) == 1.0 and sign_test_p(0, 0) == 1.0
    # t-CI of {1, 2, 3}: 2 +- t_{0.975, 2} / sqrt(3), t_{0.975, 2} = 4.302653 (tables).
    low, high = t_interval([1.0, 2.0, 3.0])
    assert (low + high) / 2 == pytest.approx(2.0)
    assert (high - low) / 2 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    # Exact sign-flip: all of {1, 2, 3} one way is 2 of 8 patterns.
    assert sign_flip_p([1.0, 2.0, 3.0]) == 0.25


def test_degenerate_inputs_give_nan_where_no_test_is_possible():
    one = paired_test([0.1])
    assert one.n == 1 and one.sd == 0.0 and math.isnan(one.t_p) and all(math.isnan(x) for x in one.ci)
    assert one.sign_p == 1.0 and one.flip_p == 1.0
    flat = paired_test([0.02, 0.02, 0.02])
    assert math.isnan(flat.t_p) and flat.ci == (0.02, 0.02) and flat.sign_p == 0.25
    ties = paired_test([0.0, 0.0, 0.01])
    assert (ties.wins, ties.losses, ties.ties, ties.sign_p) == (1, 0, 2, 1.0)
    # A difference of differences that is 0 in exact arithmetic is a tie, not a loss.
    rounded = (0.0 - 0.009) - (0.018 - 0.027)
    assert rounded != 0 and paired_test([rounded, 0.01]).ties == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_test([]), "non-empty list of differences"),
        (lambda: paired_test([[0.1, 0.2]]), "non-empty list of differences"),
        (lambda: paired_test([0.1, math.nan]), "must be finite"),
        (lambda: t_interval([0.1, 0.2], confidence=1.5), "confidence must be between 0 and 1"),
        (lambda: sign_test_p(-1, 2), "wins must be a non-negative integer"),
        (lambda: sign_test_p(2, 1.5), "losses must be a non-negative integer"),
    ],
)
def test_bad_inputs_raise_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()
