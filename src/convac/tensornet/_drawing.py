"""A picture of a ConvAC tensor network, laid out as the tree it is (matplotlib, no display needed)."""

from __future__ import annotations

from typing import Any

#: A :class:`~convac.tensornet.ConvACTensorNetwork`; not imported, since its ``draw`` method imports this module.
ConvACTensorNetwork = Any

__all__ = ["draw_network", "tree_layout"]


def tree_layout(tn: ConvACTensorNetwork) -> dict[str, tuple[float, float]]:
    """Return (x, y) of every tensor and every input leg's end (named ``in{p}``).

    Leaves are spaced evenly in the order a depth-first walk from the output meets them
    (so 2D windows stay together and no edges cross); each tensor sits above the mean
    of its children. Height: 2 rows per layer (matrix, then δ), inputs at y = 0.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    >>> pos = tree_layout(convac.to_tensor_network(convac.DeepConvAC(arch, seed=0)))
    >>> pos["in0"], pos["in3"], pos["out"]
    ((0.0, 0.0), (3.0, 0.0), (1.5, 5.0))
    """
    children: dict[str, list[str]] = {}
    producer: dict[str, str] = {}  # index name -> tensor below it (the one whose "up" leg it is)
    for t in tn.tensors:
        up = t.inds[-1] if t.kind != "output" else None
        if up is not None:
            producer[up] = t.name
    for t in tn.tensors:
        below = t.inds[:-1] if t.kind == "delta" else t.inds[:1]
        children[t.name] = [producer.get(i, f"in{i[1:]}") for i in below]
    height = {"weight": 1.0, "delta": 2.0, "output": 1.0}
    pos: dict[str, tuple[float, float]] = {}
    counter = [0]

    def place(name: str) -> tuple[float, float]:
        if name.startswith("in"):
            xy = (float(counter[0]), 0.0)
            counter[0] += 1
        else:
            t = tn.tensor_map[name]
            kids = [place(c) for c in children[name]]
            y = 2.0 * t.layer + height[t.kind]
            xy = (sum(k[0] for k in kids) / len(kids), y)
        pos[name] = xy
        return xy

    place("out")  # recursion depth is only 2 * depth + 2
    return pos


def draw_network(
    tn: ConvACTensorNetwork, path: Any, labels: bool | None = None, figsize: tuple[float, float] | None = None
) -> None:
    """Write ``tn`` as a PNG to ``path`` (see :meth:`ConvACTensorNetwork.draw`).

    Parameters
    ----------
    tn : ConvACTensorNetwork
        The network to draw.
    path : str or path-like
        Where the PNG goes.
    labels : bool, optional
        Write bond dimensions and input positions; default: only for 64 inputs or fewer.
    figsize : tuple of float, optional
        Figure size in inches; default: grows with the number of inputs and the depth.

    Examples
    --------
    >>> import os, tempfile, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 2, 2])
    >>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     draw_network(tn, os.path.join(d, "tn.png"))
    ...     os.path.getsize(os.path.join(d, "tn.png")) > 0
    True
    """
    from convac._figures import new_figure, save_figure

    pos = tree_layout(tn)
    n = tn.n_inputs
    if labels is None:
        labels = n <= 64
    if figsize is None:
        figsize = (min(4 + 0.35 * n, 40.0), 2.0 + 0.9 * (2 * tn.arch.depth + 2))
    fig = new_figure(figsize=figsize)
    ax = fig.add_subplot()
    segments, mids, dims = _edges(tn, pos)
    _draw_graph(ax, tn, pos, segments)
    if labels:
        _draw_labels(ax, tn, pos, mids, dims)
    arch = tn.arch
    shape = "x".join(map(str, arch.grid))
    ax.set_title(
        f"{arch.kind} ConvAC tensor network: {shape} inputs, M={arch.n_features}, channels={list(arch.channels)}",
        fontsize=9,
    )
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.autoscale()
    ax.margins(0.03, 0.08)
    ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


Point = tuple[float, float]


def _edges(tn: ConvACTensorNetwork, pos: dict[str, Point]) -> tuple[list[list[Point]], list[Point], list[int]]:
    """Return every edge once as a segment, with its midpoint and bond dimension (for the labels)."""
    segments: list[list[Point]] = []
    mids: list[Point] = []
    dims: list[int] = []
    for t in tn.tensors:
        for ind in t.inds:
            bond = tn.bonds[ind]
            if ind == "y":
                a = pos[t.name]
                segments.append([a, (a[0], a[1] + 0.8)])
                mids.append((a[0], a[1] + 0.4))
                dims.append(bond.dim)
                continue
            others = [o for o in bond.tensors if o != t.name]
            # Draw each edge once, from the tensor below; input legs end at their own point.
            if bond.kind == "input":
                b = pos[f"in{ind[1:]}"]
            elif t.inds[-1] == ind and t.kind != "output" and others:
                b = pos[others[0]]
            else:
                continue
            a = pos[t.name]
            segments.append([a, b])
            mids.append(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
            dims.append(bond.dim)
    return segments, mids, dims


def _draw_graph(ax: Any, tn: ConvACTensorNetwork, pos: dict[str, Point], segments: list[list[Point]]) -> None:
    """Draw the edges, one marker per tensor kind, and the input legs' ends."""
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segments, colors="0.55", linewidths=0.8, zorder=1))
    kinds = {"weight": ("s", "tab:blue", 60), "delta": ("o", "black", 30), "output": ("^", "tab:red", 90)}
    for kind, (marker, color, size) in kinds.items():
        pts = [pos[t.name] for t in tn.tensors if t.kind == kind]
        label = {"weight": "weight matrix", "delta": "δ (copy) tensor", "output": "output"}[kind]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, c=color, s=size, zorder=2, label=label)
    leaves = [pos[f"in{p}"] for p in range(tn.n_inputs)]
    ax.scatter(
        [p[0] for p in leaves],
        [p[1] for p in leaves],
        marker="|",
        c="tab:green",
        s=40,
        zorder=2,
        label="input",
    )


def _draw_labels(ax: Any, tn: ConvACTensorNetwork, pos: dict[str, Point], mids: list[Point], dims: list[int]) -> None:
    """Write each bond dimension at its edge's midpoint and each input's position under it."""
    for (x, y), d in zip(mids, dims, strict=False):
        ax.text(
            x,
            y,
            str(d),
            fontsize=7,
            color="0.25",
            ha="center",
            va="center",
            zorder=3,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    for p in range(tn.n_inputs):
        x, y = pos[f"in{p}"]
        ax.text(x, y - 0.35, str(p), fontsize=7, ha="center", va="top")
