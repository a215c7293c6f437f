"""method="feasible": ln min-cut >= S + margin at every canonical level, exactly the budget, no bottleneck."""

import functools
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convac import Architecture, Partition, min_cut
from convac.channel_design import DEFAULT_MARGIN, design, design_feasible, design_schedule
from convac.channel_design._feasible import param_counts, valleys
from convac.channel_design._spend import lower_bounds
from convac.datatensor import canonical_levels
from convac.errors import ConvacTypeError, InputError
from convac.spec._paper import paper_architecture, paper_budget, paper_schedule


@functools.cache
def _block(grid, level):
    return Partition(int(np.prod(grid)), canonical_levels(grid)[level].blocks[0], grid=grid)


def _log_cut(arch, level):
    """ln of the exact min-cut of the first block of ``level`` against the rest (convac.min_cut)."""
    return math.log(min_cut(arch, _block(arch.grid, level)).value)


def _check(d, entropies, margin):
    arch = d.arch
    for level, s in enumerate(entropies):
        cap = 2 ** (level * arch.ndim) * math.log(arch.n_features)
        assert d.levels[level].required == pytest.approx(min(s + margin, cap), abs=1e-12)
        assert _log_cut(arch, level) >= d.levels[level].required - 1e-9
        assert (d.levels[level].required < s + margin - 1e-9) == (f"level side {2**level} (ln" in d.explanation)
        assert d.levels[level].log_min_cut == pytest.approx(_log_cut(arch, level), abs=1e-12)
    c = arch.channels
    # a layer narrower than some layer on each side (a run of narrow layers counts too)
    inside = [k for k in range(1, arch.depth - 1) if c[k] < min(max(c[:k]), max(c[k + 1 :]))]
    assert tuple(inside) == d.bottlenecks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entropies=st.lists(st.floats(0.0, 1.6), min_size=6, max_size=6),
    r=st.sampled_from([2, 4, 6, 8, 12, 20]),
    margin=st.sampled_from([0.0, 0.25, DEFAULT_MARGIN]),
    spend=st.sampled_from(["proportional", "entanglement", "uniform"]),
)
def test_paper_geometry_meets_every_constraint_and_the_budget_exactly(entropies, r, margin, spend):
    try:
        d = design_schedule(entropies, method="feasible", r=r, margin=margin, spend=spend)
    except InputError as err:
        assert "level" in str(err) or "budget" in str(err)
        return
    assert d.n_params == paper_budget(r) == paper_architecture(paper_schedule("wide_tip", r)).n_params
    assert d.arch.with_channels(list(d.channels)).n_params == 31 * r * r + 50 * r
    _check(d, entropies, margin)
    # the token gives back the widths at this r
    assert [max(1, round(m * r)) for m in d.multipliers] == list(d.channels)


@settings(max_examples=25, deadline=None)
@given(
    entropies=st.lists(st.floats(0.0, 1.2), min_size=4, max_size=4),
    budget=st.integers(60, 600),
    ndim=st.sampled_from([1, 2]),
)
def test_general_grids_meet_the_constraints(entropies, budget, ndim):
    grid = (16,) if ndim == 1 else (16, 16)
    try:
        d = design(grid, budget, entropies, method="feasible", n_features=4, shared=True)
    except InputError:
        return
    assert d.n_params == budget
    _check(d, entropies, DEFAULT_MARGIN)


def test_binding_levels_are_those_a_one_narrower_layer_would_break():
    for entropies, r in [([1.5] + [0.1] * 5, 2), ([0.1] * 4 + [0.5, 1.5], 4), ([0.3, 0.5, 1.0, 1.2, 0.4, 0.2], 4)]:
        d = design_schedule(entropies, method="feasible", r=r)
        for lv in d.levels:
            broken = False
            for k in range(d.arch.depth):
                if d.channels[k] >= 2:
                    narrower = d.arch.with_channels([c - (i == k) for i, c in enumerate(d.channels)])
                    broken |= _log_cut(narrower, lv.layer) < lv.required - 1e-9
            assert lv.binding == broken, (entropies, r, lv)
        assert any(lv.binding for lv in d.levels) == ("Binding:" in d.explanation)
        for lv in d.levels:
            if lv.binding:
                assert f"level side {lv.side} " in d.explanation


