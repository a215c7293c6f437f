"""Exact min-cut of general (overlapping) ConvAC tensor networks: against the tree DP and brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac import Architecture, Partition
from convac.errors import ArchitectureError, ConvacTypeError, PartitionError
from convac.mincut import GeneralMinCut, MinCut, min_cut, tensor_network_graph
from convac.mincut._exact_flow import hyperedge_min_cut
from convac.ranks import generic_rank
from convac.spec import ConvStep, GeneralArchitecture


def brute_force(spec: GeneralArchitecture, part: Partition) -> int:
    """Minimum over ALL assignments of the conv matrices to sides (tiny graphs only), exact ints."""
    g = tensor_network_graph(spec)
    n = len(g.nodes)
    sides = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)  # every assignment
    mask = part.mask
    dims = sorted({b.dim for b in g.bonds})
    counts = np.zeros((2**n, len(dims)), dtype=np.int64)
    for b in g.bonds:
        members = sides[:, list(b.nodes)]
        fixed = [bool(mask[j]) for j in b.inputs]
        has_a = members.any(axis=1) | any(fixed)
        has_b = (~members).any(axis=1) | (not all(fixed))
        counts[:, dims.index(b.dim)] += has_a & has_b
    return min(math.prod(d ** int(e) for d, e in zip(dims, row, strict=True)) for row in np.unique(counts, axis=0))


def tree_spec(n: int, m: int, channels: list[int], window: int = 2) -> GeneralArchitecture:
    return GeneralArchitecture(
        grid=(n,), n_features=m, steps=[ConvStep(c, kernel=window, stride=window) for c in channels]
    )


def balanced(n: int) -> list[Partition]:
    return [Partition(n, side_a=a) for a in itertools.combinations(range(n), n // 2) if 0 in a]


# ---------------------------------------------------------------------------- graph
def test_graph_counts_copy_legs() -> None:
    spec = GeneralArchitecture(grid=(5,), n_features=2, steps=[ConvStep(3, kernel=3), ConvStep(4, kernel=3)])
    g = tensor_network_graph(spec)
    # one matrix per (output, window member): 3 outputs x 3 members, then 1 x 3
    assert len(g.nodes) == 12
    uses = [len(g.bonds[g.input_bond[j]].nodes) for j in range(5)]
    assert uses == [1, 2, 3, 2, 1]  # input j is copied once per window that reads it
    assert not g.is_tree
    assert [b.dim for b in g.bonds] == [2] * 5 + [3] * 3 + [4]


def test_reused_activations_are_unrolled_not_copied() -> None:
    # A copy delta on an activation would allow a cut of weight 4 here (cut layer-1 activation 2
    # and the top), but the score is quadratic in that activation: the exact rank is 8.
    spec = GeneralArchitecture(
        grid=(6,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=2), ConvStep(2, kernel=4)]
    )
    g = tensor_network_graph(spec)
    assert len(g.nodes) == 4 + 4 * 2 + 4 * 2 * 2  # one matrix per path from the top
    assert sorted(len(g.bonds[g.input_bond[j]].nodes) for j in range(6)) == [1, 1, 3, 3, 4, 4]  # paths to input j
    part = Partition(6, side_a=[0, 1, 2])
    assert min_cut(spec, part).value == 8 == generic_rank(spec, part)


def test_pure_pooling_step_fuses_deltas() -> None:
    # channels=None: out = a_0 * a_1 * a_2 entrywise with no matrix, so the deltas fuse (one bond).
    spec = GeneralArchitecture(grid=(4,), n_features=3, steps=[ConvStep(2, kernel=1), ConvStep(None, kernel=4)])
    g = tensor_network_graph(spec)
    top = [b for b in g.bonds if b.layer == 1]
    assert len(top) == 1 and len(top[0].merged) == 4 and len(top[0].nodes) == 4
    # a shallow ConvAC with Z = 2 hidden channels: min(M^|A|, Z)
    assert min_cut(spec, Partition(4, side_a=[0, 1])).value == 2


def test_tree_spec_graph_is_tree_and_matches_spec() -> None:
    for spec in (
        tree_spec(8, 2, [3, 4, 5]),
        GeneralArchitecture(grid=(9,), n_features=2, steps=[ConvStep(2, kernel=3, dilation=4), ConvStep(2, kernel=1)]),
    ):
        assert tensor_network_graph(spec).is_tree == spec.is_tree


# ---------------------------------------------------------------------------- tree equivalence
@pytest.mark.parametrize(
    ("n", "m", "channels", "window"),
    [(8, 2, [3, 4, 5], 2), (8, 3, [2, 5, 2], 2), (9, 2, [4, 3], 3), (16, 2, [13, 5, 13, 2], 2)],
)
def test_tree_specs_equal_convac_min_cut_on_all_balanced_partitions(
    n: int, m: int, channels: list[int], window: int
) -> None:
    spec = tree_spec(n, m, channels, window)
    assert spec.is_tree
    arch = Architecture.deep_1d(n, m, channels, window=window)
    parts = balanced(n)
    if len(parts) > 60:
        parts = [parts[i] for i in np.random.default_rng(0).choice(len(parts), 60, replace=False)]
        parts.append(Partition(16, side_a=[0, 1, 2, 9, 10, 12, 14, 15]))  # the float trap of theory.md §4
    for part in parts:
        cut = min_cut(spec, part)
        ref = convac.min_cut(arch, part)
        assert cut.value == ref.value == math.prod(e.dim for e in cut.edges)
        assert cut.value == convac.min_cut(arch, part, method="networkx").value


def test_2d_tree_spec_equals_convac_min_cut() -> None:
    arch = Architecture.deep_2d(4, 4, 2, [3, 5])
    spec = GeneralArchitecture(
        grid=(4, 4), n_features=2, steps=[ConvStep(3, kernel=2, stride=2), ConvStep(5, kernel=2, stride=2)]
    )
    for part in [Partition.left_right(spec), Partition.up_down(spec), Partition.checkerboard(spec)] + [
        Partition.random(spec, seed=s) for s in range(20)
    ]:
        assert min_cut(spec, part).value == convac.min_cut(arch, part).value


def test_shallow_spec_equals_closed_form() -> None:
    for z in (1, 3, 5, 40):
        spec = GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(z, kernel=6)])
        for size in range(1, 6):
            part = Partition.random(spec, seed=size, size=size)
            assert min_cut(spec, part).value == min(2 ** min(size, 6 - size), z)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 3),
    m=st.integers(2, 5),
    chans=st.lists(st.sampled_from([2, 3, 4, 5, 7, 8, 9]), min_size=3, max_size=3),
    seed=st.integers(0, 10_000),
)
def test_tree_specs_equal_convac_min_cut_hypothesis(depth: int, m: int, chans: list[int], seed: int) -> None:
    n = 2**depth
    spec = tree_spec(n, m, chans[:depth])
    arch = Architecture.deep_1d(n, m, chans[:depth])
    rng = np.random.default_rng(seed)
    mask = rng.random(n) < 0.5
    mask[0], mask[-1] = True, False
    part = Partition.from_mask(mask)
    assert min_cut(spec, part).value == convac.min_cut(arch, part).value


# ---------------------------------------------------------------------------- brute force on overlapping graphs
OVERLAPPING = [
    GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(2, kernel=3)]),
    GeneralArchitecture(grid=(5,), n_features=2, steps=[ConvStep(2, kernel=3), ConvStep(3, kernel=3)]),
    GeneralArchitecture(
        grid=(4,), n_features=3, steps=[ConvStep(2, kernel=2), ConvStep(5, kernel=2), ConvStep(2, kernel=2)]
    ),
    GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(4, kernel=3, padding=1), ConvStep(3, kernel=4)]),
    GeneralArchitecture(
        grid=(5,), n_features=3, steps=[ConvStep(8, kernel=3), ConvStep(None, kernel=2), ConvStep(2, kernel=2)]
    ),
    GeneralArchitecture(grid=(2, 3), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(2, kernel=(1, 2))]),
]


@pytest.mark.parametrize("spec", OVERLAPPING)
def test_overlapping_min_cut_equals_brute_force(spec: GeneralArchitecture) -> None:
    n = spec.n_inputs
    assert not spec.is_tree and len(tensor_network_graph(spec).nodes) <= 14
    for size in range(1, n // 2 + 1):
        for a in itertools.combinations(range(n), size):
            part = Partition(n, side_a=a)
            cut = min_cut(spec, part)
            assert cut.value == brute_force(spec, part)
            assert cut.value == math.prod(e.dim for e in cut.edges)
            assert tensor_network_graph(spec).cut_weight(cut.node_sides, [bool(x) for x in part.mask]) == cut.value


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(3, 6),
    k1=st.integers(2, 3),
    dims=st.lists(st.sampled_from([2, 3, 5, 7, 8, 9, 25, 27]), min_size=3, max_size=3),
    seed=st.integers(0, 10_000),
)
def test_overlapping_min_cut_brute_force_hypothesis(n: int, k1: int, dims: list[int], seed: int) -> None:
    k1 = min(k1, n)
    spec = GeneralArchitecture(
        grid=(n,), n_features=dims[0], steps=[ConvStep(dims[1], kernel=k1), ConvStep(dims[2], kernel=n - k1 + 1)]
    )
    rng = np.random.default_rng(seed)
    mask = rng.random(n) < 0.5
    mask[0], mask[-1] = True, False
    part = Partition.from_mask(mask)
    assert min_cut(spec, part).value == brute_force(spec, part)


def test_flow_near_tie_is_exact() -> None:
    # 2^7 = 128 against 5^3 = 125: logs differ by 0.024; the exact flow picks the right side.
    r = hyperedge_min_cut(3, [(2, [0, 1])] * 7 + [(5, [1, 2])] * 3, {0}, {2})
    assert (r.value, r.cut) == (125, (7, 8, 9))
    r = hyperedge_min_cut(3, [(5, [0, 1])] * 3 + [(2, [1, 2])] * 7, {0}, {2})
    assert (r.value, r.cut) == (125, (0, 1, 2))


def test_result_fields_and_str() -> None:
    spec = OVERLAPPING[1]
    cut = min_cut(spec, Partition.left_right(spec))
    assert isinstance(cut, GeneralMinCut)
    assert cut.log2 == math.log2(cut.value)
    # one numbering for every method: -1 = the inputs, l = the output of step l (Hyperedge counts from 0)
    assert cut.layers == tuple(sorted({e.layer - 1 for e in cut.edges}))
    assert GeneralMinCut is MinCut and cut.method == "exact_flow" and cut.spec is spec
    assert str(cut).startswith(f"min-cut {cut.value} ")


def test_huge_values_stay_exact() -> None:
    spec = GeneralArchitecture(
        grid=(12,), n_features=1000, steps=[ConvStep(10**9, kernel=3), ConvStep(10**12, kernel=10)]
    )
    cut = min_cut(spec, Partition(12, side_a=range(6)))
    assert cut.value == math.prod(e.dim for e in cut.edges) and cut.value > 2**53


# ---------------------------------------------------------------------------- partitions and bad input
def test_partition_families_accept_specs() -> None:
    spec = GeneralArchitecture(
        grid=(4, 6), n_features=2, steps=[ConvStep(2, kernel=3, padding=1), ConvStep(2, kernel=(4, 6))]
    )
    assert Partition.left_right(spec).grid == (4, 6)
    assert Partition.checkerboard(spec).n_inputs == 24
    assert Partition.blocks(spec, 2).n_inputs == 24
    assert Partition.up_down(spec).side_a == tuple(range(12))


def test_bad_inputs() -> None:
    spec = OVERLAPPING[0]
    with pytest.raises(PartitionError, match="spec has 4 inputs"):
        min_cut(spec, Partition(5, side_a=[0]))
    with pytest.raises(PartitionError, match="grid"):
        min_cut(OVERLAPPING[-1], Partition(6, side_a=[0], grid=(3, 2)))
    with pytest.raises(ConvacTypeError, match="Architecture or"):
        generic_rank("spec", Partition(4, side_a=[0]))  # type: ignore[arg-type]
    with pytest.raises(ConvacTypeError, match="Architecture"):
        min_cut("spec", Partition(4, side_a=[0]))  # type: ignore[arg-type]
    with pytest.raises(ConvacTypeError, match="partition must be"):
        min_cut(spec, [0, 1])  # type: ignore[arg-type]
    with pytest.raises(ConvacTypeError):
        tensor_network_graph("spec")  # type: ignore[arg-type]
    with pytest.raises(ArchitectureError):
        GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, kernel=2)])
