"""Mapping a traced chain of torch layers to the general ConvAC with the same geometry.

The mapping (§6 of the notes; the paper's ReLU ConvNet and its ConvAC twin): the first
convolution is the representation layer (``M = out_channels``, its output grid = the input
positions); every later convolution becomes ``ConvStep(out_channels, kernel, stride, padding,
dilation)``; every pooling ``ConvStep(None, ...)`` over the same windows; the Linear layers after
the flatten form the head (see :func:`convac.fx.module_architecture`); activations, batch norm,
dropout, scalar arithmetic and shape-keeping reshapes act position by position and map to nothing.

Examples
--------
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv1d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv1d(3, 4, 1), nn.MaxPool1d(2),
...                     nn.Conv1d(4, 2, 1), nn.MaxPool1d(4), nn.Flatten(), nn.Linear(2, 5))
>>> spec, labels = module_architecture(net, (1, 8))
>>> spec.grid, spec.n_features, spec.channels, spec.n_outputs
((8,), 3, (3, 4, 4, 2, 2), 5)
>>> labels
('0', '2', '3', '4', '5')
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from convac._validation import instance, integer
from convac.errors import ArchitectureError, ConvacTypeError, InputError, InternalError
from convac.fx._tables import LayerTables, layer_tables
from convac.fx._tracing import fx_name, node_shape, propagate_shapes, refuse, trace
from convac.spec import ConvStep, GeneralArchitecture, GraphArchitecture, GraphNode

__all__ = ["module_architecture", "module_graph"]


def _tuple(value: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * ndim
    out = tuple(int(v) for v in value)
    return out if len(out) == ndim else out * ndim if len(out) == 1 else out


def _bind(node: Any, names: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    """Arguments of a functional call by name (``names`` after the input tensor)."""
    bound = dict(defaults)
    bound.update(zip(names, node.args[1:], strict=False))
    bound.update(node.kwargs)
    return bound


@dataclass
class _Walk:
    """The graph read so far: the representation conv, the layer nodes after it, the flatten and the Linear layers.

    ``cur`` is the graph node the fx node being mapped reads (None: the input, before the
    representation conv); ``made`` the graph node it produces (``cur`` for an element-wise layer).
    """

    ndim: int
    gm: Any
    rep: tuple[int, str] | None = None  # (M, label) of the representation conv
    rep_grid: tuple[int, ...] = ()  # its output grid: the input positions of the ConvAC
    nodes: list[GraphNode] = field(default_factory=list)
    grids: list[tuple[int, ...]] = field(default_factory=list)  # per graph node (0 = the input layer)
    widths: list[int] = field(default_factory=list)
    cur: int | None = None
    made: int | None = None
    flat: str | None = None  # label of the flatten, once the grid is flattened
    flat_src: int = 0  # the graph node the flatten reads
    linears: list[tuple[int, str]] = field(default_factory=list)

    @property
    def grid(self) -> tuple[int, ...]:
        return self.grids[self.cur or 0]

    @property
    def channels(self) -> int:
        return self.widths[self.cur or 0]

    def set_rep(self, channels: int, label: str, grid: tuple[int, ...]) -> None:
        self.rep, self.rep_grid = (channels, label), grid
        self.grids, self.widths, self.made = [grid], [channels], 0

    def append(self, node: GraphNode, grid: tuple[int, ...], width: int) -> None:
        self.nodes.append(node)
        self.grids.append(grid)
        self.widths.append(width)
        self.made = len(self.nodes)

    def add_step(self, step: ConvStep, label: str, where: str, out_shape: tuple[int, ...], groups: int = 1) -> None:
        if self.rep is None:
            raise InternalError("a step was mapped before the representation convolution; please report this")
        k, s, p, d = (_tuple(v, self.ndim) for v in (step.kernel, step.stride, step.padding, step.dilation))
        expect = []
        for axis in range(self.ndim):
            span = d[axis] * (k[axis] - 1) + 1
            if p[axis] >= span:
                raise refuse(where, f"its padding {p[axis]} is not smaller than its kernel's span {span}")
            expect.append((self.grid[axis] + 2 * p[axis] - span) // s[axis] + 1)
        got = tuple(out_shape[2:])
        if tuple(expect) != got:
            raise refuse(
                where,
                f"its windows give a {'x'.join(map(str, expect))} grid but it returns {'x'.join(map(str, got))} "
                "(ceil_mode or uneven padding)",
            )
        width = self.channels if step.channels is None else step.channels
        self.append(GraphNode.conv(self.cur or 0, step.channels, k, s, p, d, groups, label), got, width)


def module_architecture(
    module: Any, input_shape: Sequence[int]
) -> tuple[GeneralArchitecture | GraphArchitecture, tuple[str, ...]]:
    """Return the ConvAC analogue of a PyTorch CNN, and the torch layer behind each of its layers.

    ``input_shape`` is one sample's shape: ``(channels, length)`` for a 1D network,
    ``(channels, height, width)`` for a 2D one. A chain of layers gives a
    :class:`~convac.spec.GeneralArchitecture` (the mapping is in the module docstring) and a
    label per layer: ``labels[0]`` names the representation convolution (layer "input" of the
    analysis), ``labels[i + 1]`` the torch layer(s) behind step ``i``. A network with residual
    additions, concatenations or grouped convolutions gives its
    :class:`~convac.spec.GraphArchitecture` (:func:`module_graph`) and the label of every node.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    ...                     nn.Conv2d(4, 8, 3), nn.Flatten(), nn.Linear(8, 6), nn.Linear(6, 3))
    >>> spec, labels = module_architecture(net, (1, 6, 6))
    >>> [(s.channels, s.kernel, s.stride) for s in spec.steps], spec.n_outputs
    ([(None, (2, 2), (2, 2)), (8, (3, 3), (1, 1)), (6, (1, 1), (1, 1))], 3)
    >>> labels  # the input, then one label per step ("4+5": the flatten and the first Linear)
    ('0', '2', '3', '4+5')
    """
    graph = module_graph(module, input_shape)
    if graph.is_chain:
        return graph.to_general(), graph.labels
    return graph, graph.labels


def module_graph(module: Any, input_shape: Sequence[int]) -> GraphArchitecture:
    """Return the ConvAC analogue of a PyTorch CNN as a compact :class:`~convac.spec.GraphArchitecture`.

    As :func:`module_architecture`, for any network: a residual addition (``+``, ``+=``,
    ``torch.add``) becomes an ``"add"`` node, ``torch.cat`` on the channel axis a ``"concat"``
    node, a grouped or depthwise convolution a ``"conv"`` node with its ``groups``; node labels
    name the torch layers. Branches that do not reach the output are left out.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> class Block(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.stem, self.conv = nn.Conv1d(1, 4, 1), nn.Conv1d(4, 4, 3, padding=1, groups=4)
    ...         self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 2))
    ...     def forward(self, x):
    ...         h = self.stem(x)
    ...         return self.head(torch.relu(self.conv(h)) + h)
    >>> g = module_graph(Block(), (1, 8))
    >>> [(n.op, n.inputs, n.groups, n.label) for n in g.nodes]  # the Linear is the output layer
    [('conv', (0,), 4, 'conv'), ('add', (1, 0), 1, 'add'), ('conv', (2,), 1, 'head.0')]
    >>> g.labels[0], g.tie_groups
    ('stem', ((0, 1),))
    """
    from torch import nn

    instance(module, "module", nn.Module, "a torch.nn.Module")
    shape = _input_shape(input_shape)
    batch_shape = (2, *shape)  # two samples: batch norm and flatten checks see a real batch axis
    gm = trace(module, batch_shape)
    propagate_shapes(gm, module, batch_shape)
    walk = _walk(gm, len(shape) - 1)
    if walk.rep is None:
        raise InternalError("the walk ended without its representation convolution; please report this")
    n_outputs, top = _with_head(walk)
    nodes, input_label = _reachable(walk, top)
    if not nodes:
        raise refuse(
            f"{type(module).__name__}",
            "it has no layer after the representation convolution; a ConvAC needs at least one pooling step",
        )
    try:
        return GraphArchitecture(walk.rep_grid, walk.rep[0], tuple(nodes), n_outputs, input_label)
    except ArchitectureError as exc:
        raise InputError(f"the ConvAC analogue of {type(module).__name__} is not valid: {exc}") from None


def _reachable(walk: _Walk, top: int) -> tuple[list[GraphNode], str]:
    """Return the nodes the top depends on, renumbered in order (dead branches left out), and the input's label."""
    if walk.rep is None:
        raise InternalError("the walk ended without its representation convolution; please report this")
    keep = {top}
    for i in range(top, 0, -1):
        if i in keep:
            keep.update(walk.nodes[i - 1].inputs)
    new_id = {old: new for new, old in enumerate(sorted(keep | {0}))}
    out = []
    for i in sorted(keep - {0}):
        n = walk.nodes[i - 1]
        out.append(replace(n, inputs=tuple(new_id[s] for s in n.inputs)))
    return out, walk.rep[1]


