"""Tests for convac.mincut: closed forms (docs/theory.md §4), an exhaustive brute force on
tiny networks, agreement of the tree, networkx and scipy solvers, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import convac
from convac import Architecture, CutEdge, MinCut, Partition, min_cut, min_cut_lower_bound, min_cut_values
from convac.errors import ConvacError, PartitionError
from convac.mincut import METHODS, cut_weight
from convac.mincut._graph import CutGraph, ExactCosts, coprime_base

# ---------------------------------------------------------------------------- helpers


def g_recursion(m: int, channels: list[int], power: int) -> list[int]:
    """g_{-1} = M, g_l = min(r_l, g_{l-1}**power): the cheapest cut of one node's subtree."""
    g = [m]
    for r in channels:
        g.append(min(r, g[-1] ** power))
    return g  # g[lay + 1] is g_l


def left_right_1d(m: int, channels: list[int]) -> int:
    # min(r_{L-1}, r_{L-2}, r_{L-3}^2, ..., r_0^{N/4}, M^{N/2}), written out term by term.
    depth = len(channels)
    terms = [channels[-1], m ** (2 ** (depth - 1))]
    terms += [channels[lay] ** (2 ** (depth - 2 - lay)) for lay in range(depth - 1)]
    return min(terms)


def layer_nodes(arch: Architecture) -> list[int]:
    return [arch.n_inputs if lay == 0 else len(arch.pool_windows(lay - 1)) for lay in range(arch.depth + 1)]


def edge_is_cut(arch: Architecture, part: Partition, sides: tuple[np.ndarray, ...], edge: CutEdge) -> bool:
    """Whether an edge's endpoints (a hyperedge's members) are on different sides, from the
    architecture's own pool_windows (not the solver's graph)."""
    if edge.layer < 0:
        return bool(part.mask[edge.position] != sides[0][edge.position])
    members = [sides[edge.layer][c] for c in arch.pool_windows(edge.layer)[edge.position]]
    members.append(sides[edge.layer + 1][edge.position])
    return len(set(map(bool, members))) == 2


def all_edges(arch: Architecture) -> list[CutEdge]:
    edges = [CutEdge(-1, j, arch.n_features) for j in range(arch.n_inputs)]
    for lay in range(arch.depth):
        edges += [CutEdge(lay, k, arch.channels[lay]) for k in range(len(arch.pool_windows(lay)))]
    return edges


def brute_force(arch: Architecture, part: Partition) -> int:
    """Exact min-cut by trying every assignment of every node to a side (tiny networks only)."""
    sizes = layer_nodes(arch)
    offsets = np.cumsum([0, *sizes])
    n = int(offsets[-1])
    assign = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    # counts[:, 0] = cut input edges, counts[:, l + 1] = cut deltas of layer l
    counts = np.zeros((2**n, arch.depth + 1), dtype=np.int64)
    counts[:, 0] = (assign[:, : arch.n_inputs] != part.mask).sum(axis=1)
    for lay in range(arch.depth):
        for k, window in enumerate(arch.pool_windows(lay)):
            members = assign[:, [offsets[lay] + c for c in window] + [offsets[lay + 1] + k]]
            counts[:, lay + 1] += members.any(axis=1) & ~members.all(axis=1)
    dims = [arch.n_features, *arch.channels]
    return min(math.prod(d**c for d, c in zip(dims, row, strict=True)) for row in np.unique(counts, axis=0).tolist())


