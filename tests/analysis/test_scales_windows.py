"""Probe scales, analyze and design on any pooling schedule."""

from __future__ import annotations

import pytest

import convac
from convac import Architecture, Partition
from convac.analysis import architecture_from_options, load_architecture, parse_grid
from convac.analysis._scales import parse_scale, scales
from convac.channel_design import design
from convac.errors import PartitionError

ARCH_28 = Architecture.deep_2d(28, 28, 2, [4, 4, 4], windows=[(2, 2), (2, 2), (7, 7)], shared=True)


def test_scales_are_the_receptive_fields_of_the_pooling_levels() -> None:
    assert [s.label for s in scales(ARCH_28)] == ["checkerboard", "blocks(2)", "blocks(4)", "left_right", "up_down"]
    one_d = Architecture.deep_1d(84, 2, [2, 2, 2, 2], windows=[2, 2, 3, 7])
    assert [s.label for s in scales(one_d)] == ["checkerboard", "blocks(2)", "blocks(4)", "blocks(12)", "left_right"]
    # 12 = 2 * 3 * 2: the level of receptive field 6 is N/2, i.e. left/right itself
    assert [s.label for s in scales(Architecture.deep_1d(12, 2, [2, 2, 2], windows=[2, 3, 2]))] == [
        "checkerboard",
        "blocks(2)",
        "left_right",
    ]
    # window 2 on a power-of-two grid: the same scales as for the bare grid
    uniform = Architecture.deep_2d(16, 16, 2, [2, 2, 2, 2])
    assert [s.label for s in scales(uniform)] == [s.label for s in scales((16, 16))]


def test_rectangular_receptive_fields_give_rectangular_blocks() -> None:
    arch = Architecture.deep_2d(12, 8, 2, [2, 2, 2], windows=[(2, 2), (3, 2), (2, 2)])
    labels = [s.label for s in scales(arch)]
    assert labels == ["checkerboard", "blocks(2)", "blocks(6x4)", "left_right", "up_down"]
    block = next(s for s in scales(arch) if s.label == "blocks(6x4)")
    part = block.partition(arch)
    assert part.picture().splitlines()[0] == "AAAABBBB" and part.picture().splitlines()[6] == "BBBBAAAA"
    # each 6x4 block is one node of layer 2: the partition only cuts the top 2x2 delta
    assert convac.min_cut(arch, part).value == 2
    assert [s.label for s in parse_scale("blocks(6x4)", arch)] == ["blocks(6x4)"]
    with pytest.raises(PartitionError, match="must fit inside"):
        Partition.blocks((4, 6), (2, 7))


def test_analyze_28x28_rows_match_direct_min_cuts() -> None:
    analysis = convac.analyze(ARCH_28, rank=False)
    for row, probe in zip(analysis.rows, scales(ARCH_28), strict=True):
        assert row.label == probe.label
        assert row.value == convac.min_cut(ARCH_28, probe.partition(ARCH_28)).value
    values = {row.label: row.value for row in analysis.rows}
    # checkerboard: min(r_0, M^2)^196; blocks(4): the 4x4 blocks are the top window's members (r_2)
    assert values["checkerboard"] == 4**196 and values["blocks(4)"] == 4
    # left/right: top delta (4) plus 7 straddling 4x4 blocks split at their own delta (4 each)
    assert values["left_right"] == values["up_down"] == 4**8


def test_design_on_a_schedule_keeps_it() -> None:
    d = design((28, 28), budget=3000, profile="global", windows=[(2, 2), (2, 2), (7, 7)], shared=True)
    assert d.arch.windows == ((2, 2), (2, 2), (7, 7)) and d.arch.n_params <= 3000
    d1 = design(84, budget=400, profile="local", windows=[2, 2, 3, 7])
    assert d1.arch.windows == ((2,), (2,), (3,), (7,)) and d1.arch.n_params <= 400


def test_specs_take_windows_and_rectangular_grids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert parse_grid("6x4") == (6, 4)
    arch = architecture_from_options(grid="6x4", features=2, channels=[3, 2], windows=[(2, 2), (3, 2)])
    assert arch.layer_grid(1) == (3, 2)
    path = tmp_path / "arch.yaml"
    path.write_text(
        "kind: deep\ngrid: [28, 28]\nn_features: 2\nchannels: [4, 4, 4]\n"
        "windows: [[2, 2], [2, 2], [7, 7]]\nshared: true\n"
    )
    assert load_architecture(path) == [ARCH_28]
    with pytest.raises(convac.ArchitectureError, match="drop --window/--windows"):
        architecture_from_options(inputs=8, channels=[2], shallow=True, windows=[8])
