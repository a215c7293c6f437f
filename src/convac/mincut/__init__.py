"""Min-cut of a ConvAC's tensor network across a partition of its inputs (docs/theory.md §4), any spec.

The rank of the coefficient tensor's matricization ``[A]_{A,B}`` is at most the minimal product
of bond dimensions of a cut separating the A-inputs from the B-inputs. :func:`min_cut` computes
that minimum exactly, names the cut edges and gives the side of every node;
:func:`min_cut_lower_bound` is the power-of-p bound; :func:`min_cut_values` does many partitions
of one architecture at once.

The graph (:mod:`convac.mincut._graph`): nodes are the conv matrices ``W^{l,j}`` and the output
matrix; input edge ``j`` (dimension ``M``) joins a fixed terminal to ``W^{0,j}``; the delta tensor
of pooling window ``k`` of layer ``l`` is a hyperedge of dimension ``r_l`` joining the window's
``W^{l,j}`` and ``W^{l+1,k}``, and costs ``r_l`` once when cut. The output edge is deleted.

A :class:`~convac.spec.GeneralArchitecture` (overlapping kernels) has a graph with cycles: its
tensor network is the unrolled computation tree with inputs copied by delta hyperedges
(:func:`tensor_network_graph`), cut exactly by scipy's compiled max-flow on the network contracted
to its bonds, proven minimal with integer weightings (:mod:`convac.mincut._compiled_flow`; the pure
rational max-flow remains the fallback).

:func:`function_bound` bounds the Schmidt rank of the network's *function* of continuous inputs
instead (copies of an input tied to its side; sums, concatenations, groups), on the compact graph.

Methods (``method=``, opt_einsum style; see :data:`METHODS`):

- ``"auto"`` (default): ``"tree"`` for an :class:`~convac.spec.Architecture`, ``"exact_flow"`` for a general spec.
- ``"tree"``: exact dynamic programme over the tree, vectorised with numpy.
- ``"exact_flow"``: exact max-flow on the hypergraph of any spec: compiled, then certified in integers.
- ``"networkx"``: ``networkx.minimum_cut`` on float log capacities (the reference).
- ``"scipy"``: ``scipy.sparse.csgraph.maximum_flow`` on integer-scaled log capacities.

The flow solvers round. Their ``.log2`` is the solver's flow value and ``.log2_error`` bounds its
distance to the truth; ``.value`` is the integer nearest ``2**log2`` only when exactly one
integer lies within that bound, else the tree's exact value (checked to lie within the bound);
``.value_from`` says which. Their ``.edges``/``.node_sides`` are the solver's own cut, which near
ties can weigh more than ``.value`` (docs/theory.md §4: a flow cut of weight 128 where the minimum is 80).
Use ``"tree"`` whenever the cut itself matters.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> cut = convac.min_cut(arch, convac.Partition.left_right(arch))
>>> cut.value, cut.log2
(2, 1.0)
>>> print(cut)
min-cut 2 (log2 1) across 1 edge: layer 2 delta[1] (r=2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import choice, instance
from convac.errors import ConvacTypeError, PartitionError
from convac.mincut import _tree as tree
from convac.mincut._function_bound import FunctionBound, function_bound
from convac.mincut._general import exact_flow_value, hypergraph
from convac.mincut._graph import CutEdge, CutGraph
from convac.mincut._hypergraph import ConvNode, Hyperedge, TensorNetworkGraph, tensor_network_graph
from convac.mincut._methods import METHODS, MethodName, resolve
from convac.mincut._result import GeneralMinCut, MinCut
from convac.partitions import Partition
from convac.spec import Architecture, GeneralArchitecture

__all__ = [
    "METHODS",
    "ConvNode",
    "CutEdge",
    "FunctionBound",
    "GeneralMinCut",
    "Hyperedge",
    "MinCut",
    "TensorNetworkGraph",
    "cut_weight",
    "function_bound",
    "min_cut",
    "min_cut_lower_bound",
    "min_cut_values",
    "tensor_network_graph",
]


def _check_arch(arch: Any) -> Architecture:
    return instance(arch, "arch", Architecture, "a convac.Architecture (e.g. Architecture.deep_1d(...))")


def _check(arch: Any, partition: Any) -> None:
    _check_arch(arch)
    instance(partition, "partition", Partition, "a convac.Partition (e.g. Partition.left_right(arch))")
    partition.check_fits(arch)


def _check_any(spec: Any, partition: Any) -> None:
    if not isinstance(spec, GeneralArchitecture):
        _check_arch(spec)
    instance(partition, "partition", Partition, "a convac.Partition (e.g. Partition.left_right(spec))")
    partition.check_fits(spec)


def min_cut(
    spec: Architecture | GeneralArchitecture, partition: Partition, method: MethodName | str = "auto"
) -> MinCut:
    """Return the minimal cut of ``spec``'s tensor network separating ``partition``'s two sides.

    ``spec`` is an :class:`~convac.spec.Architecture` or a :class:`~convac.spec.GeneralArchitecture`.
    ``method`` picks a backend from :data:`METHODS`, or ``"auto"`` (see the module docstring for
    how the inexact flow backends report their value).

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 5])
    >>> cut = min_cut(arch, Partition.interleaved(arch))
    >>> cut.value, [str(e) for e in cut.edges][:2]
    (16, ['input 1 (M=2)', 'input 3 (M=2)'])
    >>> cut.node_sides[0].tolist()
    [True, True, True, True, True, True, True, True]
    >>> min_cut(arch, Partition.left_right(arch), method="networkx").value
    4
    >>> spec = GeneralArchitecture(grid=(6,), n_features=2,
    ...     steps=[ConvStep(4, kernel=3), ConvStep(4, kernel=3), ConvStep(3, kernel=2)])
    >>> cut = min_cut(spec, Partition(6, side_a=[0, 1, 2]))
    >>> cut.value, cut.method, cut.layers  # overlaps: cheaper to cut the three input edges than any deeper bond
    (8, 'exact_flow', (-1,))
    """
    _check_any(spec, partition)
    choice(method, "method", ["auto", *sorted(METHODS)])
    return METHODS[resolve(spec, method)](spec, partition)


def _check_masks(arch: Architecture, masks: Any) -> npt.NDArray[np.bool_]:
    arr = np.asarray(masks)
    if arr.dtype != np.bool_:
        if not np.issubdtype(arr.dtype, np.integer):
            raise ConvacTypeError(f"masks must be booleans (or 0/1 integers), got dtype {arr.dtype}")
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise PartitionError("integer masks may only hold 0 (side B) and 1 (side A)")
        arr = arr.astype(bool)
    if arr.ndim != 2 or arr.shape[1] != arch.n_inputs:
        raise PartitionError(
            f"masks must have shape (n_partitions, {arch.n_inputs}) for this architecture, got {arr.shape}"
        )
    return arr


def min_cut_values(arch: Architecture, masks: Any, *, chunk: int | None = None) -> npt.NDArray[np.object_]:
    """Exact min-cuts of many partitions of one architecture, vectorised over the partitions.

    ``masks`` has shape ``(n_partitions, n_inputs)``, True (or 1) for side A. A row with an empty
    side needs no cut and gets 1. Returns a 1-D object array of Python ints (the tree method;
    ``chunk`` partitions are solved per numpy pass, chosen from the graph size by default).

    Examples
    --------
    >>> import numpy as np
    >>> from convac import Architecture
    >>> arch = Architecture.shallow(n_inputs=4, n_features=2, hidden=3)
    >>> min_cut_values(arch, np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])).tolist()
    [2, 3, 1]
    """
    _check_arch(arch)
    arr = _check_masks(arch, masks)
    graph = CutGraph.from_arch(arch)
    if chunk is None:
        chunk = max(1, 2**21 // (2 * arch.n_inputs * max(1, len(set(graph.dims)))))
    out = np.empty(arr.shape[0], dtype=object)
    for start in range(0, arr.shape[0], chunk):
        part = arr[start : start + chunk]
        out[start : start + part.shape[0]] = tree.solve(graph, part).values()
    return out


def _largest_power(p: int, c: int) -> int:
    q = 1
    while q * p <= c:
        q *= p
    return q


def _iroot(c: int, e: int) -> int:
    """floor(c ** (1/e)) exactly, by bisection on integers (c may exceed float range)."""
    lo, hi = 1, 1 << (c.bit_length() // e + 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid**e <= c:
            lo = mid
        else:
            hi = mid
    return lo


def _candidate_bases(dims: tuple[int, ...]) -> list[int]:
    """Return the p worth trying in ``max_p W^p``.

    While every exponent ``floor(log_p c)`` stays fixed, ``W^p = p^k`` for a fixed ``k`` (the
    cheapest cut in exponent sum), which grows with ``p``; so the maximum over each such range of
    ``p`` sits at its right end, where some ``p^e <= c < (p+1)^e``, i.e. ``p = floor(c^(1/e))``.
    That leaves O(sum log2 c) candidates instead of every p up to the largest dimension.
    """
    cands = {_iroot(c, e) for c in dims for e in range(1, c.bit_length() + 1)}
    return sorted(p for p in cands if p >= 2)


def min_cut_lower_bound(arch: Architecture | GeneralArchitecture, partition: Partition) -> int:
    """Return the power-of-p lower bound ``max_p W^p`` of docs/theory.md §4.

    ``W^p`` is the min-cut after replacing every bond dimension ``c`` (``M`` and each channel
    number) by the largest power of ``p`` not above it, for ``p = 2 .. max bond dimension`` (only
    the few ``p`` where the maximum can sit are evaluated, so huge dimensions are fine).
    It never exceeds :func:`min_cut`, and equals it when all bond dimensions are powers of one
    integer. The theorem proves ``rank [A]_{A,B} >= max_p W^p`` for almost all weights only for
    1D ConvACs with window 2 and unshared weights; for 2D, wider windows, shared weights and
    shallow networks it is just the quantity that ``convac verify`` checks empirically.

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3])
    >>> part = Partition.interleaved(arch)
    >>> min_cut(arch, part).value, min_cut_lower_bound(arch, part)
    (16, 16)
    >>> part = Partition.left_right(arch)
    >>> min_cut(arch, part).value, min_cut_lower_bound(arch, part)
    (3, 2)
    >>> min_cut_lower_bound(arch.to_general(), part)  # a general spec: the same bound on its hypergraph
    2
    """
    _check_any(arch, partition)
    if isinstance(arch, GeneralArchitecture):
        return _general_lower_bound(arch, partition)
    graph = CutGraph.from_arch(arch)
    mask = partition.mask[None]
    upper = tree.solve(graph, mask).values()[0]
    best = 1
    for p in _candidate_bases(graph.dims):
        dims = tuple(_largest_power(p, c) for c in graph.dims)
        best = max(best, tree.solve(graph.with_dims(dims), mask).values()[0])
        if best == upper:  # W^p never exceeds the min-cut
            break
    return best


def _general_lower_bound(spec: GeneralArchitecture, partition: Partition) -> int:
    upper = exact_flow_value(spec, partition)
    dims = tuple(sorted({b.dim for b in hypergraph(spec).bonds}))
    best = 1
    for p in _candidate_bases(dims):
        best = max(best, exact_flow_value(spec, partition, lambda c, p=p: _largest_power(p, c)))  # type: ignore[misc]
        if best == upper:
            break
    return best


def cut_weight(arch: Architecture, partition: Partition, node_sides: Any) -> int:
    """Return the exact weight (product of cut bond dimensions) of any assignment of nodes to sides.

    ``node_sides`` has the layout of :attr:`MinCut.node_sides`. Useful to check a cut: for the
    tree method ``cut_weight(arch, part, cut.node_sides) == cut.value``; for a flow method it can
    be larger near ties.

    Examples
    --------
    >>> from convac import Architecture, Partition
    >>> arch = Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 5])
    >>> part = Partition.left_right(arch)
    >>> cut_weight(arch, part, [[True] * 4, [True, True], [True]])  # cut both B inputs
    4
    """
    _check(arch, partition)
    graph = CutGraph.from_arch(arch)
    if not isinstance(node_sides, (list, tuple)) or len(node_sides) != graph.depth + 1:
        raise ConvacTypeError(f"node_sides must be a sequence of {graph.depth + 1} boolean arrays, one per layer")
    sides = tuple(np.asarray(s, dtype=bool) for s in node_sides)
    for lay, (s, n) in enumerate(zip(sides, graph.layer_sizes, strict=True)):
        if s.shape != (n,):
            raise PartitionError(f"node_sides[{lay}] must have shape ({n},), got {s.shape}")
    return graph.cut_weight(partition.mask, sides)
