"""Independent checks of the function bound (imported by tests/mincut and tests/fx; not a test module).

- :func:`function_rank`: the Schmidt rank of a graph ConvAC's *function* across a partition, over GF(p):
  random weights, polynomial representation features ``f(x) = (1, x, x^2, ...)`` of continuous (here:
  random field) inputs, the matrix ``h(x_A^(i), x_B^(j))`` over sampled inputs, its exact rank mod p.
  Any sample of a rank-r function has rank at most r, so this never exceeds a valid bound.
- :func:`tied_flow`: the exact max-flow of the *unrolled* tensor network of a chain (every copy of an
  input its own leaf, tied to its input's side), built here from scratch, cut by the rational max-flow.
"""

from __future__ import annotations

import math

import numpy as np

from convac.mincut._exact_flow import hyperedge_min_cut
from convac.partitions import Partition
from convac.ranks import rank_mod
from convac.spec import GeneralArchitecture, GraphArchitecture

PRIME = 32749


def _positions(grid: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in np.unravel_index(q, grid)) for q in range(math.prod(grid))]


def evaluate(spec: GraphArchitecture, x: np.ndarray, seed: int) -> np.ndarray:
    """h(x) mod p for a batch ``x`` (samples, n_inputs) of field elements; weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    m = spec.n_features
    acts = [np.stack([pow_mod(x, d) for d in range(m)], axis=-1)]  # (samples, positions, M)
    for i, node in enumerate(spec.nodes, start=1):
        if node.op == "add":
            acts.append(sum(acts[s] for s in node.inputs) % PRIME)
            continue
        if node.op == "concat":
            acts.append(np.concatenate([acts[s] for s in node.inputs], axis=-1))
            continue
        src = node.inputs[0]
        below = spec.node_grid(src)
        c_in, c_out = spec.node_channels(src), spec.node_channels(i)
        out = []
        for q in _positions(spec.node_grid(i)):
            prod = np.ones((x.shape[0], c_out), dtype=np.int64)
            for c in spec.window(i, q):
                a = acts[src][:, int(np.ravel_multi_index(c, below))]
                if node.channels is not None:
                    w = rng.integers(0, PRIME, size=(c_in, c_out))
                    if node.groups > 1:  # block-diagonal
                        g, bi, bo = node.groups, c_in // node.groups, c_out // node.groups
                        mask = np.kron(np.eye(g, dtype=np.int64), np.ones((bi, bo), dtype=np.int64))
                        w = w * mask
                    a = (a @ w) % PRIME
                prod = (prod * a) % PRIME
            out.append(prod)
        acts.append(np.stack(out, axis=1))
    head = rng.integers(0, PRIME, size=spec.node_channels(spec.n_nodes - 1))
    return (acts[-1][:, 0] @ head) % PRIME


def pow_mod(x: np.ndarray, d: int) -> np.ndarray:
    out = np.ones_like(x)
    for _ in range(d):
        out = (out * x) % PRIME
    return out


def function_rank(spec: GraphArchitecture, part: Partition, samples: int, seed: int = 0) -> int:
    """Rank mod p of ``h(x_A^(i), x_B^(j))`` over ``samples`` x ``samples`` random inputs."""
    rng = np.random.default_rng(seed + 1)
    mask = part.mask
    xa = rng.integers(0, PRIME, size=(samples, int(mask.sum())))
    xb = rng.integers(0, PRIME, size=(samples, int((~mask).sum())))
    x = np.zeros((samples, samples, spec.n_inputs), dtype=np.int64)
    x[:, :, mask] = xa[:, None, :]
    x[:, :, ~mask] = xb[None, :, :]
    h = evaluate(spec, x.reshape(samples * samples, -1), seed).reshape(samples, samples)
    return int(rank_mod(h, PRIME))


def tied_flow(spec: GeneralArchitecture, part: Partition) -> int:
    """Exact min-cut of the unrolled network with every input copy tied to its side (Lawler + rational flow)."""
    n = spec.n_inputs
    vertices = n  # 0..n-1: the input terminals
    hyperedges: list[tuple[int, list[int]]] = []
    channels = spec.channels

    def unroll(layer: int, position: tuple[int, ...], consumer: int) -> None:
        """The activation at (layer, position) read by vertex ``consumer``: its delta and its subtree."""
        nonlocal vertices
        members = [consumer]
        stack = [(layer, position)]
        while stack:  # poolings fuse their members' deltas into this one
            lay, pos = stack.pop()
            if lay == 0:
                members.append(int(np.ravel_multi_index(pos, spec.grid)))
                continue
            step = spec.steps[lay - 1]
            for c in spec.window(lay - 1, pos):
                if step.channels is None:
                    stack.append((lay - 1, c))
                    continue
                w = vertices
                vertices += 1
                members.append(w)
                unroll(lay - 1, c, w)
        hyperedges.append((channels[layer], members))

    top = vertices
    vertices += 1
    unroll(spec.depth, (0,) * spec.ndim, top)
    mask = part.mask
    sources = {j for j in range(n) if mask[j]}
    sinks = {j for j in range(n) if not mask[j]}
    return hyperedge_min_cut(vertices, hyperedges, sources, sinks).value
