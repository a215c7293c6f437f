"""convac.channel_design: objective, exhaustive search, presets, budgets, the experiment token."""

import itertools
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac import Architecture, min_cut
from convac.analysis import paper_architecture, paper_budget, scales
from convac.channel_design import design, design_schedule, parse_profile, resolve_profile
from convac.errors import ConvacError, ConvacTypeError, InputError


def _wide_base_like(channels):
    half = len(channels) // 2
    return sum(channels[:half]) > sum(channels[half:]) and channels[0] > channels[-1]


def _wide_tip_like(channels):
    return _wide_base_like(list(reversed(channels)))


# ---------------------------------------------------------------- presets reproduce the paper's intuition


def test_presets_on_the_paper_geometry():
    local = design_schedule("local")
    glob = design_schedule("global")
    assert _wide_base_like(local.channels) and _wide_tip_like(glob.channels)
    assert list(local.multipliers) == sorted(local.multipliers, reverse=True)
    assert list(glob.multipliers) == sorted(glob.multipliers)
    # the designs win where their profile looks: short scales for local, long ones for global
    cuts = {d.name: {c.label: c.value for c in d.cuts} for d in (local, glob)}
    assert cuts["designed_local"]["checkerboard"] > cuts["designed_global"]["checkerboard"]
    assert cuts["designed_global"]["left_right"] > cuts["designed_local"]["left_right"]
    # the paper's schedules are candidates too: the design scores at least as well, and the
    # objective itself prefers wide-base for local and wide-tip for global
    for d in (local, glob):
        assert max(d.baselines.values()) <= d.objective + 1e-9
    assert local.baselines["wide_base(8)"] > local.baselines["wide_tip(8)"]
    assert glob.baselines["wide_tip(8)"] > glob.baselines["wide_base(8)"]


@pytest.mark.parametrize("grid", [(16, 16), (32, 32)])
def test_presets_on_other_grids(grid):
    local = design(grid, 600, "local", n_features=4, shared=True)
    glob = design(grid, 600, "global", n_features=4, shared=True)
    assert local.channels[0] > glob.channels[0]
    assert glob.channels[-1] > local.channels[-1]
    assert _wide_tip_like(glob.channels)


# ---------------------------------------------------------------- budget


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([(8,), (16,), (4, 4), (8, 8)]),
    st.integers(1, 5),
    st.booleans(),
    st.integers(0, 3000),
    st.sampled_from(["local", "global", {"checkerboard": 1}, {"left_right": 2, "blocks": 1}]),
)
def test_design_never_exceeds_budget(grid, m, shared, extra, profile):
    probe = (
        Architecture.deep_1d(grid[0], m, [1] * int(math.log2(grid[0])), shared=shared)
        if len(grid) == 1
        else Architecture.deep_2d(grid[0], grid[1], m, [1] * int(math.log2(grid[0])), shared=shared)
    )
    budget = probe.n_params + extra
    try:
        d = design(grid, budget, profile, n_features=m, shared=shared, widths=(1, 2, 4, 8, 16))
    except ConvacError as exc:  # a profile key that this grid lacks is the only allowed failure
        assert "blocks" in str(exc) or "family" in str(exc)
        return
    assert d.n_params <= budget
    assert d.arch.grid == tuple(grid) and d.arch.shared == shared


def test_schedule_token_fits_the_paper_budget_at_every_r():
    for profile in ("local", "global"):
        d = design_schedule(profile)
        token = d.token()
        assert re.fullmatch(r"designed_(local|global)=([0-9.]+,){5}[0-9.]+", token)
        mults = [float(v) for v in token.split("=")[1].split(",")]
        for r in range(2, 200):
            chans = [max(1, round(m * r)) for m in mults]
            assert paper_architecture(chans).n_params <= paper_budget(r)
        assert d.to_dict()["token"] == token


# ---------------------------------------------------------------- the optimiser against brute force


def _objective(arch, weights, best):
    return sum(w * math.log2(min_cut(arch, s.partition(arch)).value) / best[s] for s, w in weights.items())


@pytest.mark.parametrize("profile", ["local", "global", {"blocks(2)": 1, "left_right": 1}])
def test_search_matches_brute_force(profile):
    """Every width vector, exact min-cuts by convac.min_cut, the same objective and tie-break."""
    grid, m, budget, widths = (16,), 3, 200, (1, 2, 3, 6)
    probe = Architecture.deep_1d(16, m, [1, 1, 1, 1], shared=True)
    feasible = [probe.with_channels(c) for c in itertools.product(widths, repeat=4)]
    feasible = [a for a in feasible if a.n_params <= budget]
    weights = resolve_profile(profile, probe)
    best = {s: max(math.log2(min_cut(a, s.partition(a)).value) for a in feasible) for s in weights}
    scored = [(_objective(a, weights, best), a) for a in feasible]
    top = max(v for v, _ in scored)
    winner = min((a for v, a in scored if v >= top - 1e-9), key=lambda a: (a.n_params, a.channels))
    d = design(grid, budget, profile, n_features=m, shared=True, widths=widths)
    assert d.channels == winner.channels
    assert d.n_candidates == len(feasible)
    assert d.objective == pytest.approx(top, abs=1e-9)
    for c in d.cuts:  # reported min-cuts are the exact ones
        s = next(s for s in scales(probe) if s.label == c.label)
        assert c.value == min_cut(d.arch, s.partition(d.arch)).value


# ---------------------------------------------------------------- profiles and explanation


