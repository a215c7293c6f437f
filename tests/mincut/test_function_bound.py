"""The function bound (copies tied to their input's side) on the compact graph: against independent computations.

- trees: it is the min-cut (no copies);
- chains with overlaps: it is the exact max-flow of the unrolled network with tied copies, built
  independently (graph_function.tied_flow), and never below the one-hot min-cut;
- any graph (sums, concatenations, groups): the function's Schmidt rank over GF(p) never exceeds it.
"""

from __future__ import annotations

import itertools

import pytest
from graph_function import function_rank, tied_flow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac import Architecture, Partition
from convac.errors import ArchitectureError, ConvacTypeError, PartitionError
from convac.mincut import FunctionBound, function_bound, min_cut
from convac.spec import ConvStep, GeneralArchitecture, GraphArchitecture, GraphNode

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_issue_example_n3_function_rank_above_onehot_mincut() -> None:
    spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(3, kernel=2)])
    part = Partition(3, side_a=[1])
    assert min_cut(spec, part).value == 2  # the one-hot cut: input 1's copy delta, M = 2
    rank = function_rank(GraphArchitecture.from_general(spec), part, samples=8)
    assert rank == 3  # f(x_1)'s degree-2 monomials: 1, x, x^2
    fb = function_bound(spec, part)
    assert fb.value == tied_flow(spec, part) == 4 >= rank
    assert isinstance(fb, FunctionBound) and fb.log2 == 2.0


@st.composite
def trees(draw: st.DrawFn) -> tuple[Architecture, Partition]:
    depth = draw(st.integers(1, 3))
    windows = [draw(st.sampled_from([2, 3])) for _ in range(depth)]
    n = 1
    for w in windows:
        n *= w
    channels = [draw(st.integers(1, 5)) for _ in range(depth)]
    arch = Architecture.deep_1d(n_inputs=n, n_features=draw(st.integers(1, 4)), channels=channels, windows=windows)
    return arch, _part(draw(st.lists(st.booleans(), min_size=n, max_size=n)))


def _part(side: list[bool]) -> Partition:
    """A partition from one boolean per input, with position 0 on side A and the last on side B."""
    side = [True, *side[1:-1], False]
    return Partition(len(side), side_a=[j for j in range(len(side)) if side[j]])


@SETTINGS
@given(trees())
def test_tree_function_bound_is_the_min_cut(case: tuple[Architecture, Partition]) -> None:
    arch, part = case
    assert function_bound(arch, part).value == min_cut(arch, part).value
    assert function_bound(arch.to_general(), part).value == min_cut(arch, part).value


@st.composite
def chains(draw: st.DrawFn) -> GeneralArchitecture:
    n = draw(st.integers(2, 7))
    steps = []
    size = n
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.integers(1, min(3, size)))
        s = draw(st.integers(1, 2))
        p = draw(st.integers(0, k - 1)) if k > 1 else 0
        chans = draw(st.one_of(st.none(), st.integers(1, 4)))
        size = (size + 2 * p - k) // s + 1
        steps.append(ConvStep(chans, k, s, p))
    steps.append(ConvStep(draw(st.integers(1, 4)), size))
    return GeneralArchitecture(grid=(n,), n_features=draw(st.integers(1, 3)), steps=steps)


@SETTINGS
@given(chains(), st.data())
def test_chain_function_bound_is_the_tied_unrolled_flow(spec: GeneralArchitecture, data: st.DataObject) -> None:
    part = _part(data.draw(st.lists(st.booleans(), min_size=spec.n_inputs, max_size=spec.n_inputs)))
    fb = function_bound(spec, part)
    assert fb.value == tied_flow(spec, part)
    assert fb.value >= min_cut(spec, part).value  # the one-hot network may also split copies