@st.composite
def architectures(draw: st.DrawFn, max_inputs: int = 64) -> Architecture:
    kind = draw(st.sampled_from(["1d2", "1d3", "2d2", "2d3", "shallow1d", "shallow2d"]))
    m = draw(st.integers(1, 6))
    channel = st.integers(1, 9)
    if kind == "1d2":
        depth = draw(st.integers(1, int(math.log2(max_inputs))))
        return Architecture.deep_1d(2**depth, m, draw(st.lists(channel, min_size=depth, max_size=depth)))
    if kind == "1d3":
        depth = draw(st.integers(1, 3 if max_inputs >= 27 else 2))
        ch = draw(st.lists(channel, min_size=depth, max_size=depth))
        return Architecture.deep_1d(3**depth, m, ch, window=3)
    if kind == "2d2":
        depth = draw(st.integers(1, 3 if max_inputs >= 64 else 2))
        ch = draw(st.lists(channel, min_size=depth, max_size=depth))
        return Architecture.deep_2d(2**depth, 2**depth, m, ch)
    if kind == "2d3":
        depth = draw(st.integers(1, 2 if max_inputs >= 81 else 1))
        ch = draw(st.lists(channel, min_size=depth, max_size=depth))
        return Architecture.deep_2d(3**depth, 3**depth, m, ch, window=3)
    z = draw(st.integers(1, 60))
    if kind == "shallow1d":
        return Architecture.shallow(n_inputs=draw(st.integers(2, min(12, max_inputs))), n_features=m, hidden=z)
    h, w = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    return Architecture.shallow(height=h, width=w, n_features=m, hidden=z)


@st.composite
def cases(draw: st.DrawFn, max_inputs: int = 64) -> tuple[Architecture, Partition]:
    arch = draw(architectures(max_inputs))
    n = arch.n_inputs
    mask = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    flip = draw(st.integers(0, n - 1))
    if all(mask) or not any(mask):  # both sides must be non-empty
        mask[flip] = not mask[flip]
    return arch, Partition.from_mask(mask, grid=arch.grid)


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("depth", range(1, 11))
def test_1d_left_right_and_odd_even_closed_forms(depth: int) -> None:
    rng = np.random.default_rng(depth)
    for _ in range(20):
        m = int(rng.integers(1, 8))
        channels = [int(c) for c in rng.integers(1, 40, size=depth)]
        arch = Architecture.deep_1d(2**depth, m, channels)
        lr = min_cut(arch, Partition.left_right(arch))
        expected = left_right_1d(m, channels)
        g = g_recursion(m, channels, 2)
        assert expected == min(channels[-1], g[depth - 1])  # the two closed forms agree
        assert lr.value == expected
        assert lr.log2 == pytest.approx(math.log2(expected))
        assert min_cut(arch, Partition.interleaved(arch)).value == min(channels[0], m) ** (2 ** (depth - 1))


def test_1d_left_right_huge_network_exact_int() -> None:
    # 2^16 inputs: M^{N/2} is a 32768-bit number; the value must stay an exact int.
    arch = Architecture.deep_1d(2**16, 3, [2**40] * 16)
    cut = min_cut(arch, Partition.left_right(arch))
    assert cut.value == 2**40 and isinstance(cut.value, int)
    odd_even = min_cut(arch, Partition.interleaved(arch))
    assert odd_even.value == 3**32768
    assert odd_even.log2 == pytest.approx(32768 * math.log2(3))
    assert len(odd_even.edges) == 32768 and all(e.layer == -1 for e in odd_even.edges)


@pytest.mark.parametrize("depth", range(2, 8))
def test_1d_aligned_blocks_depend_only_on_shallow_channels(depth: int) -> None:
    rng = np.random.default_rng(100 + depth)
    for k in range(depth - 1):  # block width 2^k, at least two blocks per side
        for _ in range(10):
            m = int(rng.integers(1, 6))
            channels = [int(c) for c in rng.integers(1, 12, size=depth)]
            arch = Architecture.deep_1d(2**depth, m, channels)
            part = Partition.blocks(arch, 2**k)
            value = min_cut(arch, part).value
            for deep in (1, 7, 10**9):  # channels beyond layer ceil(log2 xi) = k are free
                changed = channels[: k + 1] + [deep] * (depth - k - 1)
                assert min_cut(arch.with_channels(changed), part).value == value
            if k + 1 < depth:  # ... and the shallow ones are not: shrinking r_k changes it
                assert min_cut(arch.with_channels([1] * (k + 1) + channels[k + 1 :]), part).value == 1


