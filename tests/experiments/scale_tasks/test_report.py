"""The scale-task statistics against scipy.stats, and the table's choice of comparison arm."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from convac.experiments.scale_tasks.report import paired_gap, summary_rows


@settings(max_examples=40, deadline=None)
@given(
    a=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=10),
    noise=st.lists(st.floats(-0.3, 0.3), min_size=10, max_size=10),
)
def test_paired_gap_matches_scipy(a: list[float], noise: list[float]) -> None:
    b = [x + e for x, e in zip(a, noise, strict=False)]
    d = np.subtract(a, b)
    g = paired_gap(a, b)
    assert math.isclose(g["mean"], d.mean(), abs_tol=1e-12)
    if d.std() > 1e-9:
        ci = stats.ttest_rel(a, b).confidence_interval(0.95)
        assert math.isclose(g["ci_low"], ci.low, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(g["ci_high"], ci.high, rel_tol=1e-9, abs_tol=1e-12)
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    assert (g["wins"], g["losses"]) == (wins, losses)
    if wins + losses:
        assert math.isclose(g["sign_p"], stats.binomtest(wins, wins + losses).pvalue)


def test_five_wins_of_five_give_the_exact_sign_test_p() -> None:
    g = paired_gap([1, 1, 1, 1, 1], [0.5, 0.6, 0.7, 0.8, 0.9])
    assert math.isclose(g["sign_p"], 2 / 32) and g["resolved"]
    tie = paired_gap([0.5, 0.5], [0.5, 0.5])
    assert tie["sign_p"] == 1.0 and not tie["resolved"]


def test_each_arm_is_compared_with_the_best_other_hand_made_arm() -> None:
    accs = {"wide_base": 0.6, "wide_middle": 0.95, "wide_tip": 0.7, "uniform": 0.8}
    recs = [
        {"scale": "middle", "distance": 4, "arm": arm, "seed": s, "test_accuracy": acc + s / 100, "widths": [4, 1]}
        for s in range(4)
        for arm, acc in accs.items()
    ]
    recs += [{**r, "arm": "designed", "design_method": "objective", "designed_shape": [1.0, 3.0, 1.0]}
             for r in recs if r["arm"] == "uniform"]  # fmt: skip
    rows = {r["arm"]: r for r in summary_rows(recs, 16)}
    assert rows["wide_middle"]["versus"] == "uniform" and rows["wide_middle"]["fits_scale"]
    assert rows["wide_middle"]["widths"] == [(4, 1)]
    assert rows["uniform"]["versus"] == "wide_middle"
    assert rows["designed (objective)"]["versus"] == "wide_middle"
    assert rows["designed (objective)"]["right_shape"] == [True] * 4  # widest at block side 4 = d
    assert math.isclose(rows["wide_middle"]["gap"]["mean"], 0.15) and rows["wide_middle"]["gap"]["resolved"]
    flat = [{**r, "designed_shape": [4.0, 4.0, 4.0]} if r["arm"] == "designed" else r for r in recs]
    assert {r["arm"]: r for r in summary_rows(flat, 16)}["designed (objective)"]["right_shape"] == [False] * 4