SHAPES = [
    # (entropies, wide layers under "entanglement" (equal log-slack), under "proportional")
    ([2.0, 2.5, 0.3, 0.1, 0.1, 0.1], {0, 1}, {0, 1}),  # short scale: wide base
    ([0.1, 0.1, 1.0, 1.2, 0.1, 0.1], {1, 2, 3}, {2, 3}),  # middle: wide middle
    ([0.1, 0.1, 0.1, 0.1, 0.5, 1.5], {4, 5}, {5}),  # long: wide tip
]


@pytest.mark.parametrize(("entropies", "wide", "spend"), [(e, w, "entanglement") for e, w, _ in SHAPES]
                         + [(e, w, "proportional") for e, _, w in SHAPES])  # fmt: skip
@pytest.mark.parametrize("r", [6, 8])
def test_where_the_entanglement_sits_decides_the_shape(entropies, wide, spend, r):
    d = design_schedule(entropies, method="feasible", r=r, margin=0.0, spend=spend)
    c = np.asarray(d.channels)
    narrow = sorted(set(range(6)) - wide)
    assert c[sorted(wide)].min() > 2 * c[narrow].max(), c
    assert not d.bottlenecks
    if spend == "proportional":  # the free budget goes where the entanglement is largest
        assert int(np.argmax(c)) == int(np.argmax(entropies))


def _assert_budget_off_the_lattice(entropies, budget):
    """No valley-free widths at or a little above the lower bounds cost exactly ``budget`` (brute force)."""
    template = Architecture.deep_1d(16, 4, [1] * 4, shared=True, n_outputs=2)
    caps = np.array([2**level * math.log(4) for level in range(4)])
    lo = lower_bounds(template, np.minimum(np.asarray(entropies) + DEFAULT_MARGIN, caps))
    grid = np.array(list(itertools.product(*(range(b, b + 25) for b in lo))))
    exact = grid[param_counts(template, grid) == budget]
    assert valleys(exact).any(axis=1).all(), exact[~valleys(exact).any(axis=1)][:3]


@settings(max_examples=40, deadline=None)
@given(
    entropies=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4).filter(
        lambda e: sorted(e)[-1] - sorted(e)[-2] > 0.02 and int(np.argmax(e)) >= 2  # room below the input cap
    ),
    budget=st.integers(150, 1000),
)
@example(entropies=[0.5, 0.9375, 1.0, 0.5], budget=150)  # lower bounds 6,6,6,4: no exact widths cost 150
def test_proportional_rule_is_widest_exactly_where_the_entanglement_is_largest(entropies, budget):
    try:
        d = design(16, budget, entropies, method="feasible", n_features=4, shared=True, n_outputs=2)
    except InputError as err:
        assert "cost exactly" in str(err)
        _assert_budget_off_the_lattice(entropies, budget)
        return
    top = int(np.argmax(entropies))
    assert d.spend == "proportional" and d.n_params == budget
    extra = math.log(d.continuous[top]) - d.levels[top].required  # the explanation says where the spare went
    assert f"{extra:.3f} nats at the most entangled level (side {2**top}, width {d.channels[top]})" in d.explanation
    _check(d, entropies, DEFAULT_MARGIN)
    # own log-slack extra * S_l / max S: with budget left over, the most entangled level's own width is the
    # widest real width, strictly, with log-slack in proportion to its entanglement beyond every level it leads
    c = np.asarray(d.continuous)
    assert int(np.argmax(c)) == top and np.sort(c)[-1] > np.sort(c)[-2]
    slack = np.log(c) - (np.asarray(entropies) + DEFAULT_MARGIN)
    assert slack[top] > 0
    for k in range(top + 1, 4):  # levels after the top are lifted by no finer level: proportional exactly
        assert slack[k] <= slack[top] * entropies[k] / entropies[top] + 1e-6 or c[k] <= c[k - 1] + 1e-9


