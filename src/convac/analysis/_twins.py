"""Trees hidden in general specs: the equal :class:`~convac.Architecture`, or the nearest one.

:func:`tree_twin` is the tree ConvAC a general spec *is* when its windows tile every grid (the
analysis of a CNN whose twin exists is exactly :func:`convac.analyze` of the twin);
:func:`pooling_twin` is an approximation with the same pooling skeleton, for specs with
overlapping kernels, so that the tree tools can say something about them.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, 1), ConvStep(None, 2, 2), ConvStep(2, 2, 2)])
>>> tree_twin(spec).channels
(3, 2)
"""

from __future__ import annotations

import math

from convac._validation import instance
from convac.errors import ArchitectureError
from convac.spec import Architecture, GeneralArchitecture

__all__ = ["pooling_twin", "tree_layers", "tree_twin"]


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
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(8,), n_features=2,
    ...     steps=[ConvStep(3, 1), ConvStep(None, 2, 2), ConvStep(5, 2, 2), ConvStep(4, 1), ConvStep(None, 2, 2)])
    >>> twin = tree_twin(spec)
    >>> twin.channels, twin.window
    ((3, 5, 4), 2)
    >>> tree_twin(GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(3, 3), ConvStep(None, 6)])) is None
    True
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
    layers = tree_layers(spec)
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
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(8, 8), n_features=4, steps=[ConvStep(8, 3, padding=1),
    ...     ConvStep(None, 2, 2), ConvStep(16, 3, padding=1), ConvStep(None, 2, 2), ConvStep(32, 2, 2)])
    >>> twin, merged = pooling_twin(spec)
    >>> twin.channels, twin.window, merged
    ((8, 16, 32), 2, ('0+1', '2+3', '4'))
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
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


def tree_layers(spec: GeneralArchitecture) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]] | None:
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
