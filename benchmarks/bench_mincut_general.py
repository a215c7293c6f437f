"""General (overlapping) min-cut benchmark: the certified compiled flow vs raw solvers and the old rational flow.

Run from the repository root (not part of the test suite; needs torch for the fx mapping):

    PYTHONPATH=src:tests/fx python benchmarks/bench_mincut_general.py            # LeNet-5 and VGG-small
    PYTHONPATH=src:tests/fx python benchmarks/bench_mincut_general.py --no-old   # skip the slow rational flow

Graphs: the ConvAC analogues of LeNet-5 on 28x28 and the small VGG on 32x32 (tests/fx/cnn_shapes.py,
mapped by ``convac.fx.module_architecture``), cut across the partitions ``convac.analyze`` probes
(6 and 7 scales). Every column times all of those partitions together, warm (graphs cached):

- **certified**: ``convac.min_cut(spec, p)`` (method ``exact_flow``): the exact value, proven, plus node sides;
- **scipy full**: one ``scipy.sparse.csgraph.maximum_flow`` (Dinic) per partition on the uncontracted
  Lawler graph (every matrix a vertex) with log2 capacities scaled to int32, plus the residual BFS:
  the "plain scipy on the same graph" of issue 24 (a rounded value, no proof);
- **scipy contracted**: the same single solve on the bond-contracted network the certified flow uses;
- **networkx**: ``networkx.minimum_cut`` (Boykov-Kolmogorov, float capacities) on the contracted network;
- **igraph**: ``igraph.Graph.maxflow`` (float capacities) on the contracted network, when igraph is importable;
- **rational (old)**: the pure-Python rational Edmonds-Karp that ``exact_flow`` used to be (one run).

CPU time (``time.process_time``, one thread), min and median of ``--repeat`` warm runs (one run for
the old rational flow). Each run asserts that every solver's log2 value agrees with the certified exact
value (floats within 1e-6 bits, the old flow exactly).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import convac
from convac.analysis._analyze import _probes
from convac.fx import module_architecture
from convac.mincut._compiled_flow import BondNetwork, _network
from convac.mincut._general import bond_network, rational_flow_cut
from convac.spec import GeneralArchitecture

Arcs = tuple[np.ndarray, np.ndarray, np.ndarray, int]  # tails, heads, log2 capacities (inf = infinite), n


def contracted_arcs(net: BondNetwork, mask: np.ndarray) -> Arcs:
    tails, heads, n = _network(net, mask)
    caps = np.full(tails.size, np.inf)
    caps[: net.n_bonds] = np.log2(np.asarray(net.dims, dtype=np.float64))
    return tails, heads, caps, n


def full_arcs(net: BondNetwork, mask: np.ndarray) -> Arcs:
    """Lawler's graph with every matrix a vertex: S=0, T=1, in/out of bond e = 2+2e/3+2e, matrix i = 2+2B+i."""
    b = net.n_bonds
    is_node = net.member_node >= 0
    node_v = 2 + 2 * b + net.member_node[is_node]
    bond_m = net.member_bond[is_node]
    read = net.input_bond >= 0
    src, snk = np.unique(net.input_bond[read & mask]), np.unique(net.input_bond[read & ~mask])
    bonds = np.arange(b)
    tails = np.concatenate([2 + 2 * bonds, node_v, 3 + 2 * bond_m, np.zeros(src.size, int), 3 + 2 * snk])
    heads = np.concatenate([3 + 2 * bonds, 2 + 2 * bond_m, node_v, 2 + 2 * src, np.ones(snk.size, int)])
    caps = np.full(tails.size, np.inf)
    caps[:b] = np.log2(np.asarray(net.dims, dtype=np.float64))
    key = np.unique(tails * (1 << 32) + heads, return_index=True)[1]
    return tails[key], heads[key], caps[key], 2 + 2 * b + net.node_bonds.shape[0]


