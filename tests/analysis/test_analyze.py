"""convac.analysis: probe scales, exact min-cuts per scale, the vectorised DP, figures, paper pair."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac import Architecture, Partition, min_cut, min_cut_lower_bound
from convac.analysis import (
    analyze,
    analyze_many,
    binding_layers,
    compare_table,
    log2_min_cuts,
    paper_pair,
    parse_scale,
    scales,
)
from convac.analysis._figures import layer_width_effect, plot_layer_width_effect, plot_scales
from convac.errors import ConvacError, PartitionError

# ---------------------------------------------------------------- probe partitions


def test_scales_cover_families_and_lengths():
    labels = [s.label for s in scales((16, 16))]
    assert labels == ["checkerboard", "blocks(2)", "blocks(4)", "blocks(8)", "left_right", "up_down"]
    assert [s.label for s in scales((32,))] == ["checkerboard", "blocks(2)", "blocks(4)", "blocks(8)", "left_right"]
    # the partitions are the library's own families
    arch = Architecture.deep_2d(8, 8, 2, [2, 2, 2])
    for s in scales(arch):
        expected = {
            "checkerboard": Partition.checkerboard(arch),
            "left_right": Partition.left_right(arch),
            "up_down": Partition.up_down(arch),
        }.get(s.family) or Partition.blocks(arch, s.width)
        assert s.partition(arch) == expected


@pytest.mark.parametrize("bad", ["diagonal", "blocks(3)", "blocks(64)", "", 7, 1.5])
def test_unknown_scale_is_value_or_type_error(bad):
    with pytest.raises((ValueError, TypeError)):
        parse_scale(bad, (16,))


def test_unknown_family_is_partition_error():
    with pytest.raises(PartitionError, match="unknown partition family"):
        scales((8, 8), ["diagonal"])
    with pytest.raises(PartitionError, match="2D"):
        scales((8,), ["up_down"])


# ---------------------------------------------------------------- the vectorised DP against the exact tree


@st.composite
def _arch_and_channels(draw):
    two_d = draw(st.booleans())
    depth = draw(st.integers(1, 3 if two_d else 5))
    m = draw(st.integers(1, 5))
    chans = draw(st.lists(st.lists(st.integers(1, 9), min_size=depth, max_size=depth), min_size=1, max_size=4))
    side = 2**depth
    arch = Architecture.deep_2d(side, side, m, chans[0]) if two_d else Architecture.deep_1d(side, m, chans[0])
    return arch, np.array(chans)


@settings(max_examples=60, deadline=None)
@given(_arch_and_channels(), st.integers(0, 2**32 - 1))
def test_log2_min_cuts_equals_exact_tree(case, seed):
    arch, chans = case
    masks = [s.partition(arch).mask for s in scales(arch)] + [Partition.random(arch, seed=seed).mask]
    for mask in masks:
        got = log2_min_cuts(arch, mask, chans)
        part = Partition.from_mask(mask)
        exact = [math.log2(min_cut(arch.with_channels(c.tolist()), part).value) for c in chans]
        np.testing.assert_allclose(got, exact, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(_arch_and_channels())
def test_cut_layers_bind(case):
    """The layers of a minimal cut always bind (narrowing them lowers the min-cut)."""
    arch, _ = case
    for s in scales(arch):
        part = s.partition(arch)
        cut = min_cut(arch, part)
        used = {e.layer for e in cut.edges if e.dim > 1}
        assert used <= set(binding_layers(arch, part.mask))


def test_binding_layers_lists_ties():
    arch = Architecture.deep_1d(8, 2, [3, 2, 2])
    assert binding_layers(arch, Partition.left_right(arch).mask) == (1, 2)
    arch = Architecture.deep_1d(8, 2, [3, 4, 2])
    assert binding_layers(arch, Partition.left_right(arch).mask) == (2,)


# ---------------------------------------------------------------- analyze


def test_analyze_equals_min_cut_and_lower_bound():
    arch = Architecture.deep_2d(8, 8, 3, [5, 2, 7])
    result = analyze(arch, rank=False)
    assert [r.label for r in result.rows] == [s.label for s in scales(arch)]
    for row in result.rows:
        part = row.scale.partition(arch)
        cut = min_cut(arch, part)
        assert row.value == cut.value and row.log2 == cut.log2
        assert row.lower_bound == min_cut_lower_bound(arch, part)
        assert row.cut_layers == tuple(sorted({e.layer for e in cut.edges}))
        assert row.rank is None


def test_analyze_closed_forms_2d():
    """Checkerboard min(r_0, M^2)^(N/4); halves min(r_{L-1}, g_{L-2}^2), g_l = min(r_l, g_{l-1}^4)."""
    m, ch = 3, [5, 2, 7]
    rows = {r.label: r.value for r in analyze(Architecture.deep_2d(8, 8, m, ch), rank=False).rows}
    assert rows["checkerboard"] == min(ch[0], m * m) ** 16
    g = m
    for r in ch[:-1]:
        g = min(r, g**4)
    assert rows["left_right"] == rows["up_down"] == min(ch[-1], g * g)


def test_analyze_generic_rank_on_small_network():
    arch = Architecture.deep_1d(8, 2, [4, 4, 4])  # powers of 2: rank = min-cut for almost all weights
    result = analyze(arch)
    assert all(r.rank == r.value for r in result.rows)
    assert analyze(arch, rank=False).rows[0].rank is None


def test_analyze_shallow_and_bad_input():
    arch = Architecture.shallow(n_inputs=8, n_features=2, hidden=5)
    rows = analyze(arch, rank=False).rows
    assert all(r.value == min(2 ** min(4, 8), 5) for r in rows)  # min(M^min(|A|,|B|), Z)
    with pytest.raises(TypeError):
        analyze("not an arch")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rank"):
        analyze(arch, rank="maybe")
    with pytest.raises(PartitionError):
        analyze(arch, families=["zigzag"])


def test_paper_pair_shows_the_paper_point():
    """wide-base has the larger min-cut at short scales, wide-tip at long ones (same parameter count)."""
    base, tip = analyze_many(paper_pair(8), rank=False)
    assert base.arch.n_params == tip.arch.n_params == 31 * 64 + 50 * 8
    short = {"checkerboard", "blocks(2)"}
    long = {"blocks(16)", "blocks(32)", "left_right", "up_down"}
    for b, t in zip(base.rows, tip.rows, strict=True):
        if b.label in short:
            assert b.value > t.value
        if b.label in long:
            assert t.value > b.value
    table = compare_table([base, tip])
    assert "wide_base(8)" in table.splitlines()[1] and "wide_tip(8)" in table.splitlines()[-1]


def test_analysis_to_dict_is_json():
    import json

    a = analyze(Architecture.deep_2d(8, 8, 4, [16, 2, 2]), name="x", rank=False)
    data = json.loads(json.dumps(a.to_dict()))
    assert data["name"] == "x" and len(data["scales"]) == len(a.rows)
    big = data["scales"][0]
    assert int(big["min_cut"]) == a.rows[0].value  # above 2**53: a string, exact


def test_compare_table_needs_same_grid():
    a = analyze(Architecture.deep_1d(8, 2, [2, 2, 2]), rank=False)
    b = analyze(Architecture.deep_1d(16, 2, [2, 2, 2, 2]), rank=False)
    with pytest.raises(ConvacError):
        compare_table([a, b])
    with pytest.raises(ConvacError):
        compare_table([])


# ---------------------------------------------------------------- figures


def test_figures_are_written(tmp_path):
    analyses = analyze_many(paper_pair(2), rank=False)
    path = plot_scales(analyses, tmp_path / "sub" / "scales.png")
    assert (tmp_path / "sub" / "scales.png").stat().st_size > 1000 and path.endswith("scales.png")
    plot_layer_width_effect(analyses[0].arch, tmp_path / "width.png")
    assert (tmp_path / "width.png").read_bytes()[:4] == b"\x89PNG"


def test_layer_width_effect_is_diagonal_for_distinct_widths():
    """Each layer of the paper's networks controls exactly its own length scale (docs/theory.md §5)."""
    labels, loss = layer_width_effect(paper_pair(8)["wide_base(8)"])
    assert loss.shape == (6, len(labels))
    for layer in range(6):
        assert loss[layer, layer] > 0
        assert (np.delete(loss[layer], [layer, 6, 7] if layer == 5 else [layer]) == 0).all()
