"""Figures of min-cut across length scales (matplotlib, written straight to a PNG path).

Examples
--------
>>> import tempfile, os
>>> from convac.analysis import analyze_many, paper_pair
>>> path = os.path.join(tempfile.mkdtemp(), "scales.png")
>>> plot_scales(analyze_many(paper_pair(2), rank=False), path) == path and os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from convac._figures import new_figure, save_figure
from convac._validation import image_path
from convac.analysis._analyze import Analysis
from convac.analysis._channel_cuts import _log2_min_cuts
from convac.analysis._scales import scales
from convac.errors import InputError
from convac.spec import Architecture

__all__ = ["layer_width_effect", "plot_layer_width_effect", "plot_scales"]


def plot_scales(analyses: Sequence[Analysis], path: str | os.PathLike[str], title: str | None = None) -> str:
    """Draw the analyses of several architectures side by side; return ``path``.

    Two panels: each architecture's log2 min-cut relative to the first one's, against length
    scale; and a heat map of the log2 min-cuts (numbers) as a fraction of the largest at each
    scale (colour).
    """
    image_path(path)  # before any work: a path without an image suffix would get ".png" appended
    if not analyses:
        raise InputError("plot_scales needs at least one analysis")
    labels = [r.label for r in analyses[0].rows]
    if any([r.label for r in a.rows] != labels for a in analyses):
        raise InputError("architectures drawn side by side need the same grid (the same probe scales)")
    fig = new_figure(figsize=(12, 4.2 + 0.15 * len(analyses)))
    ax, hm = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    x = np.arange(len(labels))
    logs = np.array([[r.log2 for r in a.rows] for a in analyses])
    # Raw log2 min-cuts span 3 to 5000 bits over the scales; relative to the first network the
    # cross-over between short and long scales is what the eye should catch.
    ref = logs[0]
    for a, row in zip(analyses, logs, strict=True):
        ratio = np.divide(row, ref, out=np.ones_like(row), where=ref > 0)
        ax.plot(x, ratio, marker="o", label=a.name)
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xticks(x, [f"{lab} ({r.length})" for lab, r in zip(labels, analyses[0].rows, strict=True)])
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    ax.set_ylabel(f"log2 min-cut / that of {analyses[0].name}")
    ax.set_xlabel("probe partition (length scale in inputs): short range -> long range")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    best = logs.max(axis=0)
    frac = np.divide(logs, best, out=np.ones_like(logs), where=best > 0)
    im = hm.imshow(frac, cmap="viridis", vmin=min(0.0, float(frac.min())), vmax=1, aspect="auto")
    hm.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    hm.set_yticks(np.arange(len(analyses)), [a.name for a in analyses], fontsize=8)
    for i in range(len(analyses)):
        for j in range(len(labels)):
            hm.text(
                j,
                i,
                f"{logs[i, j]:.4g}" if logs[i, j] < 1e4 else f"{logs[i, j]:.0f}",
                ha="center",
                va="center",
                fontsize=7,
                color="black" if frac[i, j] > 0.6 else "white",
            )
    hm.set_title("log2 min-cut (number) and fraction of the largest (colour)", fontsize=9)
    fig.colorbar(im, ax=hm, fraction=0.04)
    fig.suptitle(title or "Min-cut across length scales: who can model which correlations", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


def layer_width_effect(arch: Architecture) -> tuple[list[str], np.ndarray]:
    """Loss in log2 min-cut at every scale (columns) when one layer (rows) is half as wide.

    Row ``l`` says which length scales layer ``l``'s width controls (docs/theory.md §5).
    Halving is done on the log2 bond dimension (``log2 r_l - 1``), so a width of 1 can be halved too.

    Examples
    --------
    >>> from convac import Architecture
    >>> labels, loss = layer_width_effect(Architecture.deep_1d(n_inputs=16, n_features=4, channels=[4, 4, 4, 4]))
    >>> labels
    ['checkerboard', 'blocks(2)', 'blocks(4)', 'left_right']
    >>> loss.tolist()
    [[8.0, 4.0, 0.0, 0.0], [0.0, 4.0, 2.0, 0.0], [0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 1.0]]
    """
    if not isinstance(arch, Architecture) or arch.kind != "deep":
        raise InputError(
            "the layer-width heat map needs a deep tree ConvAC (an Architecture), not a general one with copy nodes"
        )
    probes = scales(arch)
    base = np.log2(np.asarray(arch.channels, dtype=np.float64))
    logs = np.repeat(base[None], arch.depth + 1, axis=0)
    for layer in range(arch.depth):
        logs[layer + 1, layer] -= 1.0
    log_m = np.full(arch.depth + 1, float(np.log2(arch.n_features)))
    loss = np.empty((arch.depth, len(probes)))
    for j, s in enumerate(probes):
        cuts = _log2_min_cuts(arch, s.partition(arch).mask, logs, log_m)
        loss[:, j] = np.round(cuts[0] - cuts[1:], 9)
    return [s.label for s in probes], loss


def plot_layer_width_effect(arch: Architecture, path: str | os.PathLike[str], name: str | None = None) -> str:
    """Heat map of :func:`layer_width_effect` (layer x length scale). Returns ``path``.

    Examples
    --------
    >>> import tempfile, os
    >>> from convac.analysis import paper_architecture, wide_tip
    >>> path = os.path.join(tempfile.mkdtemp(), "width.png")
    >>> os.path.getsize(plot_layer_width_effect(paper_architecture(wide_tip(2)), path)) > 0
    True
    """
    image_path(path)
    labels, gain = layer_width_effect(arch)  # losses: how much each layer's width holds up each scale
    fig = new_figure(figsize=(1.0 + 0.8 * len(labels), 1.2 + 0.45 * arch.depth))
    ax = fig.subplots()
    shown = np.log2(1 + np.maximum(gain, 0))
    ax.imshow(shown, cmap="magma", aspect="auto")
    for i in range(gain.shape[0]):
        for j in range(gain.shape[1]):
            ax.text(
                j,
                i,
                f"{gain[i, j]:.4g}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if shown[i, j] < shown.max() * 0.6 else "black",
            )
    ax.set_xticks(np.arange(len(labels)), labels, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(np.arange(arch.depth), [f"layer {lay} (r={c})" for lay, c in enumerate(arch.channels)], fontsize=7)
    ax.set_title(f"{name or 'architecture'}: log2 min-cut lost when one layer is half as wide", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)
