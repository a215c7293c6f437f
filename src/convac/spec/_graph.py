"""The compact graph of a real CNN's ConvAC analogue: layers on grids joined by convolutions, sums and concatenations.

A :class:`GraphArchitecture` is a DAG of layer nodes. Node 0 is the input layer (``n_features``
representation channels on ``grid``); node ``i + 1`` is ``nodes[i]``, a :class:`GraphNode` reading
earlier nodes:

- ``"conv"``: a generalized convolution of one node (kernel, stride, padding, dilation as
  :class:`~convac.spec.ConvStep`, plus ``groups``: a grouped or depthwise convolution maps each
  group of channels by its own block; ``channels=None`` is a pure product pooling);
- ``"add"``: the sum of nodes with the same grid and channels (a residual addition);
- ``"concat"``: nodes with the same grid stacked along their channels.

The last node is the output layer's input: it must hold one position. A chain of ``"conv"``
nodes without groups is exactly a :class:`~convac.spec.GeneralArchitecture`
(:meth:`GraphArchitecture.from_general`, :meth:`GraphArchitecture.to_general`). Nothing is unrolled:
the graph has one entry per (layer, position), so a ResNet at 224x224 stays small.

Examples
--------
>>> from convac.spec import GraphArchitecture, GraphNode
>>> g = GraphArchitecture(grid=(8,), n_features=2, nodes=[
...     GraphNode.conv(0, 4, kernel=3, padding=1),   # node 1
...     GraphNode.conv(1, 2, kernel=3, padding=1),   # node 2
...     GraphNode.conv(0, 2, kernel=1),              # node 3: a 1x1 shortcut
...     GraphNode.add(2, 3),                         # node 4: the residual sum
...     GraphNode.conv(4, 3, kernel=8)])             # node 5: over the whole grid
>>> g.node_grid(4), g.node_channels(4), g.is_chain
((8,), 2, False)
>>> g.tie_groups
((2, 3),)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from convac._validation import choice, instance, integer
from convac.errors import ArchitectureError
from convac.spec._general import ConvStep, GeneralArchitecture, _pair

__all__ = ["GraphArchitecture", "GraphNode", "NodeOp"]

NodeOp = Literal["conv", "add", "concat"]
Coord = tuple[int, ...]


@dataclass(frozen=True)
class GraphNode:
    """One layer of a :class:`GraphArchitecture`: what it computes (``op``) from which nodes (``inputs``).

    ``inputs`` are node ids (0 = the input layer, ``i + 1`` = ``nodes[i]``). A ``"conv"`` node has
    one input and the :class:`~convac.spec.ConvStep` geometry plus ``groups``; ``"add"`` and
    ``"concat"`` have two or more. ``label`` names it in tables (e.g. the torch layer behind it).

    >>> GraphNode.conv(0, 8, kernel=3, groups=2).groups, GraphNode.add(1, 2).inputs
    (2, (1, 2))
    """

    op: NodeOp
    inputs: tuple[int, ...]
    channels: int | None = None
    kernel: int | tuple[int, ...] = 1
    stride: int | tuple[int, ...] = 1
    padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    label: str = ""

    @classmethod
    def conv(
        cls,
        source: int,
        channels: int | None,
        kernel: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        label: str = "",
    ) -> GraphNode:
        """Return a generalized convolution of node ``source`` (``channels=None``: a product pooling)."""
        return cls("conv", (source,), channels, kernel, stride, padding, dilation, groups, label)

    @classmethod
    def add(cls, *sources: int, label: str = "") -> GraphNode:
        """Return the sum of ``sources`` (same grid, same channels): a residual addition."""
        return cls("add", tuple(sources), label=label)

    @classmethod
    def concat(cls, *sources: int, label: str = "") -> GraphNode:
        """Return ``sources`` (same grid) stacked along the channel axis."""
        return cls("concat", tuple(sources), label=label)

    def step(self) -> ConvStep:
        """Return the node's geometry as a :class:`~convac.spec.ConvStep` (``"conv"`` nodes)."""
        return ConvStep(self.channels, self.kernel, self.stride, self.padding, self.dilation)


