"""The scale-task arms: every arm has exactly the same parameter count; the shapes are what they say."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac.errors import ArchitectureError, InputError
from convac.experiments.scale_tasks.arms import (
    HAND_MADE,
    architecture,
    canonical_cut_capacities,
    equal_budget_widths,
    hand_made_shape,
    widths_at_budget,
)


def _count(widths: tuple[int, ...], n_features: int) -> int:
    # independent of convac.Architecture: shared 1x1 convs M -> w_0 -> ... and the 2-class output layer
    chain = (n_features, *widths)
    return sum(a * b for a, b in itertools.pairwise(chain)) + 2 * widths[-1]


@settings(max_examples=30, deadline=None)
@given(budget=st.integers(60, 600), n_features=st.integers(3, 5), levels=st.integers(2, 4))
def test_every_hand_made_arm_has_exactly_the_common_budget(budget: int, n_features: int, levels: int) -> None:
    shapes = {arm: hand_made_shape(arm, levels) for arm in HAND_MADE}
    common, widths = equal_budget_widths(shapes, budget, n_features)
    assert abs(common - budget) <= 0.1 * budget + 1
    n_inputs = 2 ** (levels + 1)
    for arm, w in widths.items():
        assert len(w) == levels + 1 and w[0] == n_features and min(w) >= 1
        assert architecture(w, n_inputs, n_features).n_params == _count(w, n_features) == common, arm


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.floats(0.05, 20.0), min_size=3, max_size=3), budget=st.integers(80, 400))
def test_a_designed_shape_is_placed_at_exactly_the_budget(shape: list[float], budget: int) -> None:
    # three levels above the first (the study's 16 positions) leave enough freedom to hit any budget here
    widths = widths_at_budget(shape, budget, 4)
    assert _count(widths, 4) == budget and widths[0] == 4


def test_hand_made_shapes_put_their_widest_level_where_they_say() -> None:
    assert hand_made_shape("wide_base", 4) == (8.0, 4.0, 2.0, 1.0)
    assert hand_made_shape("wide_tip", 4) == (1.0, 2.0, 4.0, 8.0)
    assert hand_made_shape("uniform", 3) == (1.0, 1.0, 1.0)
    assert int(np.argmax(hand_made_shape("wide_middle", 3))) == 1
    assert hand_made_shape("wide_middle", 5) == (2.0, 4.0, 8.0, 4.0, 2.0)


def test_the_default_widths_follow_their_shapes() -> None:
    budget, widths = equal_budget_widths({a: hand_made_shape(a, 3) for a in HAND_MADE}, 160, 4)
    assert budget == 160
    assert widths["wide_base"][1] > widths["wide_base"][3] and widths["wide_tip"][3] > widths["wide_tip"][1]
    assert max(widths["wide_middle"][1:]) == widths["wide_middle"][2]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hand_made_shape("wide", 3), "unknown hand-made arm 'wide'; choose one of wide_base"),
        (lambda: hand_made_shape("uniform", 0), "a shape needs at least one level above the first, got 0"),
        (lambda: equal_budget_widths({"x": (1, 0)}, 80, 4), "shape 'x' needs positive relative widths"),
        (lambda: equal_budget_widths({"x": (1, 1)}, 10, 4), "no budget within 10% of 10 fits every shape exactly"),
        (lambda: widths_at_budget((1, 1), 20, 4), "budget 20 is below the smallest network of this depth"),
        (lambda: widths_at_budget((), 80, 4), "a shape needs positive relative widths, got ()"),
    ],
)
def test_bad_shapes_and_budgets_say_what_is_allowed(call: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        call()  # type: ignore[operator]
    assert message in str(err.value)


def _cuts_by_recursion(widths: tuple[int, ...], n_features: int) -> tuple[int, ...]:
    # independent of the flow solver: a side-1 block is cut at its input bond or its first conv
    # (min(M, w_0)); a side-2^l block at its own bond min(w_{l-1}, w_l) or inside both children
    cuts = [min(n_features, widths[0])]
    for level in range(1, len(widths)):
        cuts.append(min(widths[level - 1], widths[level], cuts[-1] ** 2))
    return tuple(cuts)


@settings(max_examples=40, deadline=None)
@given(widths=st.lists(st.integers(1, 12), min_size=4, max_size=4), n_features=st.integers(2, 6))
def test_canonical_cuts_match_the_tree_recursion(widths: list[int], n_features: int) -> None:
    w = tuple(widths)
    assert canonical_cut_capacities(w, 16, n_features) == _cuts_by_recursion(w, n_features)


@pytest.mark.parametrize("target", [116, 160])
def test_at_the_study_budgets_the_flat_arm_has_every_canonical_cut_of_every_peaked_arm(target: int) -> None:
    # the finding of docs/findings/scale-tasks.md: width beyond a layer's wider neighbour buys no cut
    _, widths = equal_budget_widths({a: hand_made_shape(a, 3) for a in HAND_MADE}, target, 4)
    flat = canonical_cut_capacities(widths["uniform"], 16, 4)
    for arm in ("wide_base", "wide_middle", "wide_tip"):
        cuts = canonical_cut_capacities(widths[arm], 16, 4)
        assert all(c <= u for c, u in zip(cuts, flat, strict=True)), (arm, cuts, flat)
    # and the peak of wide_middle is wasted: its side-4 and side-8 cuts are below its widest layer
    middle = widths["wide_middle"]
    assert max(canonical_cut_capacities(middle, 16, 4)) < max(middle)


@pytest.mark.parametrize(
    ("widths", "n_inputs", "message"),
    [
        ((4, 0, 3, 3), 16, "channels[1] must be a positive integer, got 0"),
        ((4, 3, 3), 16, "channels must have one entry per hidden layer"),
        ((4, 3, 3, 3), 12, "n_inputs must be a power of the window size 2"),
    ],
)
def test_canonical_cuts_of_a_bad_network_say_what_is_allowed(
    widths: tuple[int, ...], n_inputs: int, message: str
) -> None:
    with pytest.raises(ArchitectureError, match=re.escape(message)):
        canonical_cut_capacities(widths, n_inputs, 4)
