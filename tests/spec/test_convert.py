"""Conversions between the tree spec and the general spec, and the paper's one geometry."""

from __future__ import annotations

import pytest

from convac import Architecture, Partition
from convac.errors import ArchitectureError, InputError, PartitionError
from convac.spec import ConvStep, GeneralArchitecture, to_architecture
from convac.spec._paper import PAPER_SCHEDULES, SCHEDULES, paper_architecture, paper_budget, parse_schedule, wide_tip


@pytest.mark.parametrize(
    "arch",
    [
        Architecture.deep_1d(16, 2, [3, 4, 5, 6]),
        Architecture.deep_1d(12, 3, [2, 3, 4], windows=[2, 3, 2]),
        Architecture.deep_2d(6, 4, 2, [3, 2], windows=[(2, 2), (3, 2)]),
        Architecture.deep_2d(8, 8, 2, [2, 2, 2]),
    ],
)
def test_round_trip(arch: Architecture) -> None:
    spec = arch.to_general()
    assert spec.is_tree and spec.channels == (arch.n_features, *arch.channels)
    assert [spec.layer_grid(layer) for layer in range(arch.depth + 1)] == [
        arch.layer_grid(layer) for layer in range(arch.depth + 1)
    ]
    assert to_architecture(spec) == arch


@pytest.mark.parametrize(
    "steps, match",
    [
        ([ConvStep(2, kernel=2), ConvStep(2, kernel=3)], r"steps\[0\] has kernel \(2,\) and stride \(1,\)"),
        ([ConvStep(None, kernel=2, stride=2), ConvStep(2, kernel=2, stride=2)], r"steps\[0\] is a pure pooling step"),
        ([ConvStep(2, kernel=2, stride=2, padding=1), ConvStep(2, kernel=3)], "only non-overlapping pooling"),
        ([ConvStep(2, kernel=3, stride=3), ConvStep(2, kernel=2, stride=2)], "do not tile"),
    ],
)
def test_non_tree_specs_are_refused(steps, match) -> None:
    grid = (4,) if steps[0].kernel != 3 else (7,)
    spec = GeneralArchitecture(grid=grid, n_features=2, steps=steps)
    with pytest.raises(ArchitectureError, match=match):
        to_architecture(spec)


def test_partition_of_another_grid_is_refused() -> None:
    spec = GeneralArchitecture(grid=(4, 2), n_features=2, steps=[ConvStep(2, kernel=(4, 2))])
    with pytest.raises(PartitionError, match=r"partition is of a \(2, 4\) grid but the spec's grid is \(4, 2\)"):
        Partition(8, side_a=[0], grid=(2, 4)).check_fits(spec)
    with pytest.raises(PartitionError, match="the spec has 8 inputs; build it from the spec"):
        Partition(6, side_a=[0]).check_fits(spec)


def test_paper_geometry_and_schedules_are_defined_once() -> None:
    import convac.analysis
    import convac.models

    assert convac.analysis.paper_architecture is paper_architecture and convac.models.wide_tip is wide_tip
    assert PAPER_SCHEDULES is SCHEDULES
    for r in (1, 4, 8):
        for name in SCHEDULES:
            assert paper_architecture(SCHEDULES[name](r)).n_params == paper_budget(r) == 31 * r * r + 50 * r


def test_bad_schedule_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown schedule 'wide'; allowed: wide_base, wide_tip"):
        parse_schedule("wide")
    with pytest.raises(InputError, match="has 2 multipliers"):
        parse_schedule("mine=1,2")