def test_1d_unaligned_blocks_can_use_deeper_channels() -> None:
    # The paper says only r_0 .. r_{ceil(log2 xi)} appear for blocks of width xi; that holds for
    # xi a power of 2 (above). For xi = 3 the blocks straddle pooling windows and a deeper delta
    # can be the cheaper cut: all three solvers agree the value moves with r_3, r_4.
    arch = Architecture.deep_1d(32, 3, [4, 4, 5, 2, 7])
    part = Partition.blocks(arch, 3)
    values = {}
    for deep in (1, 10**6):
        changed = arch.with_channels([4, 4, 5, deep, deep])
        tree = min_cut(changed, part)
        nx_cut = min_cut(changed, part, method="networkx")
        assert nx_cut.log2 == pytest.approx(tree.log2, abs=nx_cut.log2_error)
        values[deep] = tree.value
    assert values[1] < values[10**6]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 12, 16])
@pytest.mark.parametrize("z", [1, 3, 4, 17, 100, 5000])
def test_shallow_closed_form(n: int, z: int) -> None:
    rng = np.random.default_rng(n * z)
    for m in (1, 2, 3):
        arch = Architecture.shallow(n_inputs=n, n_features=m, hidden=z)
        for _ in range(5):
            part = Partition.random(arch, seed=int(rng.integers(1 << 30)), size=int(rng.integers(1, n)))
            small = min(len(part.side_a), len(part.side_b))
            assert min_cut(arch, part).value == min(m**small, z)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_2d_closed_forms(depth: int) -> None:
    rng = np.random.default_rng(7 * depth)
    side = 2**depth
    for _ in range(15):
        m = int(rng.integers(1, 6))
        channels = [int(c) for c in rng.integers(1, 300, size=depth)]
        arch = Architecture.deep_2d(side, side, m, channels)
        checker = min_cut(arch, Partition.checkerboard(arch)).value
        assert checker == min(channels[0], m**2) ** (side * side // 4)
        g = g_recursion(m, channels, 4)
        expected = min(channels[-1], g[depth - 1] ** 2)
        assert min_cut(arch, Partition.left_right(arch)).value == expected
        assert min_cut(arch, Partition.up_down(arch)).value == expected


def test_paper_notes_float_trap_example() -> None:
    # docs/theory.md §4: a float solver's partition weighs 128 here; the true minimum is 80.
    arch = Architecture.deep_1d(16, 2, [13, 5, 13, 2])
    part = Partition(16, side_a=[0, 1, 2, 9, 10, 12, 14, 15])
    cut = min_cut(arch, part)
    assert cut.value == 80 == math.prod(e.dim for e in cut.edges)
    for method in ("networkx", "scipy"):
        flow_cut = min_cut(arch, part, method=method)
        assert flow_cut.value == 80
        assert flow_cut.log2 == pytest.approx(math.log2(80), abs=flow_cut.log2_error)
        assert cut_weight(arch, part, flow_cut.node_sides) >= 80


# ---------------------------------------------------------------------------- exactness
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_inputs=9))
def test_tree_equals_exhaustive_search(case: tuple[Architecture, Partition]) -> None:
    arch, part = case
    assume(sum(layer_nodes(arch)) <= 15)
    assert min_cut(arch, part).value == brute_force(arch, part)


def test_exhaustive_search_on_near_tie_dimensions() -> None:
    # 2^8 = 256 vs 3^5 = 243 and 5^3 = 125 vs 2^7 = 128: close products of different primes.
    rng = np.random.default_rng(3)
    for _ in range(25):
        channels = [int(c) for c in rng.choice([2, 3, 5, 7, 125, 128, 243, 256], size=3)]
        arch = Architecture.deep_1d(8, int(rng.choice([2, 3, 5])), channels)
        part = Partition.random(arch, seed=int(rng.integers(1000)), size=int(rng.integers(1, 8)))
        assert min_cut(arch, part).value == brute_force(arch, part)