def test_profile_parsing_and_weights():
    assert parse_profile("global") == "global"
    assert parse_profile("checkerboard=2,left_right=1") == {"checkerboard": 2.0, "left_right": 1.0}
    w = resolve_profile({"blocks": 2, 16: 1}, (16,))
    assert {s.label: v for s, v in w.items()} == pytest.approx(
        {"blocks(2)": 1 / 3, "blocks(4)": 1 / 3, "left_right": 1 / 3}
    )
    local = resolve_profile("local", (8, 8))
    assert sum(local.values()) == pytest.approx(1)
    assert max(local, key=local.__getitem__).label == "checkerboard"


def test_explanation_names_layers_and_scales():
    d = design_schedule("global")
    text = str(d)
    assert "layer 5 gets 6r (the widest)" in text and "left_right" in text
    assert "experiment schedule token: designed_global=" in text


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: design((16,), 500, "medium"), "unknown profile preset"),
        (lambda: design((16,), 5, "local"), "below the cheapest network"),
        (lambda: design((16,), 500, {"diagonal": 1}), "unknown partition"),
        (lambda: design((16,), 500, {"checkerboard": -1}), "non-negative"),
        (lambda: design((16,), 500, {"checkerboard": 0}), "all zero"),
        (lambda: design((12,), 500, "local"), "power of the window"),
        (lambda: design((16,), 500, "local", widths=(0, 2)), "positive"),
        (lambda: parse_profile("checkerboard=lots"), "SCALE=WEIGHT"),
        (lambda: design_schedule("local", multipliers=(40,)), "no multiplier vector fits"),
        (lambda: design((16,), 500, "local").token(), "experiment token"),
    ],
)
def test_bad_input_is_value_error(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_bad_types_are_type_errors():
    with pytest.raises(TypeError):
        design((16,), 500.0, "local")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        design((16,), 500, ["local"])  # type: ignore[arg-type]


def test_token_is_accepted_by_the_experiment_schedules():
    """When the experiment's schedule parser is present, it reads our token back to the same channels."""
    schedules = pytest.importorskip("convac.spec._paper")
    d = design_schedule("global")
    parsed = schedules.parse_schedule(d.token())
    assert parsed.name == "designed_global"
    assert tuple(parsed.channels(d.reference_r)) == d.channels


# ---------------------------------------------------------------- bad inputs: convac errors with one sentence


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"multipliers": (math.nan, 1.0)}, "multipliers[0] must be a positive number, got nan"),
        ({"multipliers": (1.0, math.inf)}, "multipliers[1] must be a positive number, got inf"),
        ({"multipliers": ()}, "at least one value"),
        ({"r_values": (2, 0)}, "r_values[1] must be a positive integer, got 0"),
        ({"reference_r": 0}, "reference_r must be a positive integer, got 0"),
        ({"name": "a b=c"}, "schedule name 'a b=c' cannot name an experiment token"),
        ({"name": "x,y"}, "use a letter, then letters, digits, '_' or '-'"),
        ({"name": "wide_tip"}, "not a registered schedule"),
    ],
)
def test_design_schedule_refuses_what_the_token_cannot_hold(kwargs, fragment):
    with pytest.raises(InputError) as info:
        design_schedule("local", **kwargs)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_the_token_name_is_checked_too():
    d = design_schedule("local", multipliers=(1, 2))
    assert d.token("mine-2") == "mine-2=" + ",".join(f"{m:g}" for m in d.multipliers)
    with pytest.raises(InputError, match="cannot name an experiment token"):
        d.token("a b")
    with pytest.raises(ConvacTypeError, match="the schedule name must be a string, got int"):
        design_schedule("local", name=3)  # type: ignore[arg-type]


def _data_profile(grid, means):
    from convac.datatensor._canonical import CanonicalProfile, LevelEntanglement

    levels = tuple(LevelEntanglement(2**i, 0, 1, (0,), (m,)) for i, m in enumerate(means))
    return CanonicalProfile(tuple(grid), 1.0, 10, levels)


def test_data_without_correlations_is_refused_not_designed_for():
    import numpy as np

    from convac.datatensor import canonical_entanglement

    for x in (np.zeros((10, 8)), np.full((12, 8, 8), 0.3)):
        profile = canonical_entanglement(x)
        with pytest.raises(InputError, match="the data carry no correlations"):
            design(x.shape[1:], 400, profile)
    # rounding noise (B61: 1e-48 at one level) is no correlation either
    with pytest.raises(InputError, match="every channel width fits them equally well"):
        design((8,), 400, _data_profile((8,), [0.0, 0.0, 1e-48]))
    # the same levels with real entanglement design fine
    assert design((8,), 400, _data_profile((8,), [0.5, 1.0, 2.0])).profile


def test_a_data_profile_only_designs_for_its_own_grid():
    profile = _data_profile((8, 8), [0.5, 1.0, 2.0])
    with pytest.raises(InputError) as info:
        design_schedule(profile)
    assert "measured on the grid 8x8, but the network's grid is 64x64" in str(info.value)
    with pytest.raises(InputError, match="grid 8x8, but the network's grid is 16x16"):
        design((16, 16), 4000, profile)
    assert design((8, 8), 400, profile).arch.grid == (8, 8)


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda: design("16", 400), ConvacTypeError, "grid must be N or (H, W), got str"),
        (lambda: design(16.0, 400), ConvacTypeError, "grid must be N or (H, W), got float"),
        (lambda: design((16, 0), 400), InputError, "grid[1] must be a positive integer, got 0"),
        (lambda: design((2, 2, 2), 400), InputError, "grid must be N or (H, W), got 3 sides"),
        (lambda: design((16,), 400, widths=()), InputError, "at least one candidate width"),
        (lambda: parse_profile(3), ConvacTypeError, "profile must be a preset name or SCALE=WEIGHT,..., got int"),
    ],
)
def test_builtin_errors_became_convac_errors(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)


def test_a_numpy_integer_grid_is_one_side():
    import numpy as np

    assert design(np.int64(16), 200, "global").channels == design((16,), 200, "global").channels
