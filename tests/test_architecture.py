"""Architecture: validation, derived counts, round trips."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convac import Architecture, ArchitectureError


def brute_force_params(arch: Architecture) -> int:
    """Count weights by walking the network position by position."""
    total, c_in, positions = 0, arch.n_features, arch.n_inputs
    for c_out in arch.channels:
        total += (1 if arch.shared else positions) * c_in * c_out
        positions = 1 if arch.kind == "shallow" else positions // arch.window**arch.ndim
        c_in = c_out
    return total + c_in * arch.n_outputs


@given(
    depth=st.integers(1, 6),
    m=st.integers(1, 5),
    channels=st.lists(st.integers(1, 9), min_size=6, max_size=6),
    y=st.integers(1, 4),
    shared=st.booleans(),
)
def test_deep_1d_counts(depth, m, channels, y, shared):
    arch = Architecture.deep_1d(2**depth, m, channels[:depth], n_outputs=y, shared=shared)
    assert arch.depth == depth and arch.n_inputs == 2**depth
    assert arch.n_params == brute_force_params(arch)
    assert [arch.positions(k) for k in range(depth + 1)] == [2 ** (depth - k) for k in range(depth + 1)]


def test_paper_counts_wide_base_wide_tip():
    # docs/theory.md §6 geometry as a ConvAC on 64x64 inputs with M=10 and shared weights:
    # hidden + output weights are 31r^2 + 50r for both schedules.
    for r in (6, 8, 10):
        for sched in ([4 * r, 4 * r, 2 * r, 2 * r, r, r], [r, r, 2 * r, 2 * r, 4 * r, 4 * r]):
            arch = Architecture.deep_2d(64, 64, 10, sched, n_outputs=10, shared=True)
            assert arch.n_params == 31 * r * r + 50 * r


def test_deep_2d_and_windows():
    arch = Architecture.deep_2d(8, 8, 2, [3, 4, 5])
    assert arch.depth == 3 and arch.pool_size == 4
    assert arch.layer_grid(1) == (4, 4)
    windows = arch.pool_windows(0)
    assert len(windows) == 16 and windows[0] == (0, 1, 8, 9) and windows[-1] == (54, 55, 62, 63)
    # every position of every layer is pooled exactly once
    for layer in range(arch.depth):
        flat = sorted(p for w in arch.pool_windows(layer) for p in w)
        assert flat == list(range(arch.positions(layer)))
    tri = Architecture.deep_1d(27, 2, [2, 2, 2], window=3)
    assert tri.pool_windows(1) == [(0, 1, 2), (3, 4, 5), (6, 7, 8)]


def test_shallow():
    arch = Architecture.shallow(n_inputs=5, n_features=3, hidden=4, n_outputs=2)
    assert arch.depth == 1 and arch.pool_windows(0) == [(0, 1, 2, 3, 4)]
    assert arch.n_params == 5 * 3 * 4 + 4 * 2
    grid = Architecture.shallow(height=2, width=3, n_features=2, hidden=2, shared=True)
    assert grid.ndim == 2 and grid.n_inputs == 6 and grid.n_params == 2 * 2 + 2


def test_immutable_and_round_trip():
    arch = Architecture.deep_1d(8, 2, [2, 3, 4], n_outputs=3, shared=True)
    with pytest.raises(AttributeError):
        arch.n_features = 3  # type: ignore[misc]
    assert Architecture.from_dict(arch.to_dict()) == arch
    assert hash(arch) == hash(Architecture.from_dict(arch.to_dict()))
    assert arch.with_channels([5, 5, 5]).channels == (5, 5, 5)


def test_summary_lists_every_layer():
    arch = Architecture.deep_2d(4, 4, 2, [3, 5], n_outputs=2)
    text = arch.summary()
    assert "2 -> 3" in text and "3 -> 5" in text and "5 -> 2" in text
    assert text.splitlines()[-1].split()[-1] == str(arch.n_params)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Architecture.deep_1d(12, 2, [2, 2]), "power of the window size 2"),
        (lambda: Architecture.deep_1d(16, 2, [2, 2, 2]), "one entry per hidden layer.*4 hidden layers"),
        (lambda: Architecture.deep_1d(8, 2, [2, 0, 2]), r"channels\[1\] must be a positive integer, got 0"),
        (lambda: Architecture.deep_1d(8, 0, [2, 2, 2]), "n_features must be a positive integer, got 0"),
        (lambda: Architecture.deep_1d(8, 2, [2, 2, 2], n_outputs=0), "n_outputs must be a positive integer, got 0"),
        (lambda: Architecture.deep_1d(8, 2, [2, 2, 2], window=1), "window must be an integer >= 2, got 1"),
        (lambda: Architecture.deep_1d(1, 2, []), "at least 2 inputs"),
        (lambda: Architecture.deep_2d(4, 8, 2, [2, 2]), "square grid"),
        (lambda: Architecture.deep_2d(6, 6, 2, [2]), "power of the window size"),
        (lambda: Architecture.shallow(n_features=2, hidden=2), "needs n_inputs"),
        (lambda: Architecture.shallow(n_inputs=4, n_features=2, hidden=2, height=2), "both height and width"),
        (lambda: Architecture("medium", (4,), 2, (2, 2)), "kind must be"),  # type: ignore[arg-type]
        (lambda: Architecture.from_dict({"kind": "deep", "grid": [4]}), "missing field"),
        (
            lambda: Architecture.from_dict({"kind": "deep", "grid": 4, "n_features": 2, "channels": [2, 2], "x": 1}),
            "unknown architecture field",
        ),
    ],
)
def test_bad_architectures(build, match):
    with pytest.raises(ArchitectureError, match=match):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Architecture.deep_1d(8, 2, [2, 2.0, 2]),
        lambda: Architecture.deep_1d(8, 2, [2, True, 2]),
        lambda: Architecture.deep_1d(8, 2, "222"),
        lambda: Architecture.deep_1d(8.0, 2, [2, 2, 2]),
        lambda: Architecture.deep_1d(8, 2, [2, 2, 2], shared="no"),
        lambda: Architecture.from_dict([1, 2]),
    ],
)
def test_bad_types(build):
    with pytest.raises(TypeError):
        build()


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        Architecture.deep_1d(6, 2, [2])
    assert math.log2(Architecture.deep_1d(1024, 2, [2] * 10).n_inputs) == 10
