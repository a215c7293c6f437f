"""Any grid and pooling schedule: ``Architecture.deep_1d/deep_2d(..., windows=[...])``."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac import Architecture, ArchitectureError, ConvacError
from convac.errors import ConvacTypeError


def test_paper_examples_28x28_and_84() -> None:
    arch = Architecture.deep_2d(height=28, width=28, n_features=2, channels=[4, 4, 4], windows=[(2, 2), (2, 2), (7, 7)])
    assert [arch.layer_grid(layer) for layer in range(4)] == [(28, 28), (14, 14), (7, 7), (1, 1)]
    assert [arch.positions(layer) for layer in range(4)] == [784, 196, 49, 1]
    assert arch.pool_sizes == (4, 4, 49) and arch.window is None
    assert [arch.receptive_field(layer) for layer in range(4)] == [(1, 1), (2, 2), (4, 4), (28, 28)]
    # every window of the last layer holds the whole 7x7 grid once, row-major
    assert arch.pool_windows(2) == [tuple(range(49))]
    # unshared params: sum over layers of positions * in * out, plus the output layer
    assert arch.n_params == 784 * 2 * 4 + 196 * 4 * 4 + 49 * 4 * 4 + 4
    one_d = Architecture.deep_1d(n_inputs=84, n_features=3, channels=[2, 3, 4, 5], windows=[2, 2, 3, 7])
    assert [one_d.positions(layer) for layer in range(5)] == [84, 42, 21, 7, 1]
    assert one_d.pool_windows(2)[1] == (3, 4, 5)
    assert "windows 2, 2, 3, 7" in one_d.summary()


def test_rectangular_grid_and_windows() -> None:
    arch = Architecture.deep_2d(height=6, width=4, n_features=2, channels=[3, 2], windows=[(2, 2), (3, 2)])
    assert [arch.layer_grid(layer) for layer in range(3)] == [(6, 4), (3, 2), (1, 1)]
    windows = arch.pool_windows(0)
    assert (
        len(windows) == 6 and windows[0] == (0, 1, 4, 5) and windows[1] == (2, 3, 6, 7) and windows[2] == (8, 9, 12, 13)
    )
    # every position is pooled exactly once at every layer
    for layer in range(arch.depth):
        flat = sorted(q for w in arch.pool_windows(layer) for q in w)
        assert flat == list(range(arch.positions(layer)))
    # an axis may pool 1 at a layer as long as the window pools at least 2 positions
    tall = Architecture.deep_2d(height=8, width=2, n_features=2, channels=[2, 2, 2], windows=[(2, 1), (2, 2), (2, 1)])
    assert tall.layer_grid(2) == (2, 1)


def test_uniform_windows_equal_the_window_keyword() -> None:
    assert Architecture.deep_1d(27, 2, [2, 2, 2], window=3) == Architecture.deep_1d(27, 2, [2, 2, 2], windows=[3, 3, 3])
    square = Architecture.deep_2d(8, 8, 2, [2, 2, 2])
    assert square == Architecture.deep_2d(8, 8, 2, [2, 2, 2], windows=[2, (2, 2), [2, 2]])
    assert square.window == 2 and square.windows == ((2, 2),) * 3 and square.pool_size == 4
    with pytest.raises(ArchitectureError, match="use pool_sizes"):
        _ = Architecture.deep_1d(12, 2, [2, 2, 2], windows=[2, 3, 2]).pool_size


def test_to_dict_round_trip_and_old_dicts() -> None:
    for arch in (
        Architecture.deep_2d(height=6, width=4, n_features=2, channels=[3, 2], windows=[(2, 2), (3, 2)], n_outputs=2),
        Architecture.deep_1d(n_inputs=12, n_features=2, channels=[3, 3, 2], windows=[2, 3, 2], shared=True),
        Architecture.deep_1d(n_inputs=9, n_features=2, channels=[3, 3], window=3),
        Architecture.shallow(height=2, width=3, n_features=2, hidden=4),
    ):
        assert Architecture.from_dict(arch.to_dict()) == arch
    old = {"kind": "deep", "grid": [16], "n_features": 2, "channels": [2, 2], "window": 4, "shared": False}
    assert Architecture.from_dict(old).windows == ((4,), (4,))
    old_shallow = {"kind": "shallow", "grid": [6], "n_features": 2, "channels": [3], "window": 2}
    assert Architecture.from_dict(old_shallow) == Architecture.shallow(n_inputs=6, n_features=2, hidden=3)
    with pytest.raises(ArchitectureError, match="disagrees with windows"):
        Architecture.from_dict({**old, "windows": [[2], [8]]})


def test_with_channels_keeps_the_schedule() -> None:
    arch = Architecture.deep_1d(n_inputs=12, n_features=2, channels=[3, 3, 2], windows=[2, 3, 2])
    assert arch.with_channels([1, 2, 3]).windows == arch.windows


@pytest.mark.parametrize(
    "arch",
    [
        Architecture.deep_1d(n_inputs=12, n_features=2, channels=[3, 3, 2], windows=[2, 3, 2], n_outputs=3),
        Architecture.deep_2d(height=28, width=28, n_features=3, channels=[4, 4, 4], windows=[2, 2, 7]),
        Architecture.deep_2d(height=6, width=4, n_features=2, channels=[3, 2], windows=[(2, 2), (3, 2)]),
        Architecture.shallow(height=2, width=3, n_features=2, hidden=4),
    ],
)
def test_to_general_is_the_same_tree(arch: Architecture) -> None:
    spec = arch.to_general()
    assert spec.is_tree
    assert spec.grid == arch.grid and spec.n_outputs == arch.n_outputs
    assert spec.channels == (arch.n_features, *arch.channels)
    assert [spec.layer_grid(layer) for layer in range(arch.depth + 1)] == [
        arch.layer_grid(layer) for layer in range(arch.depth + 1)
    ]
    # the general spec's windows are the same positions, as coordinates
    for layer in range(arch.depth):
        width = arch.layer_grid(layer)[-1]
        out_grid = arch.layer_grid(layer + 1)
        for k, members in enumerate(arch.pool_windows(layer)):
            q = divmod(k, out_grid[1]) if arch.ndim == 2 else (k,)
            coords = spec.window(layer, q)
            flat = tuple(c[0] * width + c[1] if arch.ndim == 2 else c[0] for c in coords)
            assert flat == members


BAD = [
    (lambda: Architecture.deep_1d(12, 2, [2, 2], windows=[2, 4]), "multiply to 2 * 4 = 8, but n_inputs is 12"),
    (lambda: Architecture.deep_1d(12, 2, [2, 2], windows=[2, 4]), "12 = 2 * 2 * 3 (e.g. [3, 4])"),
    (
        lambda: Architecture.deep_2d(28, 28, 2, [2, 2, 2], windows=[(2, 2), (2, 2), (7, 6)]),
        "along the width axis multiply to 2 * 2 * 6 = 24, but width is 28",
    ),
    (lambda: Architecture.deep_1d(8, 2, [2, 2, 2, 2], windows=[2, 2, 2, 1]), "pools a single position"),
    (lambda: Architecture.deep_2d(4, 4, 2, [2, 2, 2], windows=[4, (1, 1), 1]), "windows[1] is 1x1"),
    (lambda: Architecture.deep_1d(8, 2, [2, 2, 2, 2], windows=[2, 2, 2, 1]), "at least 2"),
    (lambda: Architecture.deep_1d(8, 2, [2, 2, 2, 2], windows=[2, 2, 2]), "got 3 windows and 4 channel entries"),
    (lambda: Architecture.deep_1d(8, 2, [2, 2], windows=[2, 2, 2]), "one entry per hidden layer"),
    (lambda: Architecture.deep_1d(32, 2, [2, 2, 2, 2, 2, 2], windows=[2] * 6), "at most 5 layers of windows >= 2"),
    (
        lambda: Architecture.deep_1d(8, 2, [2, 2, 2], window=2, windows=[2, 2, 2]),
        "or windows (one window per layer), not both",
    ),
    (lambda: Architecture.deep_2d(4, 4, 2, [2, 2], windows=[(2, 2, 1), (2, 2)]), "one per grid axis"),
    (lambda: Architecture.deep_2d(6, 4, 2, [2, 2]), "needs a square grid"),
    (lambda: Architecture.deep_2d(6, 4, 2, [2, 2]), "give windows="),
]


@pytest.mark.parametrize(("build", "match"), BAD)
def test_bad_schedules(build, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArchitectureError, match=re.escape(match)):
        build()


@pytest.mark.parametrize(
    ("windows", "match"),
    [
        ([2, 2.0, 2], "windows\\[1\\] must be an integer"),
        ("222", "windows must be a list"),
        (2, "windows must be a list"),
        ([2, "2", 2], "windows\\[1\\] must be an integer or 1 integers"),
        ([True, 2, 4], "windows\\[0\\] must be an integer"),
    ],
)
def test_non_integer_windows_are_type_errors(windows, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvacTypeError, match=match):
        Architecture.deep_1d(16, 2, [2, 2, 2], windows=windows)
    assert issubclass(ConvacTypeError, ConvacError)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[int, list[tuple[int, ...]]]:
    ndim = draw(st.sampled_from([1, 2]))
    depth = draw(st.integers(1, 4))
    sizes = st.integers(2, 5) if ndim == 1 else st.tuples(st.integers(1, 4), st.integers(1, 4))
    windows = draw(
        st.lists(sizes, min_size=depth, max_size=depth).filter(
            lambda ws: all(math.prod(w) >= 2 for w in ws) if ndim == 2 else True
        )
    )
    return ndim, [(w,) if isinstance(w, int) else w for w in windows]


@settings(max_examples=60, deadline=None)
@given(schedules())
def test_any_schedule_tiles_its_grid(case: tuple[int, list[tuple[int, ...]]]) -> None:
    ndim, windows = case
    grid = tuple(math.prod(w[axis] for w in windows) for axis in range(ndim))
    channels = [2] * len(windows)
    if ndim == 1:
        arch = Architecture.deep_1d(grid[0], 2, channels, windows=[w[0] for w in windows])
    else:
        arch = Architecture.deep_2d(grid[0], grid[1], 2, channels, windows=windows)
    assert arch.windows == tuple(windows)
    assert arch.layer_grid(arch.depth) == (1,) * ndim
    for layer in range(arch.depth):
        assert arch.positions(layer) == arch.positions(layer + 1) * arch.pool_sizes[layer]
        pooled = arch.pool_windows(layer)
        assert len(pooled) == arch.positions(layer + 1)
        assert sorted(q for w in pooled for q in w) == list(range(arch.positions(layer)))
        assert all(len(w) == arch.pool_sizes[layer] for w in pooled)
    assert Architecture.from_dict(arch.to_dict()) == arch
    assert arch.to_general().is_tree