def test_proportional_rule_picks_the_scale_of_the_known_scale_tasks():
    from convac.data.scale_tasks import scale_task
    from convac.datatensor import canonical_entanglement

    for scale, level in (("short", 1), ("middle", 2), ("long", 3)):
        task = scale_task(1000, scale, n_positions=16, n_types=3, seed=0)
        profile = canonical_entanglement(task.X, task.y, theta=1.0)
        d = design(16, 160, profile, method="feasible", n_features=4, shared=True, n_outputs=2)
        assert int(np.argmax(profile.means)) == level  # the data peak at the pairs' scale ...
        assert int(np.argmax(d.continuous)) == level, (scale, d.continuous)  # ... and so does the design
        assert int(np.argmax(d.channels)) == level, (scale, d.channels)
        assert d.n_params == 160 and "spent by 'proportional'" in d.explanation


def test_infeasible_profiles_name_the_level():
    with pytest.raises(InputError, match=r"level 0 \(blocks of side 1\).*M=10"):
        design_schedule([2.5, 0.1, 0.1, 0.1, 0.1, 0.1], method="feasible", r=8, margin=0.0)
    with pytest.raises(InputError, match=r"above the budget 224; the most demanding is level 3 \(blocks of side 8"):
        design_schedule([0.1, 0.1, 1.5, 2.0, 0.1, 0.1], method="feasible", r=2)
    with pytest.raises(InputError, match="has 3 levels but the network has 6 layers"):
        design_schedule([0.1, 0.2, 0.3], method="feasible")
    with pytest.raises(ConvacTypeError, match="entanglement per canonical level"):
        design_schedule("local", method="feasible")
    with pytest.raises(InputError, match="canonical pooling tree"):
        design((28, 28), 500, [0.1] * 3, method="feasible", windows=[2, 2, 7])
    with pytest.raises(InputError, match="method"):
        design_schedule([0.1] * 6, method="best")
    with pytest.raises(InputError, match="spend"):
        design_schedule([0.1] * 6, method="feasible", spend="greedy")


def test_the_margin_is_honoured_and_larger_margins_cost_slack():
    entropies = [0.2, 0.3, 0.4, 0.5, 0.8, 1.0]
    slacks = []
    for margin in (0.0, DEFAULT_MARGIN, 1.2):
        d = design_schedule(entropies, method="feasible", r=6, margin=margin, spend="entanglement")
        assert all(lv.required == pytest.approx(s + margin) for lv, s in zip(d.levels, entropies, strict=True))
        slacks.append(min(lv.slack for lv in d.levels))
    assert slacks[0] > slacks[1] > slacks[2] >= 0


def test_objective_method_is_unchanged_by_default():
    assert design_schedule("global").token() == "designed_global=1,1,1,2,2,6"
    assert design_schedule("global", method="objective").token() == "designed_global=1,1,1,2,2,6"


def test_to_dict_and_text():
    d = design_schedule([0.02, 0.06, 0.08, 0.23, 0.58, 1.14], method="feasible", r=6, name="mine")
    doc = d.to_dict()
    assert doc["n_params"] == doc["budget"] == 1416 and doc["token"].startswith("mine=")
    assert [lv["status"] for lv in doc["levels"]] == ["binding" if lv.binding else "free" for lv in d.levels]
    text = str(d)
    assert "slack" in text and "exact at r = 6" in text and "1416 params (budget 1416, equal)" in text


def test_unshared_weights_hit_every_reachable_budget_and_say_when_none_is():
    arch = Architecture.deep_1d(8, 2, [1, 1, 1], shared=False)
    base = arch.with_channels([2, 2, 2]).n_params
    hit = 0
    for budget in range(base, base + 30):
        try:
            d = design_feasible(arch, budget, [0.3, 0.5, 0.6], margin=0.0)
        except InputError as err:
            assert f"cost exactly {budget} parameters" in str(err)
            # independently: no width vector >= the lower bounds within the search box has this count
            box = itertools.product(range(2, 12), range(2, 12), range(2, 40))
            assert all(arch.with_channels(list(c)).n_params != budget for c in box)
            continue
        hit += 1
        assert d.n_params == budget
        _check(d, [0.3, 0.5, 0.6], 0.0)
    assert hit >= 10


