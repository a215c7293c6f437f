"""The bound analysed for overlapping and graph specs: the function bound, with the one-hot min-cut beside it.

For a ConvAC with overlapping windows two bounds differ (docs/guide/real-cnns.md):

- the **function bound** (:func:`convac.mincut.function_bound`) bounds the Schmidt rank of the
  network's function of continuous inputs: every copy of an input sits on its input's side. It is
  computed on the compact graph, in time linear in it, for any size. This is *the* bound that
  :func:`convac.analyze` reports (``ScaleResult.value``);
- the **one-hot min-cut** (:func:`convac.min_cut`, ``"exact_flow"``) bounds the rank of the
  one-hot coefficient tensor, where the copies of an input are joined by a delta and may fall on
  different sides. It never exceeds the function bound and needs the unrolled network; it is
  computed where that is cheap (``ScaleResult.onehot``).

For a tree both are the same number. :class:`LayerInfo` records, per layer node, what a width
solver needs: its channels, its weights per channel in and out, and (on the analysis) the tie
groups of layers whose widths a residual addition forces to be equal.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(3, kernel=2)])
>>> [i.channels for i in layer_info(spec)]
[2, 3, 3]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from convac.analysis._unrolled import MAX_UNROLLED_MATRICES, check_unrolled_size, unrolled_matrices
from convac.errors import InputError
from convac.mincut import function_bound, min_cut
from convac.partitions import Partition
from convac.spec import GeneralArchitecture
from convac.spec._graph import GraphArchitecture, _as_graph

__all__ = ["ONEHOT_AUTO_MATRICES", "LayerInfo", "function_rows", "layer_info", "tie_groups"]

#: ``onehot="auto"`` computes the one-hot min-cut when the unrolled network has at most this many matrices.
ONEHOT_AUTO_MATRICES = 20_000


@dataclass(frozen=True)
class LayerInfo:
    """One layer node: ``label``, graph ``node`` id, ``channels`` and the weights per input/output channel.

    ``weights_per_in`` / ``weights_per_out``: how many weights one more input / output channel
    costs (``k C_out / g`` and ``k C_in / g`` for a convolution with ``k`` window positions and
    ``g`` groups; 0 for inputs, poolings, sums and concatenations, which own no weights).

    >>> LayerInfo("conv1", 1, 16, 144, 27).to_dict()["weights_per_out"]
    27
    """

    label: str
    node: int
    channels: int
    weights_per_in: int
    weights_per_out: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "node": self.node,
            "channels": self.channels,
            "weights_per_in": self.weights_per_in,
            "weights_per_out": self.weights_per_out,
        }


def layer_info(spec: GraphArchitecture | GeneralArchitecture) -> tuple[LayerInfo, ...]:
    """Return the :class:`LayerInfo` of every node of ``spec``'s graph (node 0: the input layer).

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, kernel=3, padding=1), ConvStep(1, 4)])
    >>> [(i.channels, i.weights_per_in, i.weights_per_out) for i in layer_info(spec)]
    [(2, 0, 0), (3, 9, 6), (1, 4, 12)]
    """
    graph = _as_graph(spec)
    labels = graph.labels
    out = [LayerInfo(labels[0], 0, graph.n_features, 0, 0)]
    for i in range(1, graph.n_nodes):
        w_in, w_out = graph.weights_per_channel(i)
        out.append(LayerInfo(labels[i], i, graph.node_channels(i), w_in, w_out))
    return tuple(out)


def tie_groups(spec: GraphArchitecture | GeneralArchitecture) -> tuple[tuple[str, ...], ...]:
    """Return the labels of the layers whose channel counts must stay equal (residual sums, depthwise convs).

    Examples
    --------
    >>> from convac.spec import GraphArchitecture, GraphNode
    >>> g = GraphArchitecture((4,), 2, [GraphNode.conv(0, 2, 3, padding=1, label="conv"),
    ...     GraphNode.add(0, 1, label="add"), GraphNode.conv(2, 1, 4, label="fc")], input_label="stem")
    >>> tie_groups(g)
    (('stem', 'conv'),)
    """
    graph = _as_graph(spec)
    labels = graph.labels
    return tuple(tuple(labels[i] for i in group) for group in graph.tie_groups)


@dataclass(frozen=True)
class BoundRow:
    """One probe partition's bounds: the function bound (value, log2, cut layers) and the one-hot min-cut."""

    value: int | None
    log2: float
    cut_layers: tuple[int, ...]
    onehot: int | None
    onehot_log2: float | None


def _want_onehot(spec: GraphArchitecture | GeneralArchitecture, onehot: bool | str) -> bool:
    if onehot not in (True, False, "auto"):
        raise InputError(f"onehot must be True, False or 'auto', got {onehot!r}")
    if not isinstance(spec, GeneralArchitecture):
        if onehot is True:
            raise InputError(
                "the one-hot min-cut needs a chain of convolutions (a GeneralArchitecture); this graph has "
                "sums, concatenations or groups: use onehot='auto' or False"
            )
        return False
    if onehot is False:
        return False
    if onehot is True:
        check_unrolled_size(spec)
        return True
    return unrolled_matrices(spec) <= min(ONEHOT_AUTO_MATRICES, MAX_UNROLLED_MATRICES)


def function_rows(
    spec: GraphArchitecture | GeneralArchitecture, parts: Sequence[Partition], onehot: bool | str = "auto"
) -> list[BoundRow]:
    """Return the function bound of every partition, with the one-hot min-cut where ``onehot`` asks for it.

    ``onehot``: ``"auto"`` computes it for a chain whose unrolled network has at most
    :data:`ONEHOT_AUTO_MATRICES` matrices (for a tree it is the function bound itself); True forces
    it (refused beyond :data:`~convac.analysis.MAX_UNROLLED_MATRICES`); False skips it.
    """
    is_tree = isinstance(spec, GeneralArchitecture) and spec.is_tree
    want = _want_onehot(spec, onehot) and not is_tree
    rows = []
    for part in parts:
        fb = function_bound(spec, part)
        one = min_cut(spec, part) if want and isinstance(spec, GeneralArchitecture) else None
        value, log2 = (fb.value, fb.log2) if one is None and is_tree else (None, None)  # a tree: one number
        if one is not None:
            value, log2 = int(one.value), float(one.log2)
        rows.append(BoundRow(fb.value, fb.log2, fb.layers, value, log2))
    return rows