def test_dp_resolves_a_near_tie_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2^301994 and 3^190537 differ by 3e-13 relative (a continued-fraction convergent of log2 3):
    # inside the float tolerance, so the DP must decide with integers. Left/right of 4 inputs is
    # min(r_1, r_0, M^2).
    exact_calls = []
    original = ExactCosts.value

    def counting(self: ExactCosts, e: np.ndarray) -> int:
        exact_calls.append(1)
        return original(self, e)

    monkeypatch.setattr(ExactCosts, "value", counting)
    a, b = 2**301994, 3**190537
    for r0, r1 in ((a, b), (b, a)):
        exact_calls.clear()
        arch = Architecture.deep_1d(4, a, [r0, r1])
        cut = min_cut(arch, Partition.left_right(arch))
        assert cut.value == min(a, b)
        assert [e.layer for e in cut.edges] == [0 if r0 < r1 else 1]
        assert len(exact_calls) > 1  # the integer fallback ran, not just the final value


# ---------------------------------------------------------------------------- properties
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_inputs=32), st.integers(0, 2**32 - 1))
def test_solvers_agree_on_flow_values(arch: Architecture, seed: int) -> None:
    # two random partitions per architecture: 2000 cases in all
    rng = np.random.default_rng(seed)
    for _ in range(2):
        part = Partition.random(arch, seed=int(rng.integers(2**31)), size=int(rng.integers(1, arch.n_inputs)))
        tree = min_cut(arch, part)
        for method in ("networkx", "scipy"):
            flow_cut = min_cut(arch, part, method=method)
            assert flow_cut.method == method
            assert abs(flow_cut.log2 - tree.log2) <= flow_cut.log2_error + 1e-9
            assert flow_cut.value == tree.value
            # the solver's own cut is a cut: never lighter than the minimum
            assert cut_weight(arch, part, flow_cut.node_sides) >= tree.value


@settings(max_examples=400, deadline=None)
@given(cases())
def test_tree_cut_is_consistent(case: tuple[Architecture, Partition]) -> None:
    arch, part = case
    cut = min_cut(arch, part)
    assert isinstance(cut.value, int) and cut.value >= 1
    assert cut.value == math.prod(e.dim for e in cut.edges)
    assert cut.log2 == pytest.approx(math.log2(cut.value))
    assert cut_weight(arch, part, cut.node_sides) == cut.value
    assert [s.shape for s in cut.node_sides] == [(n,) for n in layer_nodes(arch)]
    listed = set(cut.edges)
    for edge in all_edges(arch):  # an edge is listed iff its endpoints are on different sides
        assert (edge in listed) == edge_is_cut(arch, part, cut.node_sides, edge)
    assert min_cut(arch, part.swapped()).value == cut.value
    # a single cut edge can never beat the min-cut when it separates on its own
    assert cut.value <= arch.n_features ** min(len(part.side_a), len(part.side_b))


@settings(max_examples=300, deadline=None)
@given(cases(max_inputs=32))
def test_lower_bound_never_exceeds_min_cut(case: tuple[Architecture, Partition]) -> None:
    arch, part = case
    low = min_cut_lower_bound(arch, part)
    assert isinstance(low, int) and 1 <= low <= min_cut(arch, part).value


@settings(max_examples=300, deadline=None)
@given(cases(max_inputs=32), st.integers(2, 5), st.data())
def test_lower_bound_tight_for_powers_of_one_integer(
    case: tuple[Architecture, Partition], p: int, data: st.DataObject
) -> None:
    arch, part = case
    exps = data.draw(st.lists(st.integers(0, 4), min_size=arch.depth + 1, max_size=arch.depth + 1))
    powered = Architecture(
        arch.kind, arch.grid, p ** exps[0], tuple(p**e for e in exps[1:]), 1, arch.window, arch.shared
    )
    assert min_cut_lower_bound(powered, part) == min_cut(powered, part).value


