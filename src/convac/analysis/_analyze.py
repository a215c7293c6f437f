"""Min-cut across length scales: what correlations an architecture can model, and where it is limited.

:func:`analyze` runs every probe partition of :func:`convac.analysis._scales` through the exact
min-cut (:func:`convac.min_cut`), its power-of-p lower bound, and (for small networks) the exact
generic rank, and records which layers the cut goes through. :func:`compare_table` puts several
architectures side by side; :func:`paper_pair` builds the paper's wide-base and wide-tip networks.

Examples
--------
>>> from convac import Architecture
>>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> a = analyze(arch, rank=False)
>>> [(row.label, row.value, row.cut_layers) for row in a.rows]
[('checkerboard', 256, (-1,)), ('blocks(2)', 256, (-1,)), ('blocks(4)', 4, (2,)), ('left_right', 2, (2,))]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convac._validation import MAX_MODEL_BYTES, instance
from convac.analysis._channel_cuts import binding_layers
from convac.analysis._function_rows import LayerInfo, function_rows, layer_info, tie_groups
from convac.analysis._scales import Scale, scales
from convac.analysis._twins import tree_twin
from convac.errors import InputError
from convac.mincut import min_cut, min_cut_lower_bound
from convac.spec import Architecture, GeneralArchitecture, GraphArchitecture
from convac.spec._paper import PAPER_SCHEDULES, paper_architecture, paper_schedule

__all__ = [
    "RANK_MAX_ENTRIES",
    "Analysis",
    "ScaleResult",
    "analyze",
    "analyze_general",
    "compare_table",
    "layer_names",
    "paper_pair",
]

#: Generic ranks are computed (rank="auto") when the dense tensor has at most this many entries.
RANK_MAX_ENTRIES = 2**16


def layer_names(layers: Iterable[int], labels: Sequence[str] = ()) -> str:
    """``(-1, 0, 2)`` -> ``"input, layer 0, layer 2"``; ``labels[l + 1]`` (when given) names layer ``l``.

    Examples
    --------
    >>> layer_names((-1, 0, 2))
    'input, layer 0, layer 2'
    >>> layer_names((-1, 1), labels=("conv1", "pool1", "conv2"))
    'input (conv1), layer 1 (conv2)'
    """

    def one(lay: int) -> str:
        text = "input" if lay < 0 else f"layer {lay}"
        return f"{text} ({labels[lay + 1]})" if 0 <= lay + 1 < len(labels) else text

    return ", ".join(one(lay) for lay in layers) or "-"


@dataclass(frozen=True)
class ScaleResult:
    """One probe partition of one architecture.

    ``value``/``log2``: the exact min-cut; ``lower_bound``: the power-of-p bound (None for a
    general ConvAC with copy nodes); ``cut_layers``:
    the layers whose bonds the min-cut found by :func:`convac.min_cut` cuts (``-1`` = input edges);
    ``binding``: every layer whose narrowing would lower the min-cut (all tied cuts, deep only);
    ``rank``: the exact generic rank, or None when not computed.

    For a general or graph spec (overlapping windows, sums, concatenations) ``value`` is the
    *function bound* (:func:`convac.mincut.function_bound`, ``bound == "function"``): the bound on
    the Schmidt rank of the network's function of continuous inputs (``value`` None above
    ``2**EXACT_BITS``: only ``log2`` then). ``onehot``/``onehot_log2``
    hold the one-hot coefficient min-cut beside it when computed (it can be smaller: it may split
    the copies of an input); for a tree spec the two are one number (``bound == "min_cut"``).

    Examples
    --------
    >>> import convac
    >>> row = convac.analyze(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3])).rows[-1]
    >>> row.label, row.value, row.lower_bound, row.cut_layers
    ('left_right', 3, 2, (2,))
    """

    scale: Scale
    value: int | None
    log2: float
    lower_bound: int | None
    cut_layers: tuple[int, ...]
    binding: tuple[int, ...] | None
    rank: int | None
    onehot: int | None = None
    onehot_log2: float | None = None
    bound: str = "min_cut"

    @property
    def label(self) -> str:
        return self.scale.label

    @property
    def length(self) -> int:
        return self.scale.length

    def to_dict(self) -> dict[str, Any]:
        def num(v: int) -> int | str:  # JSON readers lose precision above 2**53
            return v if v.bit_length() <= 53 else str(v)

        return {
            "scale": self.label,
            "family": self.scale.family,
            "length": self.length,
            "min_cut": None if self.value is None else num(self.value),
            "log2_min_cut": self.log2,
            "lower_bound": None if self.lower_bound is None else num(self.lower_bound),
            "log2_lower_bound": None if self.lower_bound is None else _exact_log2(self.lower_bound),
            "cut_layers": ["input" if x < 0 else x for x in self.cut_layers],
            "binding_layers": None if self.binding is None else ["input" if x < 0 else x for x in self.binding],
            "generic_rank": None if self.rank is None else num(self.rank),
            "bound": self.bound,
            "onehot_min_cut": None if self.onehot is None else num(self.onehot),
            "log2_onehot_min_cut": self.onehot_log2,
        }


def _log2(v: int) -> float:
    return math.log2(v)


def _exact_log2(v: int) -> float:
    return v.bit_length() - 1 if v & (v - 1) == 0 else _log2(v)


@dataclass(frozen=True)
class Analysis:
    """The scale-by-scale min-cuts of one architecture (``name`` labels it in tables and figures).

    ``arch`` is an :class:`~convac.Architecture`, a :class:`~convac.spec.GeneralArchitecture`
    for a ConvAC with overlapping kernels or a :class:`~convac.spec.GraphArchitecture` (sums,
    concatenations, groups); ``layer_labels`` (optional) names the input and each
    layer (``layer_labels[l + 1]`` is layer ``l``), e.g. by the torch layers of
    :func:`convac.analyze_module`. For general and graph specs ``layers`` gives every layer
    node's channels and weights per channel (:class:`~convac.analysis.LayerInfo`) and
    ``tie_groups`` the labels of layers whose widths must stay equal (joined by a residual sum
    or a depthwise convolution): what a width solver needs.

    Examples
    --------
    >>> import convac
    >>> a = convac.analyze(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3]), name="mine")
    >>> a.name, [row.label for row in a.rows]
    ('mine', ['checkerboard', 'blocks(2)', 'left_right'])
    >>> print(a.table().splitlines()[0])
    mine: channels [3, 5, 3], M=2, 141 params
    """

    name: str
    arch: Architecture | GeneralArchitecture | GraphArchitecture
    rows: tuple[ScaleResult, ...]
    layer_labels: tuple[str, ...] = ()
    layers: tuple[LayerInfo, ...] = ()
    tie_groups: tuple[tuple[str, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if isinstance(self.arch, Architecture):
            out["architecture"] = self.arch.to_dict()
            out["n_params"] = self.arch.n_params
        elif isinstance(self.arch, GeneralArchitecture):
            out["architecture"] = _general_dict(self.arch)
        else:
            out["architecture"] = _graph_dict(self.arch)
        if self.layer_labels:
            out["layer_labels"] = list(self.layer_labels)
        if self.layers:
            out["layers"] = [info.to_dict() for info in self.layers]
            out["tie_groups"] = [list(g) for g in self.tie_groups]
        out["scales"] = [r.to_dict() for r in self.rows]
        return out

    def table(self) -> str:
        """Return a readable table, one row per scale."""
        if isinstance(self.arch, Architecture):
            head = (
                f"{self.name}: channels {list(self.arch.channels)}, M={self.arch.n_features}, "
                f"{self.arch.n_params} params"
            )
        elif isinstance(self.arch, GeneralArchitecture):
            grids = " > ".join("x".join(map(str, self.arch.layer_grid(i))) for i in range(self.arch.depth + 1))
            head = (
                f"{self.name}: general ConvAC (copy nodes), channels {list(self.arch.channels[1:])}, "
                f"M={self.arch.n_features}, grids {grids}"
            )
        else:
            head = (
                f"{self.name}: graph ConvAC, {self.arch.n_nodes} layer nodes, M={self.arch.n_features}, "
                f"grid {'x'.join(map(str, self.arch.grid))}"
            )
        tree = isinstance(self.arch, Architecture)
        cols = (
            f"  {'scale':<14} {'length':>6} {'log2 min-cut' if tree else 'log2 function':>13} "
            f"{'min-cut' if tree else 'function':>12} {'log2 lower' if tree else 'log2 one-hot':>12} "
            f"{'rank':>8}  cut through"
        )
        lines = [head, cols]
        for r in self.rows:
            value = str(r.value) if r.value is not None and r.value < 10**11 else f"2^{r.log2:.6g}"
            rank = "-" if r.rank is None else str(r.rank)
            if tree:
                low = "-" if r.lower_bound is None else f"{_log2(r.lower_bound):.6g}"
            else:
                low = "-" if r.onehot_log2 is None else f"{r.onehot_log2:.6g}"
            lines.append(
                f"  {r.label:<14} {r.length:>6} {r.log2:>13.6g} {value:>12} {low:>12} "
                f"{rank:>8}  {layer_names(r.cut_layers, self.layer_labels)}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _general_dict(spec: GeneralArchitecture) -> dict[str, Any]:
    steps = [
        {
            "channels": st.channels,
            "kernel": list(st.kernel),  # type: ignore[arg-type]
            "stride": list(st.stride),  # type: ignore[arg-type]
            "padding": list(st.padding),  # type: ignore[arg-type]
            "dilation": list(st.dilation),  # type: ignore[arg-type]
        }
        for st in spec.steps
    ]
    return {
        "kind": "general",
        "grid": list(spec.grid),
        "n_features": spec.n_features,
        "steps": steps,
        "n_outputs": spec.n_outputs,
    }


def _graph_dict(spec: GraphArchitecture) -> dict[str, Any]:
    nodes = []
    for n in spec.nodes:
        entry: dict[str, Any] = {"op": n.op, "inputs": list(n.inputs), "label": n.label}
        if n.op == "conv":
            entry.update(
                channels=n.channels,
                kernel=list(n.kernel),  # type: ignore[arg-type]
                stride=list(n.stride),  # type: ignore[arg-type]
                padding=list(n.padding),  # type: ignore[arg-type]
                dilation=list(n.dilation),  # type: ignore[arg-type]
                groups=n.groups,
            )
        nodes.append(entry)
    return {
        "kind": "graph",
        "grid": list(spec.grid),
        "n_features": spec.n_features,
        "input_label": spec.input_label,
        "nodes": nodes,
        "n_outputs": spec.n_outputs,
    }


def _ranks(arch: Architecture, parts: Sequence[Any], values: Sequence[int], seed: int) -> list[int] | None:
    try:
        from convac.ranks import generic_ranks
    except ImportError:  # the rank module is optional at this layer
        return None
    return list(generic_ranks(arch, list(parts), seed=seed, cap=[v + 1 for v in values]))


def _want_rank(arch: Architecture | GeneralArchitecture | GraphArchitecture, rank: bool | str) -> bool:
    if rank not in (True, False, "auto"):
        raise InputError(f"rank must be True, False or 'auto', got {rank!r}")
    if not isinstance(arch, Architecture):
        if rank is True:
            raise InputError("the generic rank is computed for tree ConvACs only; use rank='auto' or False")
        return False
    if rank is not True and rank != "auto":
        return False
    # M ** N is never formed when its logarithm already says "too many": N may be 2^40.
    if arch.n_features > 1 and arch.n_inputs * math.log2(arch.n_features) > math.log2(RANK_MAX_ENTRIES) + 1:
        return rank is True
    # auto also skips channels so wide that the rank's intermediate matrices would not fit.
    entries = arch.n_features**arch.n_inputs
    small = entries <= RANK_MAX_ENTRIES and 8 * max(entries * max(arch.channels), arch.n_params) <= MAX_MODEL_BYTES
    return rank is True or small


def _probes(
    arch: Architecture | GeneralArchitecture | GraphArchitecture, families: Iterable[str] | None
) -> list[Scale]:
    if isinstance(arch, Architecture):
        return scales(arch, families)
    # A tree's block scales are its pooling levels' receptive fields; use the same probes so the
    # rows of a tree-shaped general spec line up with the analysis of its twin.
    twin = tree_twin(arch) if isinstance(arch, GeneralArchitecture) else None
    return scales(twin if twin is not None else arch.grid, families)


def analyze(
    arch: Architecture | GeneralArchitecture | GraphArchitecture,
    *,
    families: Iterable[str] | None = None,
    name: str | None = None,
    rank: bool | str = "auto",
    seed: int = 0,
    layer_labels: Sequence[str] = (),
    onehot: bool | str = "auto",
) -> Analysis:
    """Min-cut, lower bound, cut layers and (small networks) generic rank at every probe scale.

    ``arch`` is a tree :class:`~convac.Architecture`, a
    :class:`~convac.spec.GeneralArchitecture` (any windows; overlapping kernels re-use
    activations) or a :class:`~convac.spec.GraphArchitecture` (residual sums, concatenations,
    grouped convolutions). A tree gets the exact min-cut and the layers it cuts; the
    power-of-p lower bound, the binding layers and the generic rank are computed for trees only.
    A general or graph spec gets the *function bound* (:func:`convac.mincut.function_bound`: the
    bound on the Schmidt rank of its function of continuous inputs, on the compact graph, any
    size) as ``value``, and the one-hot coefficient min-cut as ``onehot`` beside it: ``onehot="auto"``
    computes it for chains whose unrolled network has at most
    :data:`~convac.analysis._function_rows.ONEHOT_AUTO_MATRICES` matrices, True forces it (refused
    beyond :data:`~convac.analysis.MAX_UNROLLED_MATRICES`), False skips it.

    ``rank``: ``"auto"`` computes the exact generic rank (capped just above the min-cut, so a
    rank above it would still show) when ``M ** n_inputs <= RANK_MAX_ENTRIES`` (and the
    channels let its intermediate matrices fit in 4 GiB); True forces it,
    False skips it. ``seed`` draws the random weights of the rank. ``layer_labels`` names the
    input and each layer in tables (``layer_labels[l + 1]`` is layer ``l``).

    Examples
    --------
    >>> from convac import Architecture
    >>> a = analyze(Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 5, 3]))
    >>> [(r.label, r.value, r.lower_bound, r.rank) for r in a.rows]
    [('checkerboard', 16, 16, 16), ('blocks(2)', 9, 4, 9), ('left_right', 3, 2, 3)]
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> overlapping = GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(2, 3, padding=1), ConvStep(3, 8)])
    >>> [(r.label, r.value, r.onehot, r.bound) for r in analyze(overlapping, families=["left_right"]).rows]
    [('left_right', 12, 12, 'function')]
    """
    instance(
        arch, "arch", (Architecture, GeneralArchitecture, GraphArchitecture), "a convac.Architecture or a general spec"
    )
    want_rank = _want_rank(arch, rank)
    probes = _probes(arch, families)
    if not isinstance(arch, Architecture):
        parts = [s.partition(arch.grid) for s in probes]
        graph_rows = tuple(
            ScaleResult(s, b.value, b.log2, None, b.cut_layers, None, None, b.onehot, b.onehot_log2, "function")
            for s, b in zip(probes, function_rows(arch, parts, onehot), strict=True)
        )
        labels = tuple(layer_labels) or (arch.labels if isinstance(arch, GraphArchitecture) else ())
        return Analysis(
            name or _default_name(arch), arch, graph_rows, labels, layers=layer_info(arch), tie_groups=tie_groups(arch)
        )
    tree = arch
    parts = [s.partition(tree) for s in probes]
    cuts = [min_cut(arch, p) for p in parts]
    ranks = _ranks(tree, parts, [c.value for c in cuts], seed) if want_rank else None
    rows = []
    for i, (s, p, c) in enumerate(zip(probes, parts, cuts, strict=True)):
        rows.append(
            ScaleResult(
                scale=s,
                value=int(c.value),
                log2=float(c.log2),
                lower_bound=min_cut_lower_bound(tree, p),
                cut_layers=c.layers,
                binding=binding_layers(tree, p.mask) if tree.kind == "deep" else None,
                rank=None if ranks is None else ranks[i],
            )
        )
    return Analysis(name or _default_name(arch), arch, tuple(rows), layer_labels=tuple(layer_labels))


def _default_name(arch: Architecture | GeneralArchitecture | GraphArchitecture) -> str:
    if isinstance(arch, Architecture):
        return f"{arch.kind} {'x'.join(map(str, arch.grid))} channels {list(arch.channels)}"
    if isinstance(arch, GraphArchitecture):
        return f"graph {'x'.join(map(str, arch.grid))}, {arch.n_nodes} nodes"
    return f"general {'x'.join(map(str, arch.grid))} channels {list(arch.channels[1:])}"


def analyze_general(
    spec: GeneralArchitecture,
    *,
    families: Iterable[str] | None = None,
    name: str | None = None,
    rank: bool | str = "auto",
    layer_labels: Sequence[str] = (),
) -> Analysis:
    """:func:`analyze` of a general spec (kept for callers that name the kind).

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, 2, 2), ConvStep(2, 2, 2)])
    >>> [(r.value, r.cut_layers) for r in analyze_general(spec).rows]
    [(4, (-1,)), (2, (1,))]
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
    return analyze(spec, families=families, name=name, rank=rank, layer_labels=layer_labels)


