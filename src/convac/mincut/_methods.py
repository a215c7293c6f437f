"""The min-cut methods, one registry (opt_einsum style): a Literal name -> a function (spec, partition) -> MinCut.

- ``"tree"``: the exact dynamic programme over the tree of an :class:`~convac.spec.Architecture`
  (:mod:`convac.mincut._tree`), vectorised with numpy;
- ``"exact_flow"``: the certified exact max-flow on the hypergraph of any spec, overlapping
  kernels included (:mod:`convac.mincut._general`);
- ``"networkx"``, ``"scipy"``: rounding max-flow cross-checks on a tree's graph (:mod:`convac.mincut._flow`).

Tree-only methods accept a :class:`~convac.spec.GeneralArchitecture` that is a tree in the
Architecture sense (:func:`~convac.spec.to_architecture`); ``"auto"`` (resolved by
:func:`resolve`) is ``"tree"`` for an Architecture and ``"exact_flow"`` for a general spec.

Examples
--------
>>> sorted(METHODS)
['exact_flow', 'networkx', 'scipy', 'tree']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

from convac.errors import ArchitectureError, InputError, InternalError
from convac.mincut import _flow as flow
from convac.mincut import _tree as tree
from convac.mincut._general import exact_flow_cut
from convac.mincut._graph import BoolArray, CutGraph
from convac.mincut._result import MinCut
from convac.partitions import Partition
from convac.spec import Architecture, GeneralArchitecture, to_architecture

__all__ = ["METHODS", "MethodName", "resolve"]

MethodName = Literal["auto", "tree", "exact_flow", "networkx", "scipy"]
MinCutMethod = Callable[[Any, Partition], MinCut]


def _frozen(arrays: tuple[BoolArray, ...]) -> tuple[BoolArray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _as_tree(spec: Architecture | GeneralArchitecture, method: str) -> Architecture:
    if isinstance(spec, Architecture):
        return spec
    try:
        return to_architecture(spec)
    except ArchitectureError as err:
        raise InputError(
            f"method {method!r} needs a tree spec (non-overlapping pooling), and this GeneralArchitecture is not "
            f"one ({err}); use method='exact_flow' or 'auto'"
        ) from None


def _tree_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    arch = _as_tree(spec, "tree")
    graph = CutGraph.from_arch(arch)
    sol = tree.solve(graph, partition.mask[None], want_sides=True)
    if sol.sides is None:
        raise InternalError("the tree min-cut was asked for node sides and returned none")
    value = sol.values()[0]
    sides = _frozen(tuple(s[0].copy() for s in sol.sides))
    return MinCut(value, math.log2(value), "tree", sides, arch, partition)


def exact_tree_value(arch: Architecture, partition: Partition) -> int:
    """Return the tree DP's exact value alone (no node sides)."""
    return tree.solve(CutGraph.from_arch(arch), partition.mask[None]).values()[0]


def _from_flow(
    arch: Architecture,
    partition: Partition,
    name: str,
    solver: Callable[[CutGraph, BoolArray], flow.FlowResult],
) -> MinCut:
    res = solver(CutGraph.from_arch(arch), partition.mask)
    lo, hi = res.log2 - res.error, res.log2 + res.error
    if hi < 52:  # integers are exact floats here
        candidates = range(math.ceil(2.0**lo), math.floor(2.0**hi) + 1)
        if len(candidates) == 1:
            return MinCut(candidates[0], res.log2, name, _frozen(res.sides), arch, partition, res.error, "flow")
    value = exact_tree_value(arch, partition)
    if abs(math.log2(value) - res.log2) > res.error + 1e-9:
        raise InternalError(
            f"{name} flow value 2**{res.log2} disagrees with the exact min-cut {value} "
            f"beyond its error bound {res.error}"
        )
    return MinCut(value, res.log2, name, _frozen(res.sides), arch, partition, res.error, "tree")


def _networkx_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    return _from_flow(_as_tree(spec, "networkx"), partition, "networkx", flow.networkx_flow)


def _scipy_cut(spec: Architecture | GeneralArchitecture, partition: Partition) -> MinCut:
    return _from_flow(_as_tree(spec, "scipy"), partition, "scipy", flow.scipy_flow)


METHODS: dict[str, MinCutMethod] = {
    "tree": _tree_cut,
    "exact_flow": exact_flow_cut,
    "networkx": _networkx_cut,
    "scipy": _scipy_cut,
}
"""Min-cut methods by name: ``tree`` (exact DP), ``exact_flow`` (certified, any spec), ``networkx``, ``scipy``."""


def resolve(spec: Architecture | GeneralArchitecture, method: str) -> str:
    """Return the method ``"auto"`` stands for: ``"tree"`` for an Architecture, ``"exact_flow"`` for a general spec."""
    if method != "auto":
        return method
    return "tree" if isinstance(spec, Architecture) else "exact_flow"