@settings(max_examples=200, deadline=None)
@given(cases(max_inputs=16))
def test_lower_bound_equals_naive_maximum_over_all_p(case: tuple[Architecture, Partition]) -> None:
    # min_cut_lower_bound only evaluates the p where the maximum can sit; try every p instead.
    arch, part = case
    dims = (arch.n_features, *arch.channels)

    def powered(p: int, c: int) -> int:
        return p ** math.floor(math.log(c, p) + 1e-12) if c >= p else 1

    naive = 1
    for p in range(2, max(dims) + 1):
        new = [powered(p, c) for c in dims]
        changed = Architecture(arch.kind, arch.grid, new[0], tuple(new[1:]), 1, arch.window, arch.shared)
        naive = max(naive, min_cut(changed, part).value)
    assert min_cut_lower_bound(arch, part) == naive


def test_lower_bound_with_huge_dimensions() -> None:
    # 2^40 channels: a loop over every p would never end; the bound is still exact here
    # because all dimensions are powers of 2.
    arch = Architecture.deep_1d(16, 2**20, [2**40, 2**33, 2**40, 2**35])
    part = Partition.left_right(arch)
    assert min_cut_lower_bound(arch, part) == min_cut(arch, part).value == 2**35
    arch = Architecture.deep_1d(16, 3, [10**12 + 39, 7, 10**15 + 37, 5])
    assert 1 <= min_cut_lower_bound(arch, part) <= min_cut(arch, part).value


def test_lower_bound_below_min_cut_example() -> None:
    # left/right of [3, 5, 3], M = 2: min-cut min(3, 5, 9, 16) = 3; W^2 = min(2, 4, 4, 16) = 2,
    # W^3 = 1 (M becomes 3^0), W^5 = 1: the bound is 2.
    arch = Architecture.deep_1d(8, 2, [3, 5, 3])
    assert min_cut_lower_bound(arch, Partition.left_right(arch)) == 2
    assert min_cut(arch, Partition.left_right(arch)).value == 3


@settings(max_examples=100, deadline=None)
@given(architectures(max_inputs=64), st.integers(0, 2**32 - 1))
def test_batch_matches_single_partitions(arch: Architecture, seed: int) -> None:
    rng = np.random.default_rng(seed)
    masks = rng.random((20, arch.n_inputs)) < rng.random()
    masks[0] = True  # an empty side B needs no cut
    values = min_cut_values(arch, masks, chunk=7)
    assert values[0] == 1
    for mask, value in zip(masks[1:], values[1:], strict=True):
        if mask.any() and not mask.all():
            assert value == min_cut(arch, Partition.from_mask(mask)).value


def test_batch_all_partitions_of_16_inputs() -> None:
    arch = Architecture.deep_1d(16, 2, [3, 5, 7, 11])
    codes = np.arange(2**15)
    masks = np.ones((2**15, 16), dtype=bool)  # input 0 always on side A
    masks[:, 1:] = (codes[:, None] >> np.arange(15)) & 1
    values = min_cut_values(arch, masks)
    assert values[-1] == 1  # every input on side A
    rng = np.random.default_rng(0)
    for i in rng.choice(2**15 - 1, size=40, replace=False):
        assert values[i] == min_cut(arch, Partition.from_mask(masks[i])).value
    # by the closed forms: left/right is min(11, 7, 5^2, 3^4, 2^8) = 7 and odd/even 2^8
    lr = int(np.flatnonzero((masks == Partition.left_right(arch).mask).all(axis=1))[0])
    oe = int(np.flatnonzero((masks == Partition.interleaved(arch).mask).all(axis=1))[0])
    assert (values[lr], values[oe]) == (7, 2**8)


