"""One min_cut for tree and general specs: the methods agree where they overlap."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac import Architecture, Partition
from convac.errors import InputError
from convac.mincut import METHODS, min_cut, min_cut_lower_bound
from convac.spec import ConvStep, GeneralArchitecture


@settings(max_examples=25, deadline=None)
@given(
    windows=st.lists(st.sampled_from([2, 3]), min_size=1, max_size=3),
    m=st.integers(2, 4),
    chans=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_general_spec_that_is_a_tree_equals_the_tree_dp(windows, m, chans, seed) -> None:
    n = 1
    for w in windows:
        n *= w
    arch = Architecture.deep_1d(n, m, chans[: len(windows)], windows=windows)
    spec = arch.to_general()
    rng = __import__("random").Random(seed)
    side_a = rng.sample(range(n), rng.randint(1, n - 1))
    part = Partition(n, side_a=side_a)
    tree = min_cut(arch, part)
    flow = min_cut(spec, part)  # auto: the certified exact flow on the hypergraph
    assert flow.method == "exact_flow" and tree.method == "tree"
    assert flow.value == tree.value
    # the tree DP also runs on the general spec (converted), and the flow on the Architecture
    assert min_cut(spec, part, method="tree").value == tree.value
    assert min_cut(arch, part, method="exact_flow").value == tree.value
    assert min_cut_lower_bound(spec, part) == min_cut_lower_bound(arch, part)


def test_layer_numbering_is_one_convention() -> None:
    arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
    part = Partition.left_right(arch)
    for method in METHODS:
        assert min_cut(arch, part, method=method).value == 4
    assert min_cut(arch, part).layers == min_cut(arch, part, method="exact_flow").layers == (1,)
    # cutting every input edge: layer -1 in both
    inputs = Partition(8, side_a=[0, 2, 4, 6])
    arch2 = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[8, 8, 8])
    assert min_cut(arch2, inputs).layers == min_cut(arch2.to_general(), inputs).layers == (-1,)


def test_tree_method_refuses_an_overlapping_spec() -> None:
    spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=3)])
    with pytest.raises(InputError, match="method 'tree' needs a tree spec"):
        min_cut(spec, Partition(4, side_a=[0]), method="tree")
    with pytest.raises(InputError, match="method 'networkx' needs a tree spec"):
        min_cut(spec, Partition(4, side_a=[0]), method="networkx")


def test_general_lower_bound_never_exceeds_the_cut() -> None:
    spec = GeneralArchitecture(grid=(6,), n_features=3, steps=[ConvStep(5, kernel=2), ConvStep(7, kernel=5)])
    for size in range(1, 6):
        for side_a in itertools.combinations(range(6), size):
            part = Partition(6, side_a=side_a)
            low, cut = min_cut_lower_bound(spec, part), min_cut(spec, part).value
            assert 1 <= low <= cut
    assert convac.min_cut is min_cut
