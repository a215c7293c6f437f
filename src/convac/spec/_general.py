"""The spec of a general ConvAC: any grid, any kernels, strides, padding, dilation, overlaps.

A :class:`GeneralArchitecture` is a list of :class:`ConvStep` s on a 1D or 2D grid. Step ``l``
turns the activations of layer ``l`` (``C_l`` channels on ``layer_grid(l)``; layer 0 holds the
``M`` representation features of the inputs) into those of layer ``l + 1``: at each output
position ``q`` it takes the positions ``window(l, q)`` of layer ``l`` (its kernel, placed with
its stride, padding and dilation), maps each one linearly to ``channels`` channels (a 1x1
convolution; ``channels=None`` keeps the activation as it is) and multiplies the results
entrywise (product pooling). This is the generalized convolution of Sharir & Shashua (ICLR
2018): a ConvAC analogue of a conv layer with kernel ``k`` that keeps its receptive field. When a
kernel is wider than its stride, one activation feeds several outputs and the tensor network
needs copy (delta) nodes: the graph is no longer a tree (docs/theory.md). Padded positions hold
a fixed vector, which adds no leg, so they are simply left out of the window.

The last step must leave one position (use a kernel covering the remaining grid, as a
flatten + linear layer does); the output layer maps its ``C_L`` channels to ``n_outputs`` scores.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(8,), n_features=2,
...     steps=[ConvStep(channels=3, kernel=(3,), padding=(1,)), ConvStep(channels=4, kernel=(8,))])
>>> spec.layer_grid(1), spec.layer_grid(2)
((8,), (1,))
>>> spec.window(0, (0,))
((0,), (1,))
>>> spec.is_tree
False
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convac._validation import instance, integer
from convac.errors import ArchitectureError

__all__ = ["ConvStep", "GeneralArchitecture"]


def _pair(value: Any, name: str, ndim: int, minimum: int) -> tuple[int, ...]:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        value = (value,) * ndim
    if not isinstance(value, Sequence) or len(value) != ndim:
        raise ArchitectureError(f"{name} must be an integer or {ndim} integers (one per grid axis), got {value!r}")
    return tuple(integer(v, name, minimum=minimum, error=ArchitectureError) for v in value)


@dataclass(frozen=True)
class ConvStep:
    """One generalized-convolution step: 1x1 linear map to ``channels``, then a product over a window.

    ``kernel``, ``stride`` (default: 1), ``padding`` (default: 0) and ``dilation`` (default: 1)
    are integers or one integer per grid axis, as in ``torch.nn.Conv2d``; integers are expanded to
    the grid's dimension by :class:`GeneralArchitecture`. ``channels=None`` is a pure product
    pooling step (no linear map; the channel count is kept).

    >>> ConvStep(channels=None, kernel=2, stride=2)
    ConvStep(channels=None, kernel=2, stride=2, padding=0, dilation=1)
    """

    channels: int | None
    kernel: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1


@dataclass(frozen=True)
class GeneralArchitecture:
    """A ConvAC on a 1D or 2D grid with any sequence of :class:`ConvStep` s.

    Positions are numbered row-major (``row * width + column`` in 2D), as for
    :class:`~convac.Architecture`. Steps are normalised so every tuple has one entry per axis.

    >>> spec = GeneralArchitecture(grid=(4, 4), n_features=2,
    ...     steps=[ConvStep(4, kernel=2, stride=2), ConvStep(3, kernel=2, stride=2)])
    >>> spec.is_tree, spec.channels, spec.n_inputs
    (True, (2, 4, 3), 16)
    """

    grid: tuple[int, ...]
    n_features: int
    steps: tuple[ConvStep, ...]
    n_outputs: int = 1
    _grids: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grid = self.grid
        if isinstance(grid, int) and not isinstance(grid, bool):
            grid = (grid,)
        if not isinstance(grid, Sequence) or len(grid) not in (1, 2):
            raise ArchitectureError(f"grid must be one or two positive integers (1D or 2D), got {grid!r}")
        grid = tuple(integer(g, "grid", minimum=1, error=ArchitectureError) for g in grid)
        ndim = len(grid)
        n_features = integer(self.n_features, "n_features", minimum=1, error=ArchitectureError)
        n_outputs = integer(self.n_outputs, "n_outputs", minimum=1, error=ArchitectureError)
        if not isinstance(self.steps, Sequence) or isinstance(self.steps, str) or not self.steps:
            raise ArchitectureError(f"steps must be a non-empty list of ConvStep, got {self.steps!r}")
        steps = []
        grids = [grid]
        for i, step in enumerate(self.steps):
            instance(step, f"steps[{i}]", ConvStep, "a ConvStep")
            channels = step.channels
            if channels is not None:
                channels = integer(channels, f"steps[{i}].channels", minimum=1, error=ArchitectureError)
            norm = ConvStep(
                channels,
                _pair(step.kernel, f"steps[{i}].kernel", ndim, 1),
                _pair(step.stride, f"steps[{i}].stride", ndim, 1),
                _pair(step.padding, f"steps[{i}].padding", ndim, 0),
                _pair(step.dilation, f"steps[{i}].dilation", ndim, 1),
            )
            out = []
            for axis in range(ndim):
                k, s, p, d = (norm.kernel[axis], norm.stride[axis], norm.padding[axis], norm.dilation[axis])  # type: ignore[index]
                span = d * (k - 1) + 1
                if p >= span:
                    raise ArchitectureError(
                        f"steps[{i}] pads {p} on axis {axis}, which must be less than the kernel's span {span} "
                        "(else a window can hold padding only)"
                    )
                size = (grids[-1][axis] + 2 * p - span) // s + 1
                if size < 1:
                    raise ArchitectureError(
                        f"steps[{i}]'s kernel spans {span} positions on axis {axis}, more than the padded grid "
                        f"{grids[-1][axis] + 2 * p} it is applied to"
                    )
                out.append(size)
            grids.append(tuple(out))
            steps.append(norm)
        if any(g != 1 for g in grids[-1]):
            raise ArchitectureError(
                f"the last step leaves a {'x'.join(map(str, grids[-1]))} grid; a ConvAC must end at one position "
                f"(add a step whose kernel covers the remaining grid)"
            )
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "n_features", n_features)
        object.__setattr__(self, "n_outputs", n_outputs)
        object.__setattr__(self, "steps", tuple(steps))
        object.__setattr__(self, "_grids", tuple(grids))

    @property
    def ndim(self) -> int:
        """1 or 2."""
        return len(self.grid)

    @property
    def n_inputs(self) -> int:
        """Number of input positions (the order of the coefficient tensor)."""
        return int(_prod(self.grid))

    @property
    def depth(self) -> int:
        """Number of steps."""
        return len(self.steps)

    @property
    def channels(self) -> tuple[int, ...]:
        """Channel count of every layer ``0..depth`` (layer 0 = ``n_features``)."""
        out = [self.n_features]
        for step in self.steps:
            out.append(out[-1] if step.channels is None else step.channels)
        return tuple(out)

    def layer_grid(self, layer: int) -> tuple[int, ...]:
        """Grid shape of layer ``layer`` (0 = the inputs, ``depth`` = the single top position)."""
        return self._grids[integer(layer, "layer", minimum=0, maximum=self.depth)]

    def window(self, step: int, position: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        """Coordinates in layer ``step`` feeding ``position`` of layer ``step + 1`` (padding left out)."""
        s = self.steps[integer(step, "step", minimum=0, maximum=self.depth - 1)]
        below = self._grids[step]
        ranges = []
        for axis, q in enumerate(position):
            k, st, p, d = s.kernel[axis], s.stride[axis], s.padding[axis], s.dilation[axis]  # type: ignore[index]
            ranges.append([c for c in (q * st - p + d * i for i in range(k)) if 0 <= c < below[axis]])
        return tuple(itertools.product(*ranges))

    @property
    def is_tree(self) -> bool:
        """True when no activation feeds more than one window (no copy nodes needed).

        An activation no window sees (a dilated or strided kernel skipping it) is simply unused.
        """
        for layer in range(self.depth):
            uses: dict[tuple[int, ...], int] = {}
            for q in itertools.product(*(range(g) for g in self._grids[layer + 1])):
                for c in self.window(layer, q):
                    uses[c] = uses.get(c, 0) + 1
            if any(v > 1 for v in uses.values()):
                return False
        return True


def _prod(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out