def _residual(m: int, c: int, k: int) -> GraphArchitecture:
    return GraphArchitecture(
        grid=(4,),
        n_features=m,
        nodes=[
            GraphNode.conv(0, c, kernel=k, padding=k // 2),
            GraphNode.conv(1, m, kernel=1),
            GraphNode.add(0, 2),
            GraphNode.conv(3, None, kernel=2, stride=2),
            GraphNode.conv(4, 2, kernel=2),
        ],
    )


def _concat(m: int, c: int, k: int) -> GraphArchitecture:
    return GraphArchitecture(
        grid=(4,),
        n_features=m,
        nodes=[
            GraphNode.conv(0, c, kernel=k, padding=k // 2),
            GraphNode.conv(0, 1, kernel=1),
            GraphNode.concat(1, 2, 0),
            GraphNode.conv(3, 2, kernel=2, stride=2),
            GraphNode.conv(4, 2, kernel=2),
        ],
    )


def _grouped(m: int, c: int, k: int) -> GraphArchitecture:
    return GraphArchitecture(
        grid=(4,),
        n_features=2 * m,
        nodes=[
            GraphNode.conv(0, 2 * m, kernel=k, padding=k // 2, groups=2 * m),  # depthwise
            GraphNode.conv(1, 2 * c, kernel=1, groups=2),
            GraphNode.conv(2, 3, kernel=4),
        ],
    )


def _grid2d(m: int, c: int, k: int) -> GraphArchitecture:
    return GraphArchitecture(
        grid=(2, 3),
        n_features=m,
        nodes=[
            GraphNode.conv(0, c, kernel=k, padding=k // 2),
            GraphNode.add(0, 1) if c == m else GraphNode.concat(0, 1),
            GraphNode.conv(2, 2, kernel=(2, 3)),
        ],
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([_residual, _concat, _grouped, _grid2d]),
    st.integers(1, 2),
    st.integers(1, 3),
    st.sampled_from([1, 3]),
    st.data(),
)
def test_function_rank_never_exceeds_the_bound(make, m: int, c: int, k: int, data: st.DataObject) -> None:
    spec = make(m, c, k)
    n = spec.n_inputs
    part = _part(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    bound = function_bound(spec, part).value
    assert function_rank(spec, part, samples=min(bound + 2, 40), seed=data.draw(st.integers(0, 99))) <= bound


def test_residual_sum_adds_ranks_and_one_sided_sums_stay_rank_one() -> None:
    # identity + a 1x1 branch at each of two positions, then the top reads both: per position the sum
    # is a function of one input (rank 1 on its side, at most M = 3 across), so the top sees 3, not 2 * 3.
    spec = GraphArchitecture(
        grid=(2,), n_features=3, nodes=[GraphNode.conv(0, 3, kernel=1), GraphNode.add(0, 1), GraphNode.conv(2, 5, 2)]
    )
    part = Partition(2, side_a=[0])
    assert function_bound(spec, part).value == 3
    assert function_rank(spec, part, samples=6) == 3
    # a sum across the partition: ranks add (1 + 3 with the leg on A, the branch reading both inputs)
    wide = GraphArchitecture(
        grid=(2,), n_features=3, nodes=[GraphNode.conv(0, 4, kernel=2), GraphNode.conv(0, 4, kernel=2),
                                        GraphNode.add(1, 2)],
    )  # fmt: skip
    assert function_bound(wide, part).value == min(3 + 3, 4 * 1 * 2)


def test_cut_nodes_name_the_binding_layer() -> None:
    arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 2])
    fb = function_bound(arch, Partition.left_right(arch))
    assert fb.value == 2 and fb.cut_nodes == (3,) and fb.layers == (2,)
    assert str(fb) == "function bound 2 (log2 1) cutting node 3"


@pytest.mark.parametrize(
    ("spec", "part", "err", "match"),
    [
        ("net", Partition(4, side_a=[0]), ConvacTypeError, r"spec must be a convac.spec.GraphArchitecture"),
        (_residual(2, 2, 3), [0, 1], ConvacTypeError, r"partition must be a convac.Partition"),
        (_residual(2, 2, 3), Partition(6, side_a=[0]), PartitionError, r"partition is of 6 positions"),
    ],
)
def test_bad_inputs(spec: object, part: object, err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        function_bound(spec, part)  # type: ignore[arg-type]


def test_all_small_partitions_of_a_residual_block_against_the_rank() -> None:
    spec = _residual(2, 2, 3)
    for a in itertools.chain.from_iterable(itertools.combinations(range(4), r) for r in (1, 2)):
        part = Partition(4, side_a=list(a))
        bound = function_bound(spec, part).value
        assert function_rank(spec, part, samples=min(bound + 2, 40)) <= bound
    assert convac.spec.GraphArchitecture is GraphArchitecture


def test_graph_spec_rejects_bad_nodes() -> None:
    with pytest.raises(ArchitectureError, match=r"sums nodes with different channel counts"):
        GraphArchitecture((4,), 2, [GraphNode.conv(0, 3, 1), GraphNode.add(0, 1), GraphNode.conv(2, 1, 4)])
