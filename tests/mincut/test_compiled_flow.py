"""The compiled, certified general min-cut against the pure rational Edmonds-Karp, networkx and its own proof."""

from __future__ import annotations

import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convac
from convac import Partition
from convac.mincut import _compiled_flow as compiled
from convac.mincut import _general as general
from convac.mincut import tensor_network_graph
from convac.mincut._graph import ExactCosts
from convac.spec import ConvStep, GeneralArchitecture

# Dimensions full of near ties: 2*3 = 6, 2^7 = 128 vs 5^3 = 125, 3^2 = 9 vs 2^3 = 8, 2^4 vs 4^2, 27 vs 25 vs 32.
NEAR_TIES = [2, 3, 4, 5, 6, 8, 9, 12, 16, 25, 27, 32, 125, 128]


def networkx_log2(graph: convac.mincut.TensorNetworkGraph, mask: np.ndarray) -> float:
    """Float max-flow on Lawler's uncontracted graph (every matrix a vertex): an independent value."""
    g = nx.DiGraph()
    for e, bond in enumerate(graph.bonds):
        g.add_edge(("in", e), ("out", e), capacity=math.log2(bond.dim))
        for v in bond.nodes:
            g.add_edge(("node", v), ("in", e))
            g.add_edge(("out", e), ("node", v))
        for j in bond.inputs:
            if mask[j]:
                g.add_edge("S", ("in", e))
            else:
                g.add_edge(("out", e), "T")
    g.add_nodes_from(["S", "T"])
    return float(nx.maximum_flow_value(g, "S", "T"))


@st.composite
def overlapping_specs(draw: st.DrawFn) -> tuple[GeneralArchitecture, Partition]:
    n = draw(st.integers(3, 7))
    m = draw(st.sampled_from(NEAR_TIES[:7]))
    k1 = draw(st.integers(2, min(3, n)))
    c1, c2 = draw(st.sampled_from(NEAR_TIES)), draw(st.sampled_from(NEAR_TIES))
    pad = draw(st.integers(0, k1 - 1))
    steps = [ConvStep(c1, kernel=k1, padding=pad), ConvStep(c2, kernel=n + 2 * pad - k1 + 1)]
    spec = GeneralArchitecture(grid=(n,), n_features=m, steps=steps)
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    mask[0], mask[-1] = True, False
    return spec, Partition.from_mask(mask)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overlapping_specs())
def test_certified_equals_rational_and_networkx(case: tuple[GeneralArchitecture, Partition]) -> None:
    spec, part = case
    cut = convac.min_cut(spec, part)
    rational = general.rational_flow_cut(spec, part)
    assert cut.value == rational.value
    graph = tensor_network_graph(spec)
    # the certified node sides weigh exactly the value by the graph's own (pure-Python) rule
    assert graph.cut_weight(cut.node_sides, tuple(bool(x) for x in part.mask)) == cut.value
    assert abs(networkx_log2(graph, part.mask) - math.log2(cut.value)) < 1e-9


def test_lenet_like_near_ties_all_certified() -> None:
    # 2x6 = 12 and 4x3 = 12 and 2^2x3 = 12: equal weights reached through different bonds.
    spec = GeneralArchitecture(
        grid=(6,),
        n_features=4,
        steps=[ConvStep(6, kernel=3, padding=1), ConvStep(2, kernel=2, stride=2), ConvStep(3, kernel=3)],
    )
    net = general.bond_network(spec)
    for a in range(2**5 - 1):
        mask = np.array([True, *((a >> np.arange(5)) & 1).astype(bool)])
        part = Partition.from_mask(mask)
        cut = compiled.certified_cut(net, net.dims, mask)
        assert cut is not None and cut.weightings == 2  # base (2, 3)
        assert cut.value == general.rational_flow_cut(spec, part).value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*NEAR_TIES, 7, 11, 13, 1000, 1001]), min_size=1, max_size=8))
def test_weightings_span_a_cone_holding_the_logs(dims: list[int]) -> None:
    costs = ExactCosts(tuple(sorted(set(dims))))
    exps = costs.exponents
    weightings = compiled._weightings(exps, costs)
    assert weightings is not None and len(weightings) == costs.size
    w = np.stack(weightings).astype(float)  # rows w_j; lambda = sum_j mu_j w_j with mu >= 0
    mu = np.linalg.solve(w.T, costs.logs)
    assert np.all(mu > 0)
    # every weighting fits the int32 budget with the other copies
    assert all(int((exps @ wj).sum()) * len(weightings) < 2**31 for wj in weightings)


def series(d_a: int, d_b: int) -> SimpleNamespace:
    """input 0 -- bond a -- one matrix -- bond b -- input 1: the minimum is min(d_a, d_b)."""
    bonds = [SimpleNamespace(dim=d_a, nodes=(0,), inputs=(0,)), SimpleNamespace(dim=d_b, nodes=(0,), inputs=(1,))]
    return SimpleNamespace(nodes=(None,), bonds=bonds, input_bond=(0, 1))


def test_disagreeing_weightings_give_no_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    net = compiled.BondNetwork.from_graph(series(6, 4))  # type: ignore[arg-type]
    mask = np.array([True, False])
    assert compiled.certified_cut(net, net.dims, mask).value == 4  # type: ignore[union-attr]
    compiled._exponents.cache_clear()
    # (1, 0) prices 6 = 2*3 at 1 and 4 = 2^2 at 2: it cuts the 6; (0, 1) then prices that cut at 1 > 0.
    monkeypatch.setattr(compiled, "_weightings", lambda exps, costs: [np.array([1, 0]), np.array([0, 1])])
    assert compiled.certified_cut(net, net.dims, mask) is None
    compiled._exponents.cache_clear()


def test_exact_flow_falls_back_to_the_rational_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = GeneralArchitecture(grid=(5,), n_features=3, steps=[ConvStep(2, kernel=2), ConvStep(5, kernel=4)])
    part = Partition(5, side_a=[0, 2])
    expected = convac.min_cut(spec, part)
    monkeypatch.setattr(general, "certified_cut", lambda net, dims, mask: None)
    cut = convac.min_cut(spec, part)
    assert cut.value == expected.value and cut.node_sides == general.rational_flow_cut(spec, part).node_sides


def test_contraction_keeps_every_matrix_on_at_most_two_bonds() -> None:
    graph = SimpleNamespace(
        nodes=(None,), bonds=[SimpleNamespace(dim=2, nodes=(0,), inputs=(i,)) for i in range(3)], input_bond=(0, 1, 2)
    )
    with pytest.raises(convac.errors.InternalError, match="more than two bonds"):
        compiled.BondNetwork.from_graph(graph)  # type: ignore[arg-type]


def test_split_bonds_matches_the_graph_rule() -> None:
    spec = GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(3, kernel=3), ConvStep(4, kernel=4)])
    graph = tensor_network_graph(spec)
    net = compiled.BondNetwork.from_graph(graph)
    rng = np.random.default_rng(0)
    for _ in range(50):
        sides = rng.random(len(graph.nodes)) < 0.5
        inputs = rng.random(6) < 0.5
        split = compiled.split_bonds(net, sides, inputs).tolist()
        assert split == [graph.bonds.index(b) for b in graph._split(tuple(sides), tuple(inputs))]