def _with_head(walk: _Walk) -> tuple[int, int]:
    """Append the head (the Linear layers after the flatten) to the graph; return the outputs and the top node."""
    linears = walk.linears
    src = walk.flat_src
    if linears:
        *hidden, (n_outputs, _) = linears
    else:
        hidden, n_outputs = [], walk.widths[src] or 1
    full = tuple(walk.grids[src])
    ones = (1,) * walk.ndim
    walk.made = src
    if hidden:
        first, label = hidden[0]
        walk.append(GraphNode.conv(src, first, full, full, label=f"{walk.flat}+{label}"), ones, first)
        for c, lab in hidden[1:]:
            walk.append(GraphNode.conv(len(walk.nodes), c, ones, label=lab), ones, c)
    elif math.prod(full) > 1:  # the output layer alone reads a grid: a map per position, a product over it
        label = f"{walk.flat}+{linears[-1][1]}" if linears else str(walk.flat)
        walk.append(GraphNode.conv(src, n_outputs, full, full, label=label), ones, n_outputs)
    return n_outputs, walk.made or 0


def _input_shape(input_shape: Any) -> tuple[int, ...]:
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Iterable):
        raise ConvacTypeError(
            f"input_shape must be (channels, length) or (channels, height, width), got {input_shape!r}"
        )
    shape = tuple(input_shape)
    if len(shape) not in (2, 3):
        raise InputError(
            f"input_shape must be one sample's (channels, length) or (channels, height, width), got {shape!r}"
        )
    return tuple(integer(v, "input_shape", minimum=1) for v in shape)