@pytest.mark.parametrize("r", [2, 6, 8, 12])
def test_closest_design_when_the_budget_is_too_small(r):
    entropies = [0.02, 0.05, 0.1, 0.5, 1.6, 4.3]  # the paper's global task needs about width 114 at the top
    with pytest.raises(InputError, match="closest"):
        design_schedule(entropies, method="feasible", r=r)
    d = design_schedule(entropies, method="feasible", r=r, infeasible="closest")
    assert d.n_params == paper_budget(r) and d.shortfall < 0 and not d.bottlenecks
    for level, lv in enumerate(d.levels):
        # every level gets at least its requirement lowered by the common shortfall, checked by convac.min_cut
        assert _log_cut(d.arch, level) >= lv.required + d.shortfall - 1e-9
        assert (lv.status == "short") == (lv.slack < -1e-9)
    assert "Infeasible at" in d.explanation and str(d).startswith("closest (infeasible) design")
    assert min(lv.slack for lv in d.levels) == pytest.approx(d.shortfall, abs=0.05)


@pytest.mark.parametrize("entropies", [[0.02, 0.05, 0.1, 0.5, 1.6, 4.3], [0.1, 0.25, 0.45, 0.77, 1.48, 3.19]])
def test_an_infeasible_design_names_the_smallest_feasible_budget(entropies):
    d = design_schedule(entropies, method="feasible", r=6, infeasible="closest")
    need = d.feasible_from
    assert need == paper_architecture(list(d.floor)).n_params > paper_budget(6)
    # the floor meets every level (checked by convac.min_cut) and no narrower vector does: one less on any layer
    # breaks some level, so no budget below the floor's count is feasible
    floor = paper_architecture(list(d.floor))
    required = [lv.required for lv in d.levels]
    assert all(_log_cut(floor, level) >= req - 1e-9 for level, req in enumerate(required))
    for layer in range(6):
        if d.floor[layer] > 1:
            narrower = paper_architecture([c - (i == layer) for i, c in enumerate(d.floor)])
            assert any(_log_cut(narrower, level) < req - 1e-9 for level, req in enumerate(required))
    r = next(r for r in itertools.count(6) if paper_budget(r) >= need)
    assert f"take {need} parameters" in d.explanation and f"reaches it at r = {r} ({paper_budget(r)})" in d.explanation
    feasible = design_feasible(paper_architecture([1] * 6), paper_budget(r), entropies)  # raises if not feasible
    assert feasible.shortfall == 0 and feasible.n_params == paper_budget(r)
    assert "smallest feasible budget" not in feasible.explanation


@pytest.mark.parametrize("r", [4, 6, 8])
@pytest.mark.parametrize("spend", ["uniform", "proportional"])
def test_drop_meets_every_level_but_the_fewest_most_demanding(r, spend):
    entropies = [0.1, 0.25, 0.45, 0.77, 1.48, 3.19]  # the global task's profile: infeasible up to r = 9
    d = design_schedule(entropies, method="feasible", r=r, infeasible="drop", spend=spend)
    assert d.n_params == paper_budget(r) and d.shortfall == 0 and d.dropped
    required = np.array([lv.required for lv in d.levels])
    for level, lv in enumerate(d.levels):
        if level not in d.dropped:  # met in full, by convac.min_cut
            assert _log_cut(d.arch, level) >= lv.required - 1e-9
    # the dropped levels are the most demanding ones, and no smaller set would do: restoring the least demanding
    # of them makes the floors overflow the budget
    order = sorted(range(6), key=lambda i: -required[i])
    assert set(d.dropped) == set(order[: len(d.dropped)])
    template = paper_architecture([1] * 6)
    fewer = required.copy()
    fewer[order[: len(d.dropped) - 1]] = 0.0
    assert param_counts(template, lower_bounds(template, fewer)[None, :])[0] > paper_budget(r)
    assert str(d).startswith("levels dropped (infeasible) design") and "Dropped the most demanding" in d.explanation
    assert d.to_dict()["dropped"] == [2**i for i in d.dropped]