def paper_pair(r: int, schedules: Sequence[str] = tuple(PAPER_SCHEDULES)) -> dict[str, Architecture]:
    """Return the paper's 64x64, M=10 networks for the named schedules (or ``NAME=m1,...`` tokens) at ``r``.

    Examples
    --------
    >>> {k: list(v.channels) for k, v in paper_pair(2).items()}
    {'wide_base(2)': [8, 8, 4, 4, 2, 2], 'wide_tip(2)': [2, 2, 4, 4, 8, 8]}
    """
    return {f"{s.split('=')[0]}({r})": paper_architecture(paper_schedule(s, r)) for s in schedules}


def compare_table(analyses: Sequence[Analysis]) -> str:
    """log2 min-cut per scale, one column per architecture, and which is largest.

    Examples
    --------
    >>> from convac import Architecture
    >>> a = analyze(Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2]), name="base", rank=False)
    >>> b = analyze(Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2, 2, 4, 4]), name="tip", rank=False)
    >>> print(compare_table([a, b]))
    log2 min-cut   length  base  tip   largest
    checkerboard   1       8     8     tie
    blocks(2)      2       8     4     base
    blocks(4)      4       2     2     tie
    left_right     16      1     2     tip
    """
    if not analyses:
        raise InputError("compare_table needs at least one analysis")
    labels = [r.label for r in analyses[0].rows]
    for a in analyses[1:]:
        if [r.label for r in a.rows] != labels:
            raise InputError("architectures compared side by side need the same grid (the same probe scales)")
    width = max(6, *(len(a.name) + 1 for a in analyses))
    lines = [f"{'log2 min-cut':<14} {'length':<7} " + "".join(f"{a.name:<{width}}" for a in analyses) + "largest"]
    for i, label in enumerate(labels):
        vals = [a.rows[i].log2 for a in analyses]
        best = max(vals)
        winners = [a.name for a, v in zip(analyses, vals, strict=True) if v == best]
        who = "tie" if len(winners) == len(analyses) and len(analyses) > 1 else ", ".join(winners)
        cells = "".join(f"{a.rows[i].log2:<{width}.6g}" for a in analyses)
        lines.append(f"{label:<14} {analyses[0].rows[i].length:<7} {cells}{who}")
    return "\n".join(line.rstrip() for line in lines)


def analyze_many(
    archs: Mapping[str, Architecture | GeneralArchitecture],
    *,
    families: Iterable[str] | None = None,
    rank: bool | str = "auto",
    seed: int = 0,
) -> list[Analysis]:
    """:func:`analyze` for several named architectures (same order).

    Examples
    --------
    >>> import convac
    >>> archs = {"a": convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[4, 2, 2]),
    ...          "b": convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 4])}
    >>> [(x.name, x.rows[0].value) for x in analyze_many(archs, rank=False)]
    [('a', 16), ('b', 16)]
    """
    fams = None if families is None else list(families)
    return [analyze(a, families=fams, name=n, rank=rank, seed=seed) for n, a in archs.items()]


__all__ += ["analyze_many"]