def _walk(gm: Any, ndim: int) -> _Walk:
    t = layer_tables()
    walk = _Walk(ndim, gm)
    ids: dict[Any, int | None] = {}
    head: Any = None  # after the flatten: the last layer of the (chain) head
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if ids:
                raise refuse(f"input '{node.name}'", "the forward takes more than one tensor")
            ids[node] = None
            continue
        if node.op == "get_attr":
            continue
        where = fx_name(node, gm)
        if node.op == "output":
            _check_output(node, head, walk)
            break
        inputs = [n for n in node.all_input_nodes if n in ids]
        if not inputs:  # built from parameters or constants only
            continue
        out_shape = node_shape(node)
        tensors = [n for n in dict.fromkeys(inputs) if node_shape(n) is not None]
        if out_shape is None:
            ids[node] = None if not tensors else ids[tensors[0]]
            _check_auxiliary(node, where)
            continue
        if walk.flat is not None:
            if len(tensors) != 1 or tensors[0] is not head:
                raise refuse(where, "after the flatten the layers must form one chain (a second branch or skip)")
        elif len(tensors) > 1:
            ids[node] = _map_join(node, where, [ids[n] for n in tensors], [node_shape(n) for n in tensors], walk, t)
            continue
        if not tensors:
            raise refuse(where, "it returns a tensor that depends on the input only through non-tensor values")
        walk.cur = walk.made = ids[tensors[0]]
        if walk.cur is None and walk.rep is not None:
            raise refuse(where, "it reads the input a second time, beside the representation convolution")
        _map_node(node, where, node_shape(tensors[0]) or (), out_shape, walk, t)
        ids[node] = walk.made
        if walk.flat is not None:
            head = node
    return walk


def _check_output(node: Any, head: Any, walk: _Walk) -> None:
    out = node.args[0]
    if walk.rep is None:
        raise refuse("the module", "it has no convolution (the first one is the representation layer)")
    if walk.flat is None:
        raise refuse("the module's output", "it must be flattened to (batch, n_outputs) scores")
    if out is not head:
        raise refuse("the module's output", "it must return one (batch, n_outputs) tensor")


def _map_join(node: Any, where: str, srcs: list[int | None], shapes: list[Any], walk: _Walk, t: LayerTables) -> int:
    """Map a residual addition or a channel concatenation of several graph nodes; return the new node's id."""
    join = t.joins.get(node.target) if node.op == "call_function" else None
    if node.op == "call_method" and node.target in ("add", "add_"):
        join = "a residual addition"
    if join is None or join == "a stack of branches":
        raise refuse(where, f"it is {join or 'a layer'} combining two branches (only sums and channel concatenations)")
    if any(s is None for s in srcs):
        raise refuse(where, f"it is {join} of the input itself, before the representation convolution")
    out_shape = node_shape(node) or ()
    ids = tuple(s for s in srcs if s is not None)
    if join == "a residual addition":
        if any(sh != out_shape for sh in shapes) or node.kwargs.get("alpha", 1) == 0:
            raise refuse(where, f"it adds tensors of shapes {shapes} (a residual addition needs equal shapes)")
        walk.append(GraphNode.add(*ids, label=_label(node)), tuple(out_shape[2:]), int(out_shape[1]))
        return len(walk.nodes)
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    if dim not in (1, -(walk.ndim + 1)):
        raise refuse(where, f"it concatenates along dim={dim}; only the channel axis (dim=1) is supported")
    walk.append(GraphNode.concat(*ids, label=_label(node)), tuple(out_shape[2:]), int(out_shape[1]))
    return len(walk.nodes)