def test_drop_keeps_narrow_layers_out_where_closest_makes_them():
    # closest lowers every requirement together and starves the free levels to feed the top; drop leaves the top
    # to the spend rule, so with the uniform spend no layer is far below the others
    entropies = [0.1, 0.25, 0.45, 0.77, 1.48, 3.19]
    closest = design_schedule(entropies, method="feasible", r=6, infeasible="closest", spend="uniform")
    dropped = design_schedule(entropies, method="feasible", r=6, infeasible="drop", spend="uniform")
    assert min(closest.channels) <= 3 and max(closest.channels) >= 29
    assert min(dropped.channels) >= 12 and max(dropped.channels) <= 16


def test_drop_changes_nothing_when_the_budget_is_feasible():
    entropies = [0.02, 0.06, 0.08, 0.23, 0.58, 1.14]
    for r in (4, 6):
        plain = design_schedule(entropies, method="feasible", r=r)
        dropped = design_schedule(entropies, method="feasible", r=r, infeasible="drop")
        assert plain.channels == dropped.channels and not dropped.dropped


def test_proportional_rule_spends_as_far_as_the_input_caps_then_says_so():
    # 4x4 with 2 features: the own widths cap at 2 and 16, so budgets above what they reach need the
    # level-1 bond of layer 0 too (a 4x4 Heisenberg design crashed there); both rules reach the same set
    reached = {}
    for spend in ("proportional", "entanglement"):
        reached[spend] = []
        for budget in range(1105, 1553, 7):
            try:
                d = design((4, 4), budget, [0.69, 1.82], method="feasible", n_features=2, spend=spend)
            except InputError as err:
                assert "cost exactly" in str(err)
                continue
            assert d.n_params == budget
            _check(d, [0.69, 1.82], DEFAULT_MARGIN)
            reached[spend].append(budget)
    assert reached["proportional"] == reached["entanglement"] and max(reached["proportional"]) > 1400
    with pytest.raises(InputError, match=r"more than rule 'proportional' can spend.*at most 1552"):
        design((4, 4), 5000, [0.69, 1.82], method="feasible", n_features=2)


def test_spend_auto_follows_the_net_family():
    entropies = [0.02, 0.06, 0.08, 0.23, 0.58, 1.14]
    relu = design_schedule(entropies, method="feasible", r=6)  # the experiment's nets are ReLU nets
    convac = design_schedule(entropies, method="feasible", r=6, family="convac")
    assert (relu.spend, convac.spend) == ("uniform", "proportional")
    assert relu.channels == design_schedule(entropies, method="feasible", r=6, spend="uniform").channels
    assert convac.channels == design_schedule(entropies, method="feasible", r=6, spend="proportional").channels
    assert relu.n_params == convac.n_params == 31 * 36 + 50 * 6 and relu.channels != convac.channels
    # nothing binds for the relu design: the explanation says the spend rule, not the theorem, made the shape
    assert not any(lv.binding for lv in relu.levels)
    assert "the spend rule ('uniform') alone decides it" in str(relu)
    assert any(lv.binding for lv in convac.levels) and "alone decides it" not in str(convac)
    # a ConvAC by default on any other grid; a named rule wins over the family
    assert design(16, 300, [0.1, 0.2, 0.4, 1.5], method="feasible", n_features=4, shared=True).spend == "proportional"
    assert (
        design_schedule(entropies, method="feasible", r=6, spend="entanglement", family="convac").spend
        == "entanglement"
    )
    with pytest.raises(InputError, match=r"^family must be 'relu' or 'convac', got 'cnn'$"):
        design_schedule(entropies, method="feasible", r=6, family="cnn")
    with pytest.raises(InputError, match=r"^spend must be one of 'auto', 'proportional', .*got 'greedy'$"):
        design(16, 300, [0.1, 0.2, 0.4, 1.5], method="feasible", n_features=4, shared=True, spend="greedy")
