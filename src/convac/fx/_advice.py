"""Advice for a user's own CNN: which layer binds each scale, which are too narrow for the data, better widths.

The same rule as ``convac design --method feasible`` (:mod:`convac.channel_design._feasible`), read on a
CNN (a chain, or a DAG of residual sums, concatenations, grouped and depthwise convolutions:
:func:`layer_widths`): a block of side ``s`` of the data's canonical partitions (:func:`convac.canonical_entanglement`)
reaches a layer whose output cell covers ``cell`` input positions per side through ``floor(s / cell)^d``
of that layer's cells, so the layer needs ``floor(s / cell)^d ln c >= S_s + margin`` for every level with
``s >= cell`` (layers after a flatten see the whole input and carry no canonical block alone). Layers
below that lower bound are *too narrow* for the data.

**Suggested widths** keep the net's own shape: every width is ``max(lo, x * c)`` for the one ``x`` at
which the parameter count is the net's, then whole multiples of ``multiple`` (default 8) at *exactly* the
net's count (:func:`convac.channel_design._solver.closest_exact`). Layers in one tie group (channels a
residual addition or a depthwise convolution joins) share one width; with more than :data:`MAX_FREE`
width variables, all but the last few keep their shape-keeping widths rounded to whole steps. When no
vector of multiples hits the count, the last free layer before the classifier takes any whole width
(``fill``), then the last two, then every layer; the advice says which.
A vector of multiples counts only if every width is within a factor :data:`SHAPE_TOLERANCE` of the
shape-keeping real width (a far-off exact hit is no advice).
The classifier's width (the number of outputs) and the input channels stay. Some nets have no whole
widths at exactly their count near their shape (biases make the count awkward); the advice then gives
the closest count below and says how many parameters it leaves unspent (``fill == "below"``).

Parameters counted: the weights and biases of the convolutions and Linear layers (batch norm and
other per-channel layers are not resized by the advice and are left out of the count).

Examples
--------
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv1d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(6, 12, 3, padding=1),
...                     nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(12 * 4, 10))
>>> a = advise(net, (1, 16))
>>> a.n_params == a.suggested_params, a.fill  # too small for multiples of 8 at exactly 742 parameters
(True, 'last two')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import positive_int, real
from convac.channel_design._feasible import DEFAULT_MARGIN
from convac.channel_design._solver import closest_exact, scale_to_budget
from convac.errors import InputError
from convac.fx._analysis import analyze_module
from convac.fx._tracing import node_shape, propagate_shapes, trace

__all__ = ["Advice", "LayerAdvice", "LayerWidth", "WidthChain", "advise", "layer_widths"]

SHAPE_TOLERANCE = 1.5
"""Largest factor a suggested width may differ from the shape-keeping real width before a layer fills."""


@dataclass(frozen=True)
class LayerWidth:
    """A width-carrying layer of a chain CNN: what the advice may resize, and what each channel costs.

    ``kernel`` is the weights per (input channel, output channel) pair (the kernel's area, or the
    positions per channel a Linear reads after a flatten); ``cell`` the input positions per side one
    output position covers (0 after a flatten: the whole input); ``tie_group`` names layers whose widths
    must stay equal (a residual addition, a depthwise convolution and its input); ``fixed`` marks the
    classifier. ``reads`` lists the layers whose widths add up to this layer's input channels (a
    concatenation reads several; ``-1`` is the net's input; None: the layer before, as in a chain);
    a convolution with ``groups`` costs ``kernel * in * out / groups`` weights, a ``depthwise`` one
    ``kernel * out`` (its width is its input's).

    Examples
    --------
    >>> LayerWidth("conv1", 6, kernel=25, bias=True, cell=1).params(1)
    156
    """

    name: str
    channels: int
    kernel: int
    bias: bool
    cell: int
    fixed: bool = False
    tie_group: str | None = None
    labels: tuple[str, ...] = ()
    reads: tuple[int, ...] | None = None
    groups: int = 1
    depthwise: bool = False

    def params(self, in_channels: int, channels: int | None = None) -> int:
        c = self.channels if channels is None else channels
        weights = self.kernel * c if self.depthwise else self.kernel * in_channels * c // self.groups
        return weights + (c if self.bias else 0)


@dataclass(frozen=True)
class WidthChain:
    """The input channels and width-carrying layers of a chain CNN, in order (the adapter the advice reads).

    Examples
    --------
    >>> chain = WidthChain(1, 2, (LayerWidth("a", 4, 9, True, 1), LayerWidth("b", 10, 16, True, 0, fixed=True)))
    >>> chain.n_params(), int(chain.counts(np.array([[4], [8]]))[1])
    (690, 1370)
    """

    in_channels: int
    ndim: int
    layers: tuple[LayerWidth, ...]

    def n_params(self) -> int:
        return int(self._count(np.asarray([[lw.channels for lw in self.layers]], dtype=np.int64))[0])

    def groups(self) -> list[list[int]]:
        """Return the free layers per width variable: one per tie group, one per untied layer."""
        out: dict[Any, list[int]] = {}
        for i, lw in enumerate(self.layers):
            if not lw.fixed:
                out.setdefault(lw.tie_group if lw.tie_group is not None else ("layer", i), []).append(i)
        return list(out.values())

    def counts(self, variables: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Parameter counts for rows of width variables (one column per group of :meth:`groups`)."""
        widths = np.tile(np.asarray([lw.channels for lw in self.layers], dtype=np.int64), (variables.shape[0], 1))
        for col, members in enumerate(self.groups()):
            widths[:, members] = variables[:, [col]]
        return self._count(widths)

    def _count(self, widths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Parameter counts for rows of per-layer widths: each layer reads the widths its ``reads`` name."""
        total = np.zeros(widths.shape[0], dtype=np.int64)
        for j, lw in enumerate(self.layers):
            reads = lw.reads if lw.reads is not None else (j - 1,)
            cin = sum((widths[:, r] if r >= 0 else np.int64(self.in_channels) for r in reads), np.int64(0))
            c = widths[:, j]
            total += (lw.kernel * c if lw.depthwise else lw.kernel * cin * c // lw.groups) + (c if lw.bias else 0)
        return total


def layer_widths(module: Any, input_shape: Sequence[int]) -> WidthChain:
    """Read the convolutions and Linear layers of a CNN, in execution order, with their costs and ties.

    The module is traced with ``torch.fx``: each layer learns which layers feed it (a concatenation
    feeds the sum of its inputs' widths), a residual sum (or product) ties the widths it joins, a
    depthwise convolution is tied to its input, and a grouped convolution costs ``kernel * in * out /
    groups``. Layers tied to the net's input channels, and the classifier (the last layer), stay.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    >>> [(lw.name, lw.channels, lw.kernel, lw.cell) for lw in layer_widths(net, (1, 8, 8)).layers]
    [('0', 4, 9, 1), ('3', 3, 16, 0)]
    """
    shape = tuple(positive_int(v, f"input_shape[{i}]") for i, v in enumerate(input_shape))
    batch = (1, *shape)
    gm = trace(module, batch)
    propagate_shapes(gm, module, batch)
    walk = _WidthWalk(shape)
    for node in gm.graph.nodes:
        walk.visit(node, gm)
    return walk.finish()


class _WidthWalk:
    """The fx walk behind :func:`layer_widths`: per tensor, the layers whose widths make up its channels."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.layers: list[dict[str, Any]] = []
        self.expr: dict[Any, tuple[int, ...]] = {}
        self.owner: dict[int, int] = {-1: -1}

    def find(self, x: int) -> int:
        while self.owner[x] != x:
            self.owner[x] = self.owner[self.owner[x]]
            x = self.owner[x]
        return x

    def tie(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        self.owner[max(ra, rb)] = min(ra, rb)

    def channels(self, expr: tuple[int, ...]) -> int:
        return sum(self.layers[r]["channels"] if r >= 0 else self.shape[0] for r in expr)

    def add(self, name: str, channels: int, kernel: int, bias: bool, cell: int, reads: tuple[int, ...],
            **extra: Any) -> tuple[int, ...]:  # fmt: skip
        self.layers.append(dict(name=name, channels=channels, kernel=kernel, bias=bias, cell=cell, reads=reads,
                                labels=[name], **extra))  # fmt: skip
        self.owner[len(self.layers) - 1] = len(self.layers) - 1
        return (len(self.layers) - 1,)

    def visit(self, node: Any, gm: Any) -> None:
        from torch import nn

        label = str(node.target) if node.op == "call_module" else node.name
        inputs = [a for a in node.all_input_nodes if a in self.expr]
        sub = gm.get_submodule(node.target) if node.op == "call_module" else None
        if node.op == "placeholder":
            self.expr[node] = (-1,)
            return
        if not inputs:
            return
        src = self.expr[inputs[0]]
        if isinstance(sub, (nn.Conv1d, nn.Conv2d)):
            self.expr[node] = self.conv(label, sub, src, node_shape(node) or ())
        elif isinstance(sub, nn.Linear):
            cin = self.channels(src)
            if sub.in_features % cin:
                raise InputError(f"advise cannot tell what {label} reads: {sub.in_features} inputs, {cin} channels")
            self.expr[node] = self.add(label, sub.out_features, sub.in_features // cin, sub.bias is not None, 0, src)
        elif node.op == "call_function" and getattr(node.target, "__name__", "") in ("cat", "concat"):
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
            if dim not in (1, -len(self.shape)):
                raise InputError(f"advise reads concatenations along the channels; {label} joins along axis {dim}")
            if any(a not in self.expr for a in node.args[0]):
                raise InputError(f"advise cannot tell what {label} concatenates: not every part is a tensor")
            self.expr[node] = tuple(r for a in node.args[0] for r in self.expr[a])
        else:
            self.expr[node] = self.join(label, node, inputs)
        if self.expr[node][0] >= 0:
            self.layers[self.expr[node][0]]["labels"].append(node.name)
            self.layers[self.expr[node][0]]["labels"].append(label)

    def conv(self, label: str, sub: Any, src: tuple[int, ...], out: tuple[int, ...]) -> tuple[int, ...]:
        cell = max(1, self.shape[1] // int(out[2])) if len(out) > 2 else 1
        kernel, bias = math.prod(sub.kernel_size), sub.bias is not None
        if sub.groups == 1 or sub.groups < sub.in_channels:
            return self.add(label, sub.out_channels, kernel, bias, cell, src, groups=sub.groups)
        if sub.out_channels != sub.in_channels or len(src) != 1:
            raise InputError(
                f"advise resizes depthwise convolutions with as many outputs as inputs, from one layer; {label} "
                f"maps {sub.in_channels} channels from {len(src)} layer(s) to {sub.out_channels}"
            )
        new = self.add(label, sub.out_channels, kernel, bias, cell, src, depthwise=True)
        self.tie(new[0], src[0])
        return new

    def join(self, label: str, node: Any, inputs: list[Any]) -> tuple[int, ...]:
        """Map an element-wise node: sums and products tie the inputs of its full channel count."""
        out = node_shape(node) or ()
        src = self.expr[inputs[0]]
        if len(out) != len(self.shape) + 1:
            return src  # a flatten: the Linear after it reads the channels times the positions
        full = [a for a in inputs if (node_shape(a) or (0, 0))[1:2] == out[1:2]]
        if not full or self.channels(self.expr[full[0]]) != out[1]:
            raise InputError(f"advise cannot tell how {label} makes {out[1]} channels from its inputs")
        for other in full[1:]:
            if len(self.expr[other]) != len(self.expr[full[0]]):
                raise InputError(f"advise cannot keep the widths {label} joins equal: they are made differently")
            for a, b in zip(self.expr[full[0]], self.expr[other], strict=True):
                self.tie(a, b)
        return self.expr[full[0]]

    def finish(self) -> WidthChain:
        if len(self.layers) < 2:
            raise InputError("advise needs at least one convolution or Linear layer before the classifier")
        last = len(self.layers) - 1
        members: dict[int, list[int]] = {}
        for j in range(len(self.layers)):
            members.setdefault(self.find(j), []).append(j)
        layers = []
        for j, d in enumerate(self.layers):
            group = members[self.find(j)]
            fixed = self.find(j) == -1 or self.find(last) == self.find(j)
            tie = self.layers[group[0]]["name"] if len(group) > 1 else None
            labels = tuple(dict.fromkeys(d["labels"]))
            layers.append(LayerWidth(**{**d, "labels": labels}, fixed=fixed, tie_group=tie))
        return WidthChain(self.shape[0], len(self.shape) - 1, tuple(layers))


@dataclass(frozen=True)
class LayerAdvice:
    """One layer's verdict: the scales whose cut runs through it, what the data need, and the suggestion."""

    name: str
    channels: int
    suggested: int
    lower_bound: int
    binds: tuple[str, ...]
    too_narrow: bool
    fixed: bool
    tie_group: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, binds=list(self.binds))


@dataclass(frozen=True)
class Advice:
    """What :func:`advise` found: per layer, per scale, the suggested widths and how the count was kept.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv1d(1, 3, 1), nn.MaxPool1d(2), nn.Conv1d(3, 5, 1), nn.MaxPool1d(2),
    ...                     nn.Flatten(), nn.Linear(10, 2))
    >>> a = advise(net, (1, 8), multiple=1)
    >>> a.n_params == a.suggested_params, a.fill
    (True, 'none')
    """

    name: str
    layers: tuple[LayerAdvice, ...]
    scales: tuple[tuple[str, float, tuple[str, ...]], ...]
    n_params: int
    suggested_params: int
    multiple: int
    margin: float
    fill: str
    data: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_params": self.n_params,
            "suggested_params": self.suggested_params,
            "multiple": self.multiple,
            "margin": self.margin,
            "fill": self.fill,
            "layers": [lw.to_dict() for lw in self.layers],
            "scales": [{"scale": s, "log2_min_cut": v, "cut_through": list(by)} for s, v, by in self.scales],
            "data": self.data,
            "notes": list(self.notes),
        }

    def table(self) -> str:
        rows = [f"{'layer':<14} {'width':>6} {'data need':>9} {'suggested':>9}  verdict"]
        for j, lw in enumerate(self.layers):
            if lw.fixed:
                verdict = "classifier (kept)" if j == len(self.layers) - 1 else "tied to the input channels (kept)"
            else:
                verdict = "too narrow for the data" if lw.too_narrow else "wide enough"
                verdict += f"; binds {', '.join(lw.binds)}" if lw.binds else ""
                verdict += f"; tied to {lw.tie_group}" if lw.tie_group not in (None, lw.name) else ""
            need = "-" if self.data is None or lw.fixed else str(lw.lower_bound)
            rows.append(f"{lw.name:<14} {lw.channels:>6} {need:>9} {lw.suggested:>9}  {verdict}")
        scales = [f"  {s:<14} log2 min-cut {v:>10.4g}  cut through {', '.join(by) or '-'}" for s, v, by in self.scales]
        return "\n".join([*rows, "", "per scale (the ConvAC analogue's min-cut):", *scales, "", *self.notes])

    def __str__(self) -> str:
        head = (
            f"advice for {self.name}: {self.n_params} parameters (convolutions and Linear layers); "
            f"suggested widths at exactly {self.suggested_params}, multiples of {self.multiple}"
        )
        return f"{head}\n{self.table()}"


def _data_needs(chain: WidthChain, profile: Any, margin: float) -> npt.NDArray[np.int64]:
    """Smallest width per layer with ``floor(s/cell)^d ln c >= S_s + ci + margin`` at every level it carries."""
    need = np.ones(len(chain.layers))
    for j, lw in enumerate(chain.layers):
        if lw.fixed or lw.cell == 0:
            continue
        for lv in profile.levels:
            if lv.side >= lw.cell:
                cells = (lv.side // lw.cell) ** chain.ndim
                need[j] = max(need[j], math.exp((lv.mean + lv.ci95 + margin) / cells))
    return np.ceil(need * (1 - 1e-12)).astype(np.int64)


def _suggest(chain: WidthChain, lo: npt.NDArray[np.int64], multiple: int) -> tuple[npt.NDArray[np.int64], str]:
    """Widths per layer at exactly the chain's count, the net's shape kept above ``lo`` (module docstring)."""
    groups = chain.groups()
    orig = np.asarray([max(chain.layers[m].channels for m in g) for g in groups], dtype=float)
    lo_v = np.asarray([max(int(lo[m]) for m in g) for g in groups], dtype=np.int64)
    budget = chain.n_params()
    if int(chain.counts(lo_v[None, :])[0]) > budget:
        raise InputError(
            f"the widths the data need ({lo_v.tolist()}) cost {int(chain.counts(lo_v[None, :])[0])} parameters, "
            f"above the net's {budget}: no resizing at the same count meets them; widen the net or lower the margin"
        )
    target = scale_to_budget(
        lambda x: np.maximum(lo_v, x * orig), lambda v: float(chain.counts(v[None, :].astype(np.int64))[0]), budget
    )
    n = len(groups)
    passes = []
    for how, n_fill in [("none", 0), ("last", 1), ("last two", 2), ("all", n)]:
        steps = np.full(n, multiple, dtype=np.int64)
        steps[n - n_fill :] = 1
        passes.append((how, steps))
    for how, steps in passes:
        free, count, base = _reduced(chain, lo_v, target, steps)
        part = closest_exact(count, lo_v[free], target[free], budget, steps[free])
        found = None if part is None else base.copy()
        if found is not None and part is not None:
            found[free] = part
        # a vector of multiples far from the net's shape is no advice: let one layer fill instead
        near = found is not None and np.abs(np.log(found / target)).max() <= math.log(SHAPE_TOLERANCE)
        if found is not None and (near or how == "all"):
            widths = np.asarray([lw.channels for lw in chain.layers], dtype=np.int64)
            for col, members in enumerate(groups):
                widths[members] = found[col]
            return widths, how
    return _closest_below(chain, lo_v, target, budget), "below"


MAX_FREE = 4
"""Most width variables one exact search moves; with more (a ResNet), the rest keep their rounded targets."""


def _reduced(
    chain: WidthChain, lo_v: npt.NDArray[np.int64], target: npt.NDArray[np.float64], steps: npt.NDArray[np.int64]
) -> tuple[list[int], Any, npt.NDArray[np.int64]]:
    """Return the last :data:`MAX_FREE` variables, the count as their function, the others' rounded widths.

    The exact search enumerates a grid whose size grows like ``13^(n-1)`` in the number of variables,
    so a net with many width variables keeps all but the last few at their targets rounded to
    whole steps (at or above the data's needs) and solves the count with the last few (the widest
    layers near the classifier, whose single channels cost most and move the count in coarse steps).
    """
    n = len(lo_v)
    free = list(range(max(0, n - MAX_FREE), n))
    base = np.maximum(-(-lo_v // steps), np.rint(target / steps)).astype(np.int64) * steps

    def count(v: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        rows = np.tile(base, (v.shape[0], 1))
        rows[:, free] = v
        return chain.counts(rows)

    return free, count, base


def _closest_below(
    chain: WidthChain, lo_v: npt.NDArray[np.int64], target: npt.NDArray[np.float64], budget: int
) -> npt.NDArray[np.int64]:
    """Widths near ``target`` with the largest count at most ``budget`` (when no count is exact)."""
    free, count, base = _reduced(chain, lo_v, target, np.ones(len(lo_v), dtype=np.int64))
    axes = [np.unique(np.maximum(lo_v[k], np.rint(target[k]) + np.arange(-6, 7))).astype(np.int64) for k in free]
    part = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
    grid = np.tile(base, (part.shape[0], 1))
    grid[:, free] = part
    counts = count(part)
    ok = counts <= budget
    if not ok.any():
        raise InputError(f"no whole widths at or above {lo_v.tolist()} fit the net's {budget} parameters")
    grid, counts = grid[ok], counts[ok]
    score = ((np.log(grid) - np.log(target)) ** 2).sum(axis=1)
    best = np.lexsort((score, -counts))[0]
    widths = np.asarray([lw.channels for lw in chain.layers], dtype=np.int64)
    for col, members in enumerate(chain.groups()):
        widths[members] = grid[best, col]
    return widths


def _notes(chain: WidthChain, fill: str, multiple: int, n: int, suggested: int) -> tuple[str, ...]:
    """How the count was kept: nothing to say, the layers that fill, or the shortfall below."""
    if fill == "below":
        return (
            f"no whole widths near the net's shape cost exactly {n} parameters; these cost {suggested}, "
            f"{n - suggested} fewer (the closest count below)",
        )
    if fill == "none":
        return ()
    free = {"last": 1, "last two": 2}.get(fill, len(chain.groups()))
    names = [chain.layers[g[0]].name for g in chain.groups()[-free:]]
    return (
        f"fill: no multiples of {multiple} near the net's shape cost exactly {n} parameters, so "
        f"{', '.join(names)} take{'s' if free == 1 else ''} any whole width (the count stays exact)",
    )


def advise(
    module: Any,
    input_shape: Sequence[int],
    *,
    data: Any = None,
    multiple: int = 8,
    margin: float = DEFAULT_MARGIN,
    chain: WidthChain | None = None,
    analysis: Any = None,
) -> Advice:
    """Per scale the binding layer, per layer whether it is too narrow for ``data``, and widths at the same count.

    ``data`` is a :class:`~convac.datatensor.CanonicalProfile` measured on the input's grid (optional);
    ``chain`` (default :func:`layer_widths` of the module) and ``analysis`` (default
    :func:`convac.analyze_module`) may be given, e.g. with tie groups from a richer analysis.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from convac.datatensor import canonical_entanglement
    >>> net = nn.Sequential(nn.Conv1d(1, 2, 1), nn.MaxPool1d(2), nn.Conv1d(2, 16, 1), nn.MaxPool1d(4),
    ...                     nn.Flatten(), nn.Linear(16, 2))
    >>> X = np.random.default_rng(0).random((40, 8))
    >>> a = advise(net, (1, 8), data=canonical_entanglement(X, np.arange(40) % 2), multiple=1)
    >>> [(lw.name, lw.too_narrow) for lw in a.layers[:2]], a.n_params == a.suggested_params
    ([('0', True), ('2', False)], True)
    """
    multiple = positive_int(multiple, "multiple")
    margin = real(margin, "margin", low=0.0)
    chain = layer_widths(module, input_shape) if chain is None else chain
    analysis = analyze_module(module, input_shape, rank=False) if analysis is None else analysis
    if data is not None and tuple(data.grid) != tuple(input_shape[1:]):
        raise InputError(
            f"the data profile was measured on the grid {'x'.join(map(str, data.grid))}, but the net reads "
            f"{'x'.join(map(str, input_shape[1:]))}; measure data of the net's input size"
        )
    lo = _data_needs(chain, data, margin) if data is not None else np.ones(len(chain.layers), dtype=np.int64)
    widths, fill = _suggest(chain, lo, multiple)
    labels = list(getattr(analysis, "layer_labels", ()))
    scales: list[tuple[str, float, tuple[str, ...]]] = []
    binds: dict[str, list[str]] = {lw.name: [] for lw in chain.layers}
    for row in analysis.rows:
        names = []
        for lay in row.cut_layers:
            # the first convolution is the representation layer: a cut at the "input" runs through it
            label = labels[0] if lay < 0 and labels else labels[lay + 1] if 0 <= lay < len(labels) - 1 else "input"
            parts = set(label.split("+"))
            # a layer's own names first; then the poolings, sums and flattens that carry its width
            owner = [lw.name for lw in chain.layers if set(lw.labels[:2]) & parts] or [
                lw.name for lw in chain.layers if set(lw.labels) & parts
            ]
            names.append(owner[0] if owner else label)
            for name in owner[:1]:
                binds[name].append(row.scale.label)
        log2 = float(row.log2) if row.value is None else float(math.log2(row.value)) if row.value > 0 else 0.0
        scales.append((row.scale.label, log2, tuple(dict.fromkeys(names))))
    binds = {name: list(dict.fromkeys(b)) for name, b in binds.items()}
    layers = tuple(
        LayerAdvice(
            lw.name,
            lw.channels,
            int(widths[j]),
            int(lo[j]),
            tuple(binds[lw.name]),
            bool(not lw.fixed and lw.channels < lo[j]),
            lw.fixed,
            lw.tie_group,
        )
        for j, lw in enumerate(chain.layers)
    )
    n = chain.n_params()
    suggested = int(chain.counts(np.asarray([[widths[g[0]] for g in chain.groups()]], dtype=np.int64))[0])
    notes = _notes(chain, fill, multiple, n, suggested)
    summary = None if data is None else {"grid": list(data.grid), "levels": [
        {"side": lv.side, "entropy": lv.mean, "ci95": lv.ci95} for lv in data.levels]}  # fmt: skip
    return Advice(analysis.name, layers, tuple(scales), n, suggested, multiple, margin, fill, summary, notes)