def scipy_solve(arcs: Arcs) -> float:
    """Raw scipy: int32-scaled log2 capacities, Dinic, residual BFS for the cut; returns the flow's log2."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    tails, heads, caps, n = arcs
    finite = np.isfinite(caps)
    scale = 2**30 / max(1.0, float(caps[finite].sum()))
    ints = np.zeros(caps.size, dtype=np.int64)
    ints[finite] = np.rint(caps[finite] * scale)
    ints[~finite] = ints[finite].sum() + 1
    cap = sp.csr_array((ints.astype(np.int32), (tails, heads)), shape=(n, n))
    res = maximum_flow(cap, 0, 1, method="dinic")
    residual = (cap - res.flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    breadth_first_order(residual, 0, directed=True, return_predecessors=False)
    return res.flow_value / scale


def networkx_solve(arcs: Arcs) -> float:
    import networkx as nx
    from networkx.algorithms.flow import boykov_kolmogorov

    tails, heads, caps, n = arcs
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for u, v, c in zip(tails.tolist(), heads.tolist(), caps.tolist(), strict=True):
        g.add_edge(u, v, **({"capacity": c} if math.isfinite(c) else {}))
    return float(nx.minimum_cut(g, 0, 1, flow_func=boykov_kolmogorov)[0])


def igraph_solve(arcs: Arcs) -> float:
    import igraph

    tails, heads, caps, n = arcs
    finite = np.isfinite(caps)
    caps = np.where(finite, caps, caps[finite].sum() + 1.0)
    g = igraph.Graph(n=n, edges=np.stack([tails, heads], 1).tolist(), directed=True)
    return float(g.maxflow(0, 1, capacity=caps.tolist()).value)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """CPU seconds (process time: the machine is shared, so wall time mostly measures the others), min and median."""
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        runs.append(time.process_time() - t)
    return min(runs), statistics.median(runs)


def specs() -> list[tuple[str, GeneralArchitecture]]:
    import cnn_shapes  # tests/fx on PYTHONPATH

    lenet = module_architecture(cnn_shapes.LeNet5(), (1, 28, 28))[0]
    vgg = module_architecture(cnn_shapes.vgg_small(), (3, 32, 32))[0]
    return [("LeNet-5 28x28", lenet), ("VGG-small 32x32", vgg)]


def solvers() -> dict[str, Callable[[Arcs], float]]:
    out: dict[str, Callable[[Arcs], float]] = {"networkx": networkx_solve}
    try:
        import igraph  # noqa: F401

        out["igraph"] = igraph_solve
    except ImportError:
        print("(igraph not importable: its column is skipped)")
    return out


def bench(name: str, spec: GeneralArchitecture, repeat: int, old: bool) -> None:
    parts = [s.partition(spec.grid) for s in _probes(spec, None)]
    masks = [np.asarray(p.mask, dtype=bool) for p in parts]
    net = bond_network(spec)
    exact = [convac.min_cut(spec, p) for p in parts]  # also warms the caches
    full = [full_arcs(net, m) for m in masks]
    contracted = [contracted_arcs(net, m) for m in masks]
    rows: dict[str, tuple[float, float]] = {
        "certified": timed(lambda: [convac.min_cut(spec, p) for p in parts], repeat),
        "scipy full": timed(lambda: [scipy_solve(a) for a in full], repeat),
        "scipy contracted": timed(lambda: [scipy_solve(a) for a in contracted], repeat),
    }
    for label, arcs in (("scipy full", full), ("scipy contracted", contracted)):
        for cut, a in zip(exact, arcs, strict=True):
            assert abs(scipy_solve(a) - cut.log2) < 1e-6 * max(1.0, cut.log2), (name, label)
    for label, solve in solvers().items():
        rows[label] = timed(lambda s=solve: [s(a) for a in contracted], max(1, repeat // 3))
        for cut, a in zip(exact, contracted, strict=True):
            assert abs(solve(a) - cut.log2) < 1e-6 * max(1.0, cut.log2), (name, label)
    if old:
        t = time.process_time()
        values = [rational_flow_cut(spec, p).value for p in parts]
        rows["rational (old)"] = (time.process_time() - t,) * 2
        assert values == [c.value for c in exact], name
    base_full, base_contracted = rows["scipy full"][0], rows["scipy contracted"][0]
    print(f"\n## {name}: {len(net.dims)} bonds, {net.node_bonds.shape[0]} matrices, {len(parts)} partitions\n")
    print("| solver | CPU min | CPU median | min / scipy full | min / scipy contracted |")
    print("|---|---:|---:|---:|---:|")
    for label, (lo, med) in rows.items():
        ratios = f"{lo / base_full:.2f}x | {lo / base_contracted:.2f}x"
        print(f"| {label} | {lo * 1e3:.1f} ms | {med * 1e3:.1f} ms | {ratios} |")
    print(f"\nlog2 min-cuts: {[round(c.log2, 3) for c in exact]}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9, help="warm repeats per column (min and median)")
    parser.add_argument("--no-old", action="store_true", help="skip the pure-Python rational flow (minutes)")
    args = parser.parse_args()
    for name, spec in specs():
        bench(name, spec, args.repeat, not args.no_old)


if __name__ == "__main__":
    main()