# ---------------------------------------------------------------------------- pieces
def test_graph_windows_match_architecture() -> None:
    for arch in (
        Architecture.deep_2d(8, 8, 2, [2, 2, 2]),
        Architecture.deep_2d(9, 9, 2, [2, 2], window=3),
        Architecture.deep_1d(27, 2, [2, 2, 2], window=3),
        Architecture.shallow(height=3, width=4, n_features=2, hidden=3),
    ):
        graph = CutGraph.from_arch(arch)
        for lay in range(arch.depth):
            assert graph.windows[lay].tolist() == [list(w) for w in arch.pool_windows(lay)]


def test_coprime_base_and_exact_comparison() -> None:
    dims = (12, 18, 35, 49, 1, 1024)
    base = coprime_base(dims)
    assert all(math.gcd(a, b) == 1 for i, a in enumerate(base) for b in base[i + 1 :])
    ex = ExactCosts(dims)
    for d, e in zip(dims, ex.exponents, strict=True):
        assert ex.value(e) == d
    # 3^665 and 2^1054 differ by 4e-5 in log2; the exact fallback orders them correctly.
    ex = ExactCosts((2, 3))
    x = np.array([[1054], [0]])
    y = np.array([[0], [665]])
    fx, fy = ex.log2(x), ex.log2(y)
    assert bool(ex.less(x, y, fx, fy)[0]) is (2**1054 < 3**665)
    assert bool(ex.less(y, x, fy, fx)[0]) is (3**665 < 2**1054)


def test_min_cut_object() -> None:
    arch = Architecture.deep_1d(16, 2, [4, 4, 3, 2])
    cut = min_cut(arch, Partition.left_right(arch))
    assert isinstance(cut, MinCut)
    assert str(cut.edges[0]) == "layer 3 delta[0] (r=2)"
    assert str(CutEdge(-1, 4, 2)) == "input 4 (M=2)"
    assert "min-cut 2" in str(cut)
    with pytest.raises(AttributeError):
        cut.value = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        cut.node_sides[0][0] = False
    assert set(METHODS) == {"tree", "exact_flow", "networkx", "scipy"}
    assert convac.min_cut is min_cut and "min_cut_values" in convac.__all__


# ---------------------------------------------------------------------------- bad input
def test_bad_input() -> None:
    arch = Architecture.deep_1d(8, 2, [2, 2, 2])
    part = Partition.left_right(arch)
    with pytest.raises(PartitionError, match="8 inputs"):
        min_cut(arch, Partition(4, side_a=[0]))
    with pytest.raises(PartitionError):
        min_cut_lower_bound(arch, Partition(16, side_a=[0]))
    with pytest.raises(TypeError, match="Architecture"):
        min_cut("deep", part)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Partition"):
        min_cut(arch, [0, 1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(
        ConvacError, match="method must be one of 'auto', 'exact_flow', 'networkx', 'scipy', 'tree', got 'exact'"
    ):
        min_cut(arch, part, method="exact")
    with pytest.raises(TypeError, match="method"):
        min_cut(arch, part, method=None)  # type: ignore[arg-type]
    with pytest.raises(PartitionError, match=r"shape \(n_partitions, 8\)"):
        min_cut_values(arch, np.ones((3, 7), dtype=bool))
    with pytest.raises(PartitionError, match="shape"):
        min_cut_values(arch, np.ones(8, dtype=bool))
    with pytest.raises(TypeError, match="dtype"):
        min_cut_values(arch, np.full((2, 8), 0.5))
    with pytest.raises(PartitionError, match=r"0 \(side B\) and 1"):
        min_cut_values(arch, np.full((2, 8), 2))
    with pytest.raises(TypeError, match="Architecture"):
        min_cut_values(None, np.ones((1, 8), dtype=bool))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="node_sides"):
        cut_weight(arch, part, np.ones(8, dtype=bool))
    with pytest.raises(PartitionError, match=r"node_sides\[1\]"):
        cut_weight(arch, part, [[True] * 8, [True] * 3, [True] * 2, [True]])
