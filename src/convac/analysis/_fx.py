"""The min-cut profile of a PyTorch CNN: trace it with ``torch.fx`` and analyse its ConvAC analogue.

:func:`module_architecture` turns a traced chain of layers into a
:class:`~convac.general.GeneralArchitecture` with the same channel numbers, receptive fields
and pooling geometry; :func:`analyze_module` runs the scale-by-scale min-cut analysis on it.

**The mapping** (the one the paper uses between its ReLU ConvNet and its ConvAC twin, §6 of
the notes; Cohen & Shashua, ICML 2016, show that ReLU + max pooling is the generalized tensor
decomposition whose product-pooling analogue is the ConvAC):

* the **first convolution** is the representation layer: its ``out_channels`` are the ``M``
  representation features and its output grid is the grid of input positions (one patch,
  its receptive field, per output position). The paper's ReLU ConvNet starts with a 3x3, 10
  channel convolution and its ConvAC twin has ``M = 10`` features on the 64x64 grid;
* every **later convolution** becomes ``ConvStep(out_channels, kernel, stride, padding,
  dilation)``: a 1x1 linear map to ``out_channels`` at every position of its window and a
  product over the window, the generalized convolution of Sharir & Shashua (ICLR 2018). It
  keeps the layer's width and receptive field; a kernel wider than its stride re-uses
  activations and the tensor network is no longer a tree;
* every **pooling** layer (max, average, Lp, adaptive when its windows are uniform) becomes
  ``ConvStep(None, kernel, stride, padding, dilation)``: product pooling over the same windows,
  channels kept;
* **flatten + Linear**: the Linear layers after the flatten form the head. The last one maps
  to the ``n_outputs`` scores (the output layer of the ConvAC). Each earlier one becomes a step
  with ``out_features`` channels: the first over the whole remaining grid (a kernel that covers
  it), the others on the single position left (kernel 1). When the output layer is the only
  Linear and the grid has more than one position left, it also gives the step over the
  remaining grid (``ConvStep(n_outputs, kernel=grid)``); on a 1x1 grid, as in the paper's net,
  no step is needed;
* **activations, batch norm, dropout**, scalar arithmetic and reshapes that keep the shape act
  position by position (element-wise or affine per channel), so they change no channel number,
  no receptive field and no window: they map to nothing. (ReLU and max pooling are the CNN's
  non-linearity; product pooling is the ConvAC's.)

Residual additions, concatenations, grouped convolutions and any other layer are refused with
a one-line error naming the layer (its fx node, module name and type) and listing what is
supported, since a graph of branches has no chain-of-steps ConvAC analogue here.

**The analysis**: when the spec is a tree (every window equals its stride, no padding, the
windows tile each grid exactly, every pooling follows a 1x1 convolution) it is converted to the
equivalent :class:`~convac.Architecture` (:func:`tree_twin`: a 1x1 convolution followed by a
pooling step is one hidden layer) and :func:`convac.analyze` is returned as is: for the paper's
ReLU ConvNet this is the analysis of its ConvAC twin. Other specs (overlapping kernels, as in
LeNet or VGG) need the exact min-cut of the general graph with copy nodes, ``convac.general.min_cut``, at the same probe
partitions; their rows have no lower bound and no generic rank (``None``).

Examples
--------
>>> import torch
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

import inspect
import math
import operator
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from convac._validation import instance, integer
from convac.analysis._analyze import Analysis, ScaleResult, analyze
from convac.analysis._scales import scales
from convac.architecture import Architecture
from convac.errors import ArchitectureError, ConvacError, ConvacTypeError, InputError
from convac.general import ConvStep, GeneralArchitecture

__all__ = [
    "SUPPORTED_LAYERS",
    "analyze_general",
    "analyze_module",
    "load_module",
    "module_architecture",
    "pooling_twin",
    "tree_twin",
]

#: What :func:`module_architecture` accepts, as the errors list it.
SUPPORTED_LAYERS = (
    "Conv1d/Conv2d (groups=1; any kernel, stride, padding incl. 'same'/'valid', dilation), "
    "Max/Avg/LP pooling 1d/2d, AdaptiveAvg/MaxPool with uniform windows, activations (ReLU, GELU, Tanh, Sigmoid, "
    "LeakyReLU, ...), BatchNorm1d/2d, Dropout, Flatten/flatten/view/reshape to (batch, -1), Linear, "
    "and their functional forms, in one chain without branches"
)


class _Refused(InputError):
    """A layer :func:`module_architecture` cannot map (one line, names the layer)."""


def _refuse(where: str, why: str) -> _Refused:
    return _Refused(f"analyze_module cannot map {where}: {why}; supported: {SUPPORTED_LAYERS}")


# ------------------------------------------------------------------ tracing
def _trace(module: Any, batch_shape: tuple[int, ...]) -> Any:
    """``torch.fx.symbolic_trace``; for a forward that branches on its input's shape, the meta tracer."""
    import torch
    import torch.fx

    try:
        return torch.fx.symbolic_trace(module)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # A forward like ReLUConvNet's checks x.dim() / x.shape: the meta tracer knows the shapes.
    params = [
        p
        for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(params) == 1:
        from torch.fx.experimental.meta_tracer import symbolic_trace as meta_trace

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return meta_trace(module, meta_args={params[0].name: torch.empty(batch_shape, device="meta")})
        except Exception:
            pass
    raise InputError(
        f"torch.fx could not trace {type(module).__name__} ({first}); analyze_module needs a forward with one "
        "tensor input whose control flow does not depend on tensor values"
    )


def _propagate_shapes(gm: Any, module: Any, batch_shape: tuple[int, ...]) -> None:
    """Record every tensor node's output shape (``node.meta['convac_shape']``) from one forward pass."""
    import torch
    from torch.fx import Interpreter

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        names = ", ".join(n.name for n in placeholders)
        raise _refuse(f"the inputs ({names}) of {type(module).__name__}", "the forward must take one tensor")

    class _Shapes(Interpreter):
        failure: str | None = None

        def run_node(self, n: Any) -> Any:
            try:
                result = super().run_node(n)
            except Exception as exc:
                if self.failure is None:  # the innermost node's complaint, before fx appends its own context
                    self.failure = f"{_fx_name(n, gm)} fails ({_first_line(exc, with_type=False)})"
                raise
            if isinstance(result, torch.Tensor):
                n.meta["convac_shape"] = tuple(int(v) for v in result.shape)
            return result

    # eval: batch norm must not update the caller's running statistics, dropout must not drop.
    modes = [(m, m.training) for m in (*module.modules(), *gm.modules())]
    module.eval()
    gm.eval()
    shapes = _Shapes(gm)
    try:
        with torch.no_grad():
            shapes.run(torch.zeros(batch_shape))
    except Exception as exc:
        shape = ", ".join(map(str, batch_shape[1:]))
        raise InputError(
            f"{type(module).__name__} does not run on inputs of shape (batch, {shape}): "
            f"{shapes.failure or str(exc).splitlines()[0]}"
        ) from None
    finally:
        for m, mode in modes:
            m.train(mode)


# ------------------------------------------------------------------ the layer tables
def _tables() -> dict[str, Any]:
    import torch
    import torch.nn.functional as F
    from torch import nn

    pointwise_modules = (
        nn.ReLU,
        nn.ReLU6,
        nn.LeakyReLU,
        nn.PReLU,
        nn.RReLU,
        nn.ELU,
        nn.SELU,
        nn.CELU,
        nn.GELU,
        nn.SiLU,
        nn.Mish,
        nn.Tanh,
        nn.Sigmoid,
        nn.Hardtanh,
        nn.Hardswish,
        nn.Hardsigmoid,
        nn.Hardshrink,
        nn.Softshrink,
        nn.Softplus,
        nn.Softsign,
        nn.Tanhshrink,
        nn.LogSigmoid,
        nn.Threshold,
        nn.Identity,
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.Dropout,
        nn.Dropout1d,
        nn.Dropout2d,
        nn.AlphaDropout,
        nn.FeatureAlphaDropout,
    )
    pointwise_functions = {
        torch.relu,
        torch.relu_,
        F.relu,
        F.relu_,
        F.relu6,
        F.leaky_relu,
        F.prelu,
        F.rrelu,
        F.elu,
        F.selu,
        F.celu,
        F.gelu,
        F.silu,
        F.mish,
        torch.tanh,
        torch.sigmoid,
        F.tanh,
        F.sigmoid,
        F.hardtanh,
        F.hardswish,
        F.hardsigmoid,
        F.softplus,
        F.softsign,
        F.logsigmoid,
        F.threshold,
        torch.clamp,
        torch.abs,
        torch.exp,
        F.dropout,
        F.dropout1d,
        F.dropout2d,
        F.alpha_dropout,
        F.feature_alpha_dropout,
        F.batch_norm,
    }
    pointwise_methods = {
        "relu",
        "relu_",
        "tanh",
        "tanh_",
        "sigmoid",
        "sigmoid_",
        "clamp",
        "clamp_",
        "clamp_min",
        "clamp_min_",
        "clamp_max",
        "abs",
        "exp",
        "contiguous",
        "float",
        "double",
        "detach",
    }
    # Arithmetic with a constant (a number or a parameter) acts position by position too.
    arithmetic = {
        operator.add,
        operator.iadd,
        operator.sub,
        operator.isub,
        operator.mul,
        operator.imul,
        operator.truediv,
        operator.itruediv,
        operator.neg,
        torch.add,
        torch.sub,
        torch.mul,
        torch.div,
        torch.neg,
    }
    arithmetic_methods = {"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "neg"}
    conv_modules = {nn.Conv1d: 1, nn.Conv2d: 2}
    conv_functions = {F.conv1d: 1, F.conv2d: 2, torch.conv1d: 1, torch.conv2d: 2}
    pool_modules = {
        nn.MaxPool1d: 1,
        nn.MaxPool2d: 2,
        nn.AvgPool1d: 1,
        nn.AvgPool2d: 2,
        nn.LPPool1d: 1,
        nn.LPPool2d: 2,
    }
    pool_functions = {
        F.max_pool1d: (1, ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")),
        F.max_pool2d: (2, ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")),
        torch.max_pool1d: (1, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
        torch.max_pool2d: (2, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
        F.avg_pool1d: (1, ("kernel_size", "stride", "padding", "ceil_mode")),
        F.avg_pool2d: (2, ("kernel_size", "stride", "padding", "ceil_mode")),
        torch.avg_pool1d: (1, ("kernel_size", "stride", "padding", "ceil_mode")),
        F.lp_pool1d: (1, ("norm_type", "kernel_size", "stride", "ceil_mode")),
        F.lp_pool2d: (2, ("norm_type", "kernel_size", "stride", "ceil_mode")),
    }
    adaptive_modules = {
        nn.AdaptiveAvgPool1d: 1,
        nn.AdaptiveAvgPool2d: 2,
        nn.AdaptiveMaxPool1d: 1,
        nn.AdaptiveMaxPool2d: 2,
    }
    adaptive_functions = {
        F.adaptive_avg_pool1d: 1,
        F.adaptive_avg_pool2d: 2,
        F.adaptive_max_pool1d: 1,
        F.adaptive_max_pool2d: 2,
        torch.adaptive_avg_pool1d: 1,
    }
    flatten_functions = {torch.flatten, torch.reshape, torch.squeeze}
    flatten_module = nn.Flatten
    linear_module = nn.Linear
    linear_functions = {F.linear}
    softmax_modules = (nn.Softmax, nn.LogSoftmax)
    flatten_methods = {"flatten", "view", "reshape", "squeeze"}
    softmax = {F.softmax, F.log_softmax, torch.softmax, torch.log_softmax}
    softmax_methods = {"softmax", "log_softmax"}
    joins = {
        operator.add: "a residual addition",
        operator.iadd: "a residual addition",
        torch.add: "a residual addition",
        torch.cat: "a concatenation",
        torch.concat: "a concatenation",
        torch.stack: "a stack of branches",
    }
    return {k: v for k, v in locals().items() if k not in ("torch", "F", "nn")}


# ------------------------------------------------------------------ walking the chain
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


def _fx_name(node: Any, gm: Any) -> str:
    if node.op == "call_module":
        kind = type(gm.get_submodule(node.target)).__name__
        same = node.name.lstrip("_") == str(node.target).replace(".", "_").lstrip("_")
        return f"{node.target} ({kind}{'' if same else f', fx node {node.name!r}'})"
    target = node.target
    what = target if isinstance(target, str) else getattr(target, "__name__", repr(target))
    kind = "method" if node.op == "call_method" else "function"
    return f"fx node '{node.name}' ({kind} {what})"


def _shape(node: Any) -> tuple[int, ...] | None:
    return node.meta.get("convac_shape") if hasattr(node, "meta") else None


@dataclass
class _Walk:
    ndim: int
    gm: Any
    rep: tuple[int, str] | None = None  # (M, label) of the representation conv
    rep_grid: tuple[int, ...] | None = None  # its output grid: the input positions of the ConvAC
    grid: tuple[int, ...] | None = None
    channels: int | None = None
    steps: list[tuple[ConvStep, str]] | None = None
    flat: str | None = None  # label of the flatten, once the grid is flattened
    linears: list[tuple[int, str]] | None = None

    def __post_init__(self) -> None:
        self.steps, self.linears = [], []

    def add_step(self, step: ConvStep, label: str, where: str, out_shape: tuple[int, ...]) -> None:
        assert self.grid is not None and self.steps is not None
        k, s, p, d = (_tuple(v, self.ndim) for v in (step.kernel, step.stride, step.padding, step.dilation))
        expect = []
        for axis in range(self.ndim):
            span = d[axis] * (k[axis] - 1) + 1
            if p[axis] >= span:
                raise _refuse(where, f"its padding {p[axis]} is not smaller than its kernel's span {span}")
            expect.append((self.grid[axis] + 2 * p[axis] - span) // s[axis] + 1)
        got = tuple(out_shape[2:])
        if tuple(expect) != got:
            raise _refuse(
                where,
                f"its windows give a {'x'.join(map(str, expect))} grid but it returns {'x'.join(map(str, got))} "
                "(ceil_mode or uneven padding)",
            )
        self.steps.append((ConvStep(step.channels, k, s, p, d), label))
        self.grid = got
        if step.channels is not None:
            self.channels = step.channels


def module_architecture(module: Any, input_shape: Sequence[int]) -> tuple[GeneralArchitecture, tuple[str, ...]]:
    """Return the ConvAC analogue of a PyTorch CNN, and the torch layer behind each of its layers.

    ``input_shape`` is one sample's shape: ``(channels, length)`` for a 1D network,
    ``(channels, height, width)`` for a 2D one. Returns the
    :class:`~convac.general.GeneralArchitecture` (the mapping is in the module docstring) and a
    label per layer: ``labels[0]`` names the representation convolution (layer "input" of the
    analysis), ``labels[i + 1]`` the torch layer(s) behind step ``i``.

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
    try:
        from torch import nn
    except ImportError as exc:  # pragma: no cover - torch is a core dependency
        raise ConvacError("analyze_module needs torch") from exc
    instance(module, "module", nn.Module, "a torch.nn.Module")
    shape = _input_shape(input_shape)
    ndim = len(shape) - 1
    batch_shape = (2, *shape)  # two samples: batch norm and flatten checks see a real batch axis
    gm = _trace(module, batch_shape)
    _propagate_shapes(gm, module, batch_shape)
    walk = _walk(gm, ndim)
    assert walk.rep is not None and walk.steps is not None and walk.linears is not None
    assert walk.grid is not None and walk.rep_grid is not None
    steps, linears = list(walk.steps), walk.linears
    labels = [walk.rep[1]]
    if linears:
        *hidden, (n_outputs, _) = linears
    else:
        hidden, n_outputs = [], walk.channels or 1
    full = tuple(walk.grid)
    if hidden:
        first, label = hidden[0]
        steps.append((ConvStep(first, full, full), f"{walk.flat}+{label}"))
        steps += [(ConvStep(c, (1,) * ndim), lab) for c, lab in hidden[1:]]
    elif math.prod(full) > 1:  # the output layer alone reads a grid: a map per position, a product over it
        steps.append((ConvStep(n_outputs, full, full), f"{walk.flat}+{linears[-1][1]}" if linears else str(walk.flat)))
    if not steps:
        raise _refuse(
            f"{type(module).__name__}",
            "it has no layer after the representation convolution; a ConvAC needs at least one pooling step",
        )
    try:
        spec = GeneralArchitecture(walk.rep_grid, walk.rep[0], tuple(s for s, _ in steps), n_outputs)
    except ArchitectureError as exc:
        raise InputError(f"the ConvAC analogue of {type(module).__name__} is not valid: {exc}") from None
    labels += [lab for _, lab in steps]
    return spec, tuple(labels)


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
    t = _tables()
    walk = _Walk(ndim, gm)
    derived: set[Any] = set()
    head: Any = None
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if head is not None:
                raise _refuse(f"input '{node.name}'", "the forward takes more than one tensor")
            head = node
            derived.add(node)
            continue
        if node.op == "get_attr":
            continue
        where = _fx_name(node, gm)
        if node.op == "output":
            out = node.args[0]
            if out is not head:
                raise _refuse("the module's output", "it must return one (batch, n_outputs) tensor")
            if walk.rep is None:
                raise _refuse("the module", "it has no convolution (the first one is the representation layer)")
            if walk.flat is None:
                raise _refuse("the module's output", "it must be flattened to (batch, n_outputs) scores")
            break
        inputs = [n for n in node.all_input_nodes if n in derived]
        if not inputs:  # built from parameters or constants only
            continue
        derived.add(node)
        out_shape = _shape(node)
        tensors = [n for n in dict.fromkeys(inputs) if _shape(n) is not None]
        if out_shape is None:
            _check_auxiliary(node, where)
            continue
        if len(tensors) > 1:
            join = t["joins"].get(node.target) if node.op == "call_function" else None
            raise _refuse(where, f"it is {join or 'a layer'} combining two branches (a graph, not a chain of layers)")
        if not tensors or tensors[0] is not head:
            raise _refuse(
                where,
                "it reads a tensor another layer already consumed (a second branch or skip connection)",
            )
        _map_node(node, where, _shape(head) or (), out_shape, walk, t)
        head = node
    return walk


def _check_auxiliary(node: Any, where: str) -> None:
    """Non-tensor values computed from the input (``x.size(0)``) may only feed reshapes."""
    ok_methods = {"size", "dim"}
    ok_functions = {getattr, operator.getitem, operator.mul, operator.floordiv, len}
    if (node.op == "call_method" and node.target in ok_methods) or (
        node.op == "call_function" and node.target in ok_functions
    ):
        return
    raise _refuse(where, "it returns something other than one tensor")


def _map_node(
    node: Any, where: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...], walk: _Walk, t: dict[str, Any]
) -> None:
    op, target = node.op, node.target
    sub = walk.gm.get_submodule(target) if op == "call_module" else None
    kind = type(sub) if sub is not None else None
    label = str(target) if op == "call_module" else node.name

    def is_pointwise() -> bool:
        if sub is not None:
            return isinstance(sub, t["pointwise_modules"])
        if op == "call_method":
            return target in t["pointwise_methods"] or target in t["arithmetic_methods"]
        return target in t["pointwise_functions"] or target in t["arithmetic"]

    if out_shape == in_shape and is_pointwise():
        return
    if out_shape == in_shape and (
        (op == "call_method" and target in t["flatten_methods"])
        or (op == "call_function" and target in t["flatten_functions"])
        or isinstance(sub, t["flatten_module"])
    ):
        return  # a reshape to the shape it already has
    conv_dim = t["conv_modules"].get(kind) if sub is not None else None
    if conv_dim is None and op == "call_function":
        conv_dim = t["conv_functions"].get(target)
    if conv_dim is not None:
        _map_conv(node, where, sub, conv_dim, out_shape, walk)
        return
    if walk.rep is None:
        raise _refuse(
            where,
            "only element-wise layers may come before the first convolution, which is the representation layer",
        )
    if _is_pool(node, sub, kind, t):
        _map_pool(node, where, sub, kind, in_shape, out_shape, walk, t)
        return
    if _map_head(node, where, sub, label, in_shape, out_shape, walk, t):
        return
    if is_pointwise():
        raise _refuse(where, f"it changes the shape {in_shape} to {out_shape}")
    raise _refuse(where, "this layer is not supported")


def _map_head(
    node: Any,
    where: str,
    sub: Any,
    label: str,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    walk: _Walk,
    t: dict[str, Any],
) -> bool:
    """Flatten, Linear and a final softmax; False when ``node`` is none of them."""
    op, target = node.op, node.target
    is_flatten = (
        isinstance(sub, t["flatten_module"])
        or (op == "call_method" and target in t["flatten_methods"])
        or (op == "call_function" and target in t["flatten_functions"])
    )
    if is_flatten:
        flat = (in_shape[0], math.prod(in_shape[1:]))
        if walk.flat is not None or len(in_shape) != walk.ndim + 2 or out_shape != flat:
            raise _refuse(where, f"it reshapes {in_shape} to {out_shape}; only a flatten to (batch, -1) is supported")
        walk.flat = label
        return True
    if isinstance(sub, t["linear_module"]) or (op == "call_function" and target in t["linear_functions"]):
        if walk.flat is None:
            raise _refuse(where, "a Linear layer before the flatten acts on the last grid axis only; flatten first")
        assert walk.linears is not None
        walk.linears.append((out_shape[-1], label))
        return True
    softmax = isinstance(sub, t["softmax_modules"]) or (
        (op == "call_function" and target in t["softmax"]) or (op == "call_method" and target in t["softmax_methods"])
    )
    # a function of the score vector alone
    return bool(softmax and walk.flat is not None and walk.linears and len(out_shape) == 2)


def _map_conv(node: Any, where: str, sub: Any, conv_dim: int, out_shape: tuple[int, ...], walk: _Walk) -> None:
    ndim = walk.ndim
    if conv_dim != ndim:
        raise _refuse(where, f"a {conv_dim}D convolution on a {ndim}D input")
    if walk.flat is not None:
        raise _refuse(where, "a convolution after the flatten")
    if sub is not None:
        kernel, stride, padding = sub.kernel_size, sub.stride, sub.padding
        dilation, groups, mode = sub.dilation, sub.groups, sub.padding_mode
    else:
        args = _bind(node, ("weight", "bias", "stride", "padding", "dilation", "groups"), {})
        weight = _shape(args["weight"]) if hasattr(args["weight"], "meta") else None
        if weight is None:
            raise _refuse(where, "its weight is not a parameter of the module")
        kernel = weight[2:]
        stride, padding = args.get("stride", 1), args.get("padding", 0)
        dilation, groups, mode = args.get("dilation", 1), args.get("groups", 1), "zeros"
    if groups != 1:
        raise _refuse(where, f"a grouped convolution (groups={groups}) mixes only some channels")
    if mode != "zeros":
        raise _refuse(where, f"padding_mode={mode!r} wraps or mirrors the grid; only zero padding is supported")
    kernel, stride, dilation = _tuple(kernel, ndim), _tuple(stride, ndim), _tuple(dilation, ndim)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * ndim
        else:  # "same": total padding d (k - 1) per axis, split evenly only when it is even
            total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
            if any(v % 2 for v in total):
                raise _refuse(where, "padding='same' with an even kernel span pads one side more than the other")
            padding = tuple(v // 2 for v in total)
    padding = _tuple(padding, ndim)
    channels = int(out_shape[1])
    if walk.rep is None:
        walk.rep = (channels, str(node.target) if node.op == "call_module" else node.name)
        walk.grid = tuple(out_shape[2:])
        walk.rep_grid = walk.grid
        walk.channels = channels
        return
    label = str(node.target) if node.op == "call_module" else node.name
    walk.add_step(ConvStep(channels, kernel, stride, padding, dilation), label, where, out_shape)


def _is_pool(node: Any, sub: Any, kind: Any, t: dict[str, Any]) -> bool:
    if sub is not None:
        return kind in t["pool_modules"] or kind in t["adaptive_modules"]
    return node.op == "call_function" and (node.target in t["pool_functions"] or node.target in t["adaptive_functions"])


def _map_pool(
    node: Any,
    where: str,
    sub: Any,
    kind: Any,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    walk: _Walk,
    t: dict[str, Any],
) -> None:
    ndim = walk.ndim
    pool_dim = (
        (t["pool_modules"].get(kind) or t["adaptive_modules"].get(kind))
        if sub is not None
        else (t["pool_functions"][node.target][0] if node.target in t["pool_functions"] else None)
        or t["adaptive_functions"].get(node.target)
    )
    if pool_dim != ndim:
        raise _refuse(where, f"a {pool_dim}D pooling on a {ndim}D input")
    if walk.flat is not None:
        raise _refuse(where, "a pooling layer after the flatten")
    label = str(node.target) if node.op == "call_module" else node.name
    adaptive = kind in t["adaptive_modules"] if sub is not None else node.target in t["adaptive_functions"]
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
                raise _refuse(
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
        names = t["pool_functions"][node.target][1]
        args = _bind(node, names, {"stride": None, "padding": 0, "dilation": 1})
        kernel, stride, padding, dilation = args["kernel_size"], args["stride"], args["padding"], args["dilation"]
    if stride is None or stride == [] or stride == ():
        stride = kernel
    step = ConvStep(None, _tuple(kernel, ndim), _tuple(stride, ndim), _tuple(padding, ndim), _tuple(dilation, ndim))
    walk.add_step(step, label, where, out_shape)


# ------------------------------------------------------------------ loading a module by name
def load_module(spec: str) -> Any:
    """Return the ``torch.nn.Module`` named by ``"package.module:attribute"``.

    The attribute (dots allowed) is a module instance, or a callable taking no arguments that
    returns one (a factory function or an ``nn.Module`` class). The working directory is
    searched too, so a local ``mynets.py`` can be named ``mynets:lenet``.

    Examples
    --------
    >>> load_module("convac.analysis._fx:_example_net")
    Sequential(...)
    >>> load_module("convac.analysis._fx")
    Traceback (most recent call last):
        ...
    convac.errors.InputError: a module is named MODULE:ATTRIBUTE, e.g. mynets:lenet, got 'convac.analysis._fx'
    """
    import importlib
    import os
    import sys

    from torch import nn

    if not isinstance(spec, str):
        raise ConvacTypeError(f"a module is named by a string MODULE:ATTRIBUTE, got {type(spec).__name__}")
    path, sep, attr = spec.partition(":")
    if not sep or not path.strip() or not attr.strip():
        raise InputError(f"a module is named MODULE:ATTRIBUTE, e.g. mynets:lenet, got {spec!r}")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(path.strip())
    except Exception as exc:  # ImportError or anything the module raises while importing
        raise InputError(f"cannot import {path.strip()!r} (from {spec!r}): {_first_line(exc)}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    obj: Any = mod
    for part in attr.strip().split("."):
        if not hasattr(obj, part):
            raise InputError(f"{path.strip()!r} has no attribute {attr.strip()!r} (from {spec!r})")
        obj = getattr(obj, part)
    if not isinstance(obj, nn.Module):
        if not callable(obj):
            raise InputError(f"{spec!r} is a {type(obj).__name__}, not a torch.nn.Module or a factory returning one")
        try:
            obj = obj()
        except Exception as exc:  # the factory's own failure, reported as one line
            raise InputError(f"calling {spec!r} with no arguments failed: {_first_line(exc)}") from None
    if not isinstance(obj, nn.Module):
        raise InputError(f"{spec!r} returned a {type(obj).__name__}, not a torch.nn.Module")
    return obj


def _first_line(exc: BaseException, with_type: bool = True) -> str:
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if with_type else text.splitlines()[0]


def _example_net() -> Any:
    """Return a small CNN for examples and the command line's tests."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2),
    )  # fmt: skip


# ------------------------------------------------------------------ tree twin
def tree_twin(spec: GeneralArchitecture, shared: bool = True) -> Architecture | None:
    """Return the :class:`~convac.Architecture` equal to ``spec`` when it is a tree of exact tilings, else None.

    Every step must tile its grid exactly (kernel = stride, or a kernel covering the whole grid;
    no padding) so each position is in exactly one window. A 1x1 convolution step followed by a
    pooling step is one hidden layer of the tree (channels of the convolution, window of the
    pooling); a convolution whose kernel equals its stride is a hidden layer by itself. Steps on
    the single top position are left out (no cut between inputs goes through them).

    There is no equivalent Architecture (None) when a pooling step has no convolution right
    before it (it multiplies activations directly: the copy tensors of both layers fuse into one,
    with a cheaper cut than a tree layer's 1x1 map allows, e.g. 3 instead of 4 for
    ``ConvStep(3, 2, 2), ConvStep(None, 2, 2)`` on 4 inputs across the checkerboard), or when
    a 1x1 convolution is not followed by pooling (a window of one position). ``shared``
    (default True: a CNN's convolutions share their weights across positions) changes
    ``n_params`` and generic ranks, never a min-cut.

    Examples
    --------
    >>> from convac.general import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(8,), n_features=2,
    ...     steps=[ConvStep(3, 1), ConvStep(None, 2, 2), ConvStep(5, 2, 2), ConvStep(4, 1), ConvStep(None, 2, 2)])
    >>> twin = tree_twin(spec)
    >>> twin.channels, twin.window
    ((3, 5, 4), 2)
    >>> tree_twin(GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(3, 3), ConvStep(None, 6)])) is None
    True
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.general.GeneralArchitecture")
    layers = _tree_layers(spec)
    if layers is None:
        return None
    return _build_tree(spec, [c for c, _, _ in layers], [w for _, w, _ in layers], shared)


def _build_tree(
    spec: GeneralArchitecture, channels: list[int], windows: list[tuple[int, ...]], shared: bool
) -> Architecture | None:
    """``Architecture.deep_1d/2d`` on ``spec.grid`` (``window=`` when uniform, else ``windows=``), or None."""
    grid = spec.grid
    try:
        if all(len(set(w)) == 1 and w == windows[0] for w in windows) and len(set(grid)) == 1:
            w = windows[0][0]
            if grid[0] == w ** len(windows):
                if spec.ndim == 1:
                    return Architecture.deep_1d(grid[0], spec.n_features, channels, spec.n_outputs, shared, window=w)
                return Architecture.deep_2d(grid[0], grid[1], spec.n_features, channels, spec.n_outputs, shared, w)
        if spec.ndim == 1:
            return Architecture.deep_1d(  # type: ignore[call-arg,unused-ignore]
                grid[0], spec.n_features, channels, spec.n_outputs, shared, windows=[w[0] for w in windows]
            )
        return Architecture.deep_2d(  # type: ignore[call-arg,unused-ignore]
            grid[0], grid[1], spec.n_features, channels, spec.n_outputs, shared, windows=windows
        )
    except (TypeError, ArchitectureError):  # windows= not available, or a window of one position
        return None


def pooling_twin(spec: GeneralArchitecture, shared: bool = True) -> tuple[Architecture, tuple[str, ...]] | None:
    """Return the tree ConvAC with ``spec``'s pooling skeleton and channel numbers, overlaps removed.

    An approximation for networks that are not trees (overlapping kernels), so that the tree
    tools (:func:`convac.design`, generic ranks, the lower bound) can say something about them:
    every step becomes a 1x1 map followed by pooling over its *stride* (a stride-1 convolution
    pools nothing), so receptive fields grow by pooling only. Consecutive maps on one grid keep
    the last width (the channels that enter the pooling); a step that leaves one position pools
    the twin's whole remaining grid; maps after that (Linear layers on the single position) are
    left out (no cut between inputs goes through them). Returns the
    :class:`~convac.Architecture` and, per hidden layer, the indices of the steps merged into it
    (as text), or None when the strides do not tile the grid (or need ``windows=`` that this
    version lacks). Min-cuts of the twin are not those of ``spec``: it has fewer copy nodes,
    smaller receptive fields, and a 1x1 map before every pooling (see :func:`tree_twin`).

    Examples
    --------
    >>> from convac.general import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(8, 8), n_features=4, steps=[ConvStep(8, 3, padding=1),
    ...     ConvStep(None, 2, 2), ConvStep(16, 3, padding=1), ConvStep(None, 2, 2), ConvStep(32, 2, 2)])
    >>> twin, merged = pooling_twin(spec)
    >>> twin.channels, twin.window, merged
    ((8, 16, 32), 2, ('0+1', '2+3', '4'))
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.general.GeneralArchitecture")
    grid = list(spec.grid)
    channels, windows, merged = [], [], []
    width = spec.n_features
    pending: list[int] = []  # steps mapping on the current grid, waiting for a pooling
    for i, step in enumerate(spec.steps):
        if math.prod(grid) == 1:
            continue
        # a step down to one position pools the twin's whole grid; any other pools its stride
        last = spec.layer_grid(i + 1) == (1,) * spec.ndim
        window = tuple(grid) if last else tuple(step.stride)  # type: ignore[arg-type]
        if step.channels is not None:
            width = step.channels
        if all(w == 1 for w in window):
            pending.append(i)
            continue
        if any(g % w for g, w in zip(grid, window, strict=True)):
            return None
        channels.append(width)
        windows.append(window)
        merged.append("+".join(map(str, [*pending, i])))
        pending = []
        grid = [g // w for g, w in zip(grid, window, strict=True)]
    if not channels or math.prod(grid) != 1:
        return None
    arch = _build_tree(spec, channels, windows, shared)
    return None if arch is None else (arch, tuple(merged))


def _tree_layers(spec: GeneralArchitecture) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]] | None:
    """(channels, window, step indices) per hidden layer of the tree twin, or None when there is none."""
    layers: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []
    pending: tuple[int, int] | None = None  # a 1x1 conv step waiting for its pooling: (channels, step)
    for i, step in enumerate(spec.steps):
        below, above = spec.layer_grid(i), spec.layer_grid(i + 1)
        if math.prod(below) == 1 and layers:
            # maps on the single top position sit above the last product: no cut between inputs goes
            # through them, and for one output they only change the output layer's weights
            continue
        k, s = tuple(step.kernel), tuple(step.stride)  # type: ignore[arg-type]
        tiles = all(step.padding[a] == 0 and below[a] == above[a] * k[a] for a in range(spec.ndim))  # type: ignore[index]
        tiles = tiles and all(k[a] == s[a] or above[a] == 1 for a in range(spec.ndim))
        tiles = tiles and all(k[a] == 1 or step.dilation[a] == 1 for a in range(spec.ndim))  # type: ignore[index]
        if not tiles:
            return None
        one = all(v == 1 for v in k)
        if step.channels is not None and one:
            if pending is not None:
                return None  # a hidden layer with window 1
            pending = (step.channels, i)
        elif step.channels is None:
            if one:
                continue  # a 1x1 pooling is the identity
            if pending is None:
                # The product would multiply the activations themselves: every window of it fuses into
                # one copy tensor with the layer below, whose cut is cheaper than any tree with a 1x1
                # map here (CP rank vs Tucker rank), so there is no equivalent Architecture.
                return None
            layers.append((pending[0], k, (pending[1], i)))
            pending = None
        else:
            if pending is not None:
                return None
            layers.append((step.channels, k, (i,)))
    if pending is not None or not layers:
        return None
    return layers


# ------------------------------------------------------------------ analysis
def analyze_module(
    module: Any,
    input_shape: Sequence[int],
    *,
    families: Iterable[str] | None = None,
    name: str | None = None,
    rank: bool | str = "auto",
    seed: int = 0,
) -> Analysis:
    """Min-cut at every length scale of the ConvAC analogue of a PyTorch CNN.

    The module is traced with ``torch.fx`` and mapped layer by layer to a ConvAC with the same
    channel numbers, receptive fields and pooling geometry (first convolution = representation
    layer with ``M = out_channels``; later convolutions and poolings = generalized convolutions;
    flatten + Linear = a step over the remaining grid; activations, batch norm and dropout act
    position by position and map to nothing; see :mod:`convac.analysis._fx`). ``input_shape``
    is one sample's ``(channels, length)`` or ``(channels, height, width)``.

    When the analogue is a tree (non-overlapping windows tiling every grid) the result is
    exactly :func:`convac.analyze` of that :class:`~convac.Architecture` (``families``,
    ``rank``, ``seed`` as there). Otherwise (overlapping kernels) every row is the exact
    min-cut of the general tensor network with copy nodes (``convac.general.min_cut``) at the
    same probe partitions; ``lower_bound`` and ``rank`` are then ``None``. ``layer_labels`` of
    the result names the torch layer(s) behind each analysis layer. Layers with no ConvAC
    analogue (residual additions, concatenations, grouped convolutions, ...) raise an
    :class:`~convac.InputError` naming the layer.

    Examples
    --------
    >>> import convac
    >>> from convac.models.relu_convnet import ReLUConvNet
    >>> net = ReLUConvNet([4, 2], image_size=4, seed=0)
    >>> a = convac.analyze_module(net, (1, 4, 4))
    >>> twin = convac.Architecture.deep_2d(4, 4, n_features=10, channels=[4, 2], n_outputs=10, shared=True)
    >>> a.arch == twin, a.rows == convac.analyze(twin).rows
    (True, True)
    >>> a.layer_labels
    ('representation', 'hidden.0+max_pool2d', 'hidden.1+max_pool2d_1')
    """
    spec, labels = module_architecture(module, input_shape)
    label = name or f"{type(module).__name__} on {'x'.join(map(str, input_shape))}"
    twin = tree_twin(spec)
    if twin is not None:
        layers = _tree_layers(spec)
        assert layers is not None
        tree_labels = (labels[0], *("+".join(labels[i + 1] for i in idx) for _, _, idx in layers))
        return replace(analyze(twin, families=families, name=label, rank=rank, seed=seed), layer_labels=tree_labels)
    return analyze_general(spec, families=families, name=label, rank=rank, layer_labels=labels)


def analyze_general(
    spec: GeneralArchitecture,
    *,
    families: Iterable[str] | None = None,
    name: str | None = None,
    rank: bool | str = "auto",
    layer_labels: Sequence[str] = (),
) -> Analysis:
    """Exact min-cut of a general ConvAC (copy nodes for re-used activations) at every probe scale.

    Uses ``convac.general.min_cut``; rows carry the min-cut and the layers its cut goes through
    (``cut_layers``; ``-1`` = the representation features), and ``None`` for the lower bound,
    the binding layers and the generic rank, which convac computes for trees only.

    Examples
    --------
    >>> from convac.general import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, 2, 2), ConvStep(2, 2, 2)])
    >>> rows = analyze_general(spec).rows
    >>> [(r.value, r.cut_layers) for r in rows] == [(r.value, r.cut_layers) for r in analyze(tree_twin(spec)).rows]
    True
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.general.GeneralArchitecture")
    if rank not in (True, False, "auto"):
        raise ConvacError(f"rank must be True, False or 'auto', got {rank!r}")
    if rank is True:
        raise ConvacError("the generic rank is computed for tree ConvACs only; use rank='auto' or False")
    general_min_cut = _general_min_cut()
    rows = []
    # A tree's block scales are its pooling levels' receptive fields; use the same probes so the
    # rows of a tree spec line up with convac.analyze of its twin.
    twin = tree_twin(spec)
    for s in scales(twin if twin is not None else spec.grid, families):
        cut = general_min_cut(spec, s.partition(spec.grid))
        rows.append(
            ScaleResult(
                scale=s,
                value=int(cut.value),
                log2=float(cut.log2),
                lower_bound=None,
                # convac.general numbers layers from 0 = the inputs; Analysis from -1 = the inputs
                cut_layers=tuple(sorted({lay - 1 for lay in cut.layers})),
                binding=None,
                rank=None,
            )
        )
    label = name or f"general {'x'.join(map(str, spec.grid))} channels {list(spec.channels[1:])}"
    return Analysis(label, spec, tuple(rows), layer_labels=tuple(layer_labels))


def _general_min_cut() -> Callable[..., Any]:
    import convac.general as general

    found = getattr(general, "min_cut", None)
    if found is None:
        raise ConvacError(
            "this ConvAC re-uses activations (overlapping kernels) and its min-cut needs convac.general.min_cut, "
            "which this version of convac lacks"
        )
    return found
