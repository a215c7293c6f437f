"""The size of a general spec's unrolled tensor network, counted before it is built."""

import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convac import TooLargeError, analyze
from convac.analysis import MAX_UNROLLED_MATRICES, unrolled_matrices
from convac.analysis._unrolled import check_unrolled_size
from convac.errors import ArchitectureError, ConvacTypeError
from convac.mincut import tensor_network_graph
from convac.spec import ConvStep, GeneralArchitecture


@st.composite
def _specs(draw):
    ndim = draw(st.sampled_from([1, 2]))
    grid = tuple(draw(st.integers(2, 7)) for _ in range(ndim))
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
        d = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
        p = tuple(draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d, strict=True))
        s = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
        steps.append(ConvStep(draw(st.sampled_from([None, 2])), k, s, p, d))
    return grid, steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_specs())
def test_the_count_is_the_number_of_matrices_of_the_built_graph(drawn):
    grid, steps = drawn
    # close with a step over whatever grid is left, so every drawn body is a valid spec
    try:
        head = _with_head(grid, steps)
    except ArchitectureError:
        assume(False)  # a kernel wider than its padded grid
    assert unrolled_matrices(head) == len(tensor_network_graph(head).nodes)


def _with_head(grid, steps):
    size = list(grid)
    for step in steps:
        for axis in range(len(size)):
            span = step.dilation[axis] * (step.kernel[axis] - 1) + 1
            size[axis] = (size[axis] + 2 * step.padding[axis] - span) // step.stride[axis] + 1
    left = tuple(max(v, 1) for v in size)
    return GeneralArchitecture(grid=grid, n_features=2, steps=[*steps, ConvStep(3, left, left)])


def test_closed_forms():
    # a tree: every position is one window member once
    tree = GeneralArchitecture(
        grid=(8, 8), n_features=2, steps=[ConvStep(3, 2, 2), ConvStep(None, 2, 2), ConvStep(2, 2, 2)]
    )
    assert unrolled_matrices(tree) == 64 + 4
    # k stride-1 convolutions of width 3 with padding 1 on n positions, then the head over all n: the
    # paths to a position are the ways to walk k steps of -1, 0, +1 from any top position staying inside
    stacked = GeneralArchitecture(grid=(5,), n_features=2, steps=[ConvStep(2, 3, padding=1), ConvStep(2, 5)])
    assert unrolled_matrices(stacked) == 5 + (2 + 3 + 3 + 3 + 2)


def test_the_limit_is_checked_before_anything_is_built():
    spec = GeneralArchitecture(grid=(64, 64), n_features=2, steps=[ConvStep(2, 3, padding=1)] * 8 + [ConvStep(2, 64)])
    start = time.perf_counter()
    with pytest.raises(TooLargeError, match=rf"would have .* matrices .* over the limit of {MAX_UNROLLED_MATRICES:,}"):
        analyze(spec, onehot=True)
    assert time.perf_counter() - start < 5
    assert check_unrolled_size(spec, limit=10**20) == unrolled_matrices(spec)


def test_bad_arguments():
    with pytest.raises(ConvacTypeError, match=r"a convac\.spec\.GeneralArchitecture"):
        unrolled_matrices("8x8")
    spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, 4)])
    with pytest.raises(ConvacTypeError, match="limit must be"):
        check_unrolled_size(spec, limit=1.5)