@dataclass(frozen=True)
class GraphArchitecture:
    """A ConvAC whose layers form a DAG (see the module docstring); ``input_label`` names node 0.

    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> chain = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, 2), ConvStep(2, 3)])
    >>> g = GraphArchitecture.from_general(chain)
    >>> g.n_nodes, g.is_chain, g.to_general() == chain
    (3, True, True)
    """

    grid: tuple[int, ...]
    n_features: int
    nodes: tuple[GraphNode, ...]
    n_outputs: int = 1
    input_label: str = "input"
    _grids: tuple[Coord, ...] = field(init=False, repr=False, compare=False)
    _channels: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grid = self.grid
        if isinstance(grid, int) and not isinstance(grid, bool):
            grid = (grid,)
        if not isinstance(grid, Sequence) or len(grid) not in (1, 2):
            raise ArchitectureError(f"grid must be one or two positive integers (1D or 2D), got {grid!r}")
        grid = tuple(integer(g, "grid", minimum=1, error=ArchitectureError) for g in grid)
        n_features = integer(self.n_features, "n_features", minimum=1, error=ArchitectureError)
        n_outputs = integer(self.n_outputs, "n_outputs", minimum=1, error=ArchitectureError)
        if not isinstance(self.nodes, Sequence) or isinstance(self.nodes, str) or not self.nodes:
            raise ArchitectureError(f"nodes must be a non-empty list of GraphNode, got {self.nodes!r}")
        grids: list[Coord] = [grid]
        channels = [n_features]
        nodes = []
        for i, node in enumerate(self.nodes):
            instance(node, f"nodes[{i}]", GraphNode, "a GraphNode (GraphNode.conv/add/concat)")
            norm, g, c = _check_node(node, i, grids, channels)
            nodes.append(norm)
            grids.append(g)
            channels.append(c)
        if any(v != 1 for v in grids[-1]):
            raise ArchitectureError(
                f"the last node leaves a {'x'.join(map(str, grids[-1]))} grid; a ConvAC must end at one position "
                "(add a convolution whose kernel covers the remaining grid)"
            )
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "n_features", n_features)
        object.__setattr__(self, "n_outputs", n_outputs)
        object.__setattr__(self, "nodes", tuple(nodes))
        object.__setattr__(self, "_grids", tuple(grids))
        object.__setattr__(self, "_channels", tuple(channels))

    @classmethod
    def from_general(cls, spec: GeneralArchitecture, labels: Sequence[str] = ()) -> GraphArchitecture:
        """Return the chain of ``spec``'s steps as a graph (``labels[0]`` names the input, ``labels[i + 1]`` step i)."""
        spec = instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
        names = list(labels) + [""] * (spec.depth + 1 - len(labels))
        nodes = [
            GraphNode("conv", (i,), s.channels, s.kernel, s.stride, s.padding, s.dilation, 1, names[i + 1])
            for i, s in enumerate(spec.steps)
        ]
        return cls(spec.grid, spec.n_features, tuple(nodes), spec.n_outputs, names[0] or "input")

    @property
    def ndim(self) -> int:
        """1 or 2."""
        return len(self.grid)

    @property
    def n_inputs(self) -> int:
        """Number of input positions."""
        out = 1
        for g in self.grid:
            out *= g
        return out

    @property
    def n_nodes(self) -> int:
        """Number of layer nodes, the input layer included."""
        return len(self.nodes) + 1

    @property
    def labels(self) -> tuple[str, ...]:
        """The label of every node (node 0: ``input_label``; an unlabelled node gets ``node i``)."""
        return (self.input_label, *(n.label or f"node {i + 1}" for i, n in enumerate(self.nodes)))

    def node_grid(self, node: int) -> Coord:
        """Grid shape of node ``node``."""
        return self._grids[integer(node, "node", minimum=0, maximum=len(self.nodes))]

    def node_channels(self, node: int) -> int:
        """Channel count of node ``node`` (node 0: ``n_features``)."""
        return self._channels[integer(node, "node", minimum=0, maximum=len(self.nodes))]

    def window(self, node: int, position: Coord) -> tuple[Coord, ...]:
        """Coordinates in a ``"conv"`` node's input feeding ``position`` of node ``node`` (padding left out)."""
        n = self.nodes[integer(node, "node", minimum=1, maximum=len(self.nodes)) - 1]
        if n.op != "conv":
            raise ArchitectureError(f"node {node} is a {n.op!r} node, which has no window")
        below = self._grids[n.inputs[0]]
        ranges = []
        for axis, q in enumerate(position):
            k, st, p, d = (n.kernel[axis], n.stride[axis], n.padding[axis], n.dilation[axis])  # type: ignore[index]
            ranges.append([c for c in (q * st - p + d * i for i in range(k)) if 0 <= c < below[axis]])
        return tuple(itertools.product(*ranges))

    @property
    def is_chain(self) -> bool:
        """True when every node is an ungrouped convolution of the node before it (a general spec)."""
        return all(n.op == "conv" and n.groups == 1 and n.inputs == (i,) for i, n in enumerate(self.nodes))

    def to_general(self) -> GeneralArchitecture:
        """Return the :class:`~convac.spec.GeneralArchitecture` of a chain (:class:`ArchitectureError` otherwise)."""
        if not self.is_chain:
            raise ArchitectureError(
                "only a chain of ungrouped convolutions is a GeneralArchitecture; this graph has sums, "
                "concatenations, groups or skips"
            )
        return GeneralArchitecture(self.grid, self.n_features, tuple(n.step() for n in self.nodes), self.n_outputs)

    @property
    def tie_groups(self) -> tuple[tuple[int, ...], ...]:
        """Nodes whose channel counts must stay equal: joined by a residual addition or a depthwise convolution.

        Each group lists the nodes that *own* a width (node 0 and ``"conv"`` nodes with channels);
        poolings and sums share the width of their inputs. Only groups of two or more are listed.
        """
        owner = list(range(self.n_nodes))

        def find(x: int) -> int:
            while owner[x] != x:
                owner[x] = owner[owner[x]]
                x = owner[x]
            return x

        for i, n in enumerate(self.nodes, start=1):
            same = n.op == "add" or (n.op == "conv" and n.channels is None)
            depthwise = n.op == "conv" and n.groups > 1 and n.groups == self._channels[n.inputs[0]] == n.channels
            if same or depthwise:
                for src in n.inputs:
                    a, b = find(src), find(i)
                    owner[max(a, b)] = min(a, b)
        owns = [0] + [i for i, n in enumerate(self.nodes, start=1) if n.op == "conv" and n.channels is not None]
        groups: dict[int, list[int]] = {}
        for i in owns:
            groups.setdefault(find(i), []).append(i)
        return tuple(tuple(g) for g in groups.values() if len(g) > 1)

    def weights_per_channel(self, node: int) -> tuple[int, int]:
        """Weights a ``"conv"`` node has per input channel and per output channel (0, 0 for the others).

        A convolution with ``k`` window positions, ``C_in`` inputs, ``C_out`` outputs and ``g``
        groups has ``k C_in C_out / g`` weights: ``k C_out / g`` per input channel, ``k C_in / g``
        per output channel (the parameter cost a width change moves).
        """
        n = self.nodes[integer(node, "node", minimum=1, maximum=len(self.nodes)) - 1]
        if n.op != "conv" or n.channels is None:
            return (0, 0)
        k = 1
        for v in n.kernel:  # type: ignore[union-attr]
            k *= v
        return (k * n.channels // n.groups, k * self._channels[n.inputs[0]] // n.groups)


def _check_node(node: GraphNode, i: int, grids: list[Coord], channels: list[int]) -> tuple[GraphNode, Coord, int]:
    """Validate ``nodes[i]`` against the nodes before it; return it normalised, its grid and its channels."""
    where = f"nodes[{i}]"
    choice(node.op, f"{where}.op", ["add", "concat", "conv"], error=ArchitectureError)
    if not isinstance(node.inputs, Sequence) or isinstance(node.inputs, str) or not node.inputs:
        raise ArchitectureError(f"{where}.inputs must be a non-empty tuple of node ids, got {node.inputs!r}")
    inputs = tuple(integer(s, f"{where}.inputs", minimum=0, maximum=i, error=ArchitectureError) for s in node.inputs)
    label = node.label if isinstance(node.label, str) else str(node.label)
    if node.op == "conv":
        return _check_conv(node, i, inputs, grids, channels, label)
    if len(inputs) < 2:
        raise ArchitectureError(f"{where} ({node.op}) needs two or more inputs, got {len(inputs)}")
    shapes = {grids[s] for s in inputs}
    if len(shapes) > 1:
        raise ArchitectureError(f"{where} ({node.op}) joins nodes on different grids {sorted(shapes)}")
    if node.op == "add":
        widths = {channels[s] for s in inputs}
        if len(widths) > 1:
            raise ArchitectureError(f"{where} (add) sums nodes with different channel counts {sorted(widths)}")
        width = channels[inputs[0]]
    else:
        width = sum(channels[s] for s in inputs)
    return GraphNode(node.op, inputs, label=label), grids[inputs[0]], width


def _check_conv(
    node: GraphNode, i: int, inputs: tuple[int, ...], grids: list[Coord], channels: list[int], label: str
) -> tuple[GraphNode, Coord, int]:
    where = f"nodes[{i}]"
    if len(inputs) != 1:
        raise ArchitectureError(f"{where} (conv) reads exactly one node, got {len(inputs)}")
    below = grids[inputs[0]]
    ndim = len(below)
    c_in = channels[inputs[0]]
    out_c = node.channels
    if out_c is not None:
        out_c = integer(out_c, f"{where}.channels", minimum=1, error=ArchitectureError)
    groups = integer(node.groups, f"{where}.groups", minimum=1, error=ArchitectureError)
    if groups > 1 and (out_c is None or c_in % groups or out_c % groups):
        raise ArchitectureError(
            f"{where} has groups={groups}, which must divide its {c_in} input and {out_c} output channels "
            "(a pooling, channels=None, has groups=1)"
        )
    kernel, stride, padding, dilation = (
        _pair(node.kernel, f"{where}.kernel", ndim, 1),
        _pair(node.stride, f"{where}.stride", ndim, 1),
        _pair(node.padding, f"{where}.padding", ndim, 0),
        _pair(node.dilation, f"{where}.dilation", ndim, 1),
    )
    out = []
    for axis in range(ndim):
        k, s, p, d = kernel[axis], stride[axis], padding[axis], dilation[axis]
        span = d * (k - 1) + 1
        if p >= span:
            raise ArchitectureError(
                f"{where} pads {p} on axis {axis}, which must be less than the kernel's span {span}"
            )
        size = (below[axis] + 2 * p - span) // s + 1
        if size < 1:
            raise ArchitectureError(
                f"{where}'s kernel spans {span} positions on axis {axis}, more than the padded grid "
                f"{below[axis] + 2 * p} it is applied to"
            )
        out.append(size)
    norm = GraphNode("conv", inputs, out_c, kernel, stride, padding, dilation, groups, label)
    return norm, tuple(out), c_in if out_c is None else out_c


def _as_graph(spec: Any) -> GraphArchitecture:
    """Return the graph of any spec kind that has one (general specs and graphs; trees through ``to_general``)."""
    if isinstance(spec, GraphArchitecture):
        return spec
    if isinstance(spec, GeneralArchitecture):
        return GraphArchitecture.from_general(spec)
    to_general = getattr(spec, "to_general", None)
    if to_general is not None:
        return GraphArchitecture.from_general(to_general())
    raise ArchitectureError(f"expected a GraphArchitecture, GeneralArchitecture or Architecture, got {spec!r}")