def _label(node: Any) -> str:
    return str(node.target) if node.op == "call_module" else node.name


def _check_auxiliary(node: Any, where: str) -> None:
    """Non-tensor values computed from the input (``x.size(0)``) may only feed reshapes."""
    ok_methods = {"size", "dim"}
    ok_functions = {getattr, operator.getitem, operator.mul, operator.floordiv, len}
    if (node.op == "call_method" and node.target in ok_methods) or (
        node.op == "call_function" and node.target in ok_functions
    ):
        return
    raise refuse(where, "it returns something other than one tensor")


def _map_node(
    node: Any, where: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...], walk: _Walk, t: LayerTables
) -> None:
    op, target = node.op, node.target
    sub = walk.gm.get_submodule(target) if op == "call_module" else None
    kind = type(sub) if sub is not None else None
    label = str(target) if op == "call_module" else node.name

    def is_pointwise() -> bool:
        if sub is not None:
            return isinstance(sub, t.pointwise_modules)
        if op == "call_method":
            return target in t.pointwise_methods or target in t.arithmetic_methods
        return target in t.pointwise_functions or target in t.arithmetic

    if out_shape == in_shape and is_pointwise():
        return
    if out_shape == in_shape and (
        (op == "call_method" and target in t.flatten_methods)
        or (op == "call_function" and target in t.flatten_functions)
        or isinstance(sub, t.flatten_module)
    ):
        return  # a reshape to the shape it already has
    conv_dim = t.conv_modules.get(type(sub)) if sub is not None else None
    if conv_dim is None and op == "call_function":
        conv_dim = t.conv_functions.get(target)
    if conv_dim is not None:
        _map_conv(node, where, sub, conv_dim, out_shape, walk)
        return
    if walk.rep is None:
        raise refuse(
            where,
            "only element-wise layers may come before the first convolution, which is the representation layer",
        )
    if _is_pool(node, sub, kind, t):
        _map_pool(node, where, sub, kind, in_shape, out_shape, walk, t)
        return
    if _map_head(node, where, sub, label, in_shape, out_shape, walk, t):
        return
    if is_pointwise():
        raise refuse(where, f"it changes the shape {in_shape} to {out_shape}")
    raise refuse(where, "this layer is not supported")


def _map_head(
    node: Any,
    where: str,
    sub: Any,
    label: str,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    walk: _Walk,
    t: LayerTables,
) -> bool:
    """Flatten, Linear and a final softmax; False when ``node`` is none of them."""
    op, target = node.op, node.target
    is_flatten = (
        isinstance(sub, t.flatten_module)
        or (op == "call_method" and target in t.flatten_methods)
        or (op == "call_function" and target in t.flatten_functions)
    )
    if is_flatten:
        flat = (in_shape[0], math.prod(in_shape[1:]))
        if walk.flat is not None or len(in_shape) != walk.ndim + 2 or out_shape != flat:
            raise refuse(where, f"it reshapes {in_shape} to {out_shape}; only a flatten to (batch, -1) is supported")
        walk.flat, walk.flat_src = label, walk.cur or 0
        return True
    if isinstance(sub, t.linear_module) or (op == "call_function" and target in t.linear_functions):
        if walk.flat is None:
            raise refuse(where, "a Linear layer before the flatten acts on the last grid axis only; flatten first")
        walk.linears.append((out_shape[-1], label))
        return True
    softmax = isinstance(sub, t.softmax_modules) or (
        (op == "call_function" and target in t.softmax) or (op == "call_method" and target in t.softmax_methods)
    )
    # a function of the score vector alone
    return bool(softmax and walk.flat is not None and walk.linears and len(out_shape) == 2)


def _map_conv(node: Any, where: str, sub: Any, conv_dim: int, out_shape: tuple[int, ...], walk: _Walk) -> None:
    ndim = walk.ndim
    if conv_dim != ndim:
        raise refuse(where, f"a {conv_dim}D convolution on a {ndim}D input")
    if walk.flat is not None:
        raise refuse(where, "a convolution after the flatten")
    if sub is not None:
        kernel, stride, padding = sub.kernel_size, sub.stride, sub.padding
        dilation, groups, mode = sub.dilation, sub.groups, sub.padding_mode
    else:
        args = _bind(node, ("weight", "bias", "stride", "padding", "dilation", "groups"), {})
        weight = node_shape(args["weight"]) if hasattr(args["weight"], "meta") else None
        if weight is None:
            raise refuse(where, "its weight is not a parameter of the module")
        kernel = weight[2:]
        stride, padding = args.get("stride", 1), args.get("padding", 0)
        dilation, groups, mode = args.get("dilation", 1), args.get("groups", 1), "zeros"
    if mode != "zeros":
        raise refuse(where, f"padding_mode={mode!r} wraps or mirrors the grid; only zero padding is supported")
    kernel, stride, dilation = _tuple(kernel, ndim), _tuple(stride, ndim), _tuple(dilation, ndim)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * ndim
        else:  # "same": total padding d (k - 1) per axis, split evenly only when it is even
            total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
            if any(v % 2 for v in total):
                raise refuse(where, "padding='same' with an even kernel span pads one side more than the other")
            padding = tuple(v // 2 for v in total)
    padding = _tuple(padding, ndim)
    channels = int(out_shape[1])
    if walk.rep is None:
        walk.set_rep(channels, _label(node), tuple(out_shape[2:]))
        return
    walk.add_step(ConvStep(channels, kernel, stride, padding, dilation), _label(node), where, out_shape, int(groups))


def _is_pool(node: Any, sub: Any, kind: Any, t: LayerTables) -> bool:
    if sub is not None:
        return kind in t.pool_modules or kind in t.adaptive_modules
    return node.op == "call_function" and (node.target in t.pool_functions or node.target in t.adaptive_functions)


def _map_pool(
    node: Any,
    where: str,
    sub: Any,
    kind: Any,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    walk: _Walk,
    t: LayerTables,
) -> None:
    ndim = walk.ndim
    pool_dim = (
        (t.pool_modules.get(kind) or t.adaptive_modules.get(kind))
        if sub is not None
        else (t.pool_functions[node.target][0] if node.target in t.pool_functions else None)
        or t.adaptive_functions.get(node.target)
    )
    if pool_dim != ndim:
        raise refuse(where, f"a {pool_dim}D pooling on a {ndim}D input")
    if walk.flat is not None:
        raise refuse(where, "a pooling layer after the flatten")
    label = str(node.target) if node.op == "call_module" else node.name
    adaptive = kind in t.adaptive_modules if sub is not None else node.target in t.adaptive_functions
    if adaptive:
        grid = in_shape[2:]
        kernel, stride = [], []
        for axis, (n, o) in enumerate(zip(grid, out_shape[2:], strict=True)):
            starts = [(i * n) // o for i in range(o)]
            ends = [-((-(i + 1) * n) // o) for i in range(o)]
            k, s = ends[0] - starts[0], (starts[1] - starts[0]) if o > 1 else n
            if any(e - b != k for b, e in zip(starts, ends, strict=True)) or any(
                b != i * s for i, b in enumerate(starts)
            ):
                raise refuse(
                    where,
                    f"adaptive pooling from {n} to {o} positions on axis {axis} uses windows of unequal size or "
                    "spacing; use an output size that divides the input size",
                )
            kernel.append(k)
            stride.append(s)
        if tuple(kernel) == (1,) * ndim:
            return  # output size = input size: every window is one position
        walk.add_step(ConvStep(None, tuple(kernel), tuple(stride)), label, where, out_shape)
        return
    if sub is not None:
        kernel, stride = sub.kernel_size, sub.stride
        padding, dilation = getattr(sub, "padding", 0), getattr(sub, "dilation", 1)
    else:
        names = t.pool_functions[node.target][1]
        args = _bind(node, names, {"stride": None, "padding": 0, "dilation": 1})
        kernel, stride, padding, dilation = args["kernel_size"], args["stride"], args["padding"], args["dilation"]
    if stride is None or stride == [] or stride == ():
        stride = kernel
    step = ConvStep(None, _tuple(kernel, ndim), _tuple(stride, ndim), _tuple(padding, ndim), _tuple(dilation, ndim))
    walk.add_step(step, label, where, out_shape)
