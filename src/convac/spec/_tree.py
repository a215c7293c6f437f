"""The architecture spec: the one value every other object in convac is derived from.

An :class:`Architecture` says what a ConvAC *is*: the input grid (1D length or 2D
height x width), the number of representation features ``M``, the channel number of
every hidden layer, the pooling window, whether conv weights are shared across
positions, and the number of outputs. Models, tensor networks, min-cut graphs and
parameter counts are all derived from it, so they cannot disagree.

Layer ``l`` of a deep ConvAC is a 1x1 convolution ``r_{l-1} -> r_l`` (``r_{-1} = M``)
applied at every position of its grid, followed by product pooling over
non-overlapping windows: ``windows[l]`` positions in 1D, ``kh x kw`` in 2D. Any schedule
works whose windows multiply, axis by axis, to the grid (e.g. 28x28 with 2x2, 2x2, 7x7);
``window=w`` is the uniform schedule on a grid whose sides are powers of ``w``. The last
hidden layer leaves a single position, which the output layer maps to ``n_outputs``
scores. A shallow ConvAC has one hidden layer and pools everything.

Examples
--------
>>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> arch.depth, arch.n_inputs, arch.n_params
(4, 16, 298)
>>> Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 5]).layers()[1]
LayerSpec(index=1, in_channels=3, out_channels=5, positions=4, pooled_positions=1, params=60)
>>> arch = Architecture.deep_2d(height=28, width=28, n_features=2, channels=[4, 4, 4],
...                             windows=[(2, 2), (2, 2), (7, 7)])
>>> [arch.layer_grid(layer) for layer in range(4)], arch.window
([(28, 28), (14, 14), (7, 7), (1, 1)], None)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from convac._validation import instance
from convac.errors import ArchitectureError, ConvacTypeError
from convac.spec._general import ConvStep, GeneralArchitecture
from convac.spec._windows import (
    _as_tuple,
    _as_windows,
    _check_int,
    _exact_log,
    _example_schedule,
    _pick,
    _prime_factors,
    _window_entry,
)

__all__ = ["Architecture", "LayerSpec"]

Kind = Literal["deep", "shallow"]


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer (or the output layer, ``index == depth``) of an architecture.

    ``positions`` is the number of positions the 1x1 conv acts on, ``pooled_positions``
    the number left after its pooling.

    Examples
    --------
    >>> arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2])
    >>> first = arch.layers()[0]
    >>> first.in_channels, first.out_channels, first.positions, first.pooled_positions, first.params
    (2, 3, 8, 4, 48)
    """

    index: int
    in_channels: int
    out_channels: int
    positions: int
    pooled_positions: int
    params: int


@dataclass(frozen=True)
class Architecture:
    """An immutable, validated ConvAC spec. Build it with a named constructor.

    Use :meth:`deep_1d`, :meth:`deep_2d` or :meth:`shallow`; the plain constructor
    validates too but expects tuples.

    Examples
    --------
    >>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2], n_outputs=3)
    >>> arch.depth, arch.n_params, arch.positions(0)
    (4, 302, 16)
    >>> Architecture.from_dict(arch.to_dict()) == arch
    True
    >>> arch.with_channels([2, 2, 2, 2]).channels
    (2, 2, 2, 2)

    ``windows`` holds every hidden layer's pooling window (one size per grid axis); ``window``
    is their common size when the schedule is uniform (every layer, every axis), else ``None``.
    Both are normalised after validation, so equal networks compare equal however they were
    built (a shallow ConvAC has one window, the whole grid, and ``window`` ``None``).

    >>> odd = Architecture.deep_1d(n_inputs=12, n_features=2, channels=[3, 3, 2], windows=[2, 3, 2])
    >>> odd.windows, odd.window, odd.pool_sizes, [odd.positions(layer) for layer in range(4)]
    (((2,), (3,), (2,)), None, (2, 3, 2), [12, 6, 2, 1])
    """

    kind: Kind
    grid: tuple[int, ...]
    n_features: int
    channels: tuple[int, ...]
    n_outputs: int = 1
    window: int | None = None
    shared: bool = False
    windows: tuple[tuple[int, ...], ...] = ()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def deep_1d(
        cls,
        n_inputs: int,
        n_features: int,
        channels: Sequence[int],
        n_outputs: int = 1,
        shared: bool = False,
        window: int | None = None,
        windows: Sequence[int] | None = None,
    ) -> Architecture:
        """Return a deep 1D ConvAC.

        Give ``windows`` (one pooling window per hidden layer, multiplying to ``n_inputs``) for
        any schedule, or ``window`` (default 2) for ``log_window(n_inputs)`` equal windows.

        Examples
        --------
        >>> Architecture.deep_1d(n_inputs=8, n_features=3, channels=[2, 2, 2]).depth
        3
        >>> Architecture.deep_1d(n_inputs=84, n_features=2, channels=[2, 2, 2, 2], windows=[2, 2, 3, 7]).positions(2)
        21
        """
        window, schedule = _pick(window, windows)
        return cls("deep", (n_inputs,), n_features, _as_tuple(channels), n_outputs, window, shared, schedule)

    @classmethod
    def deep_2d(
        cls,
        height: int,
        width: int,
        n_features: int,
        channels: Sequence[int],
        n_outputs: int = 1,
        shared: bool = False,
        window: int | None = None,
        windows: Sequence[int | Sequence[int]] | None = None,
    ) -> Architecture:
        """Return a deep 2D ConvAC on a ``height x width`` grid.

        Give ``windows``, one ``(kh, kw)`` pooling window per hidden layer (an integer ``k`` is
        ``(k, k)``), whose heights multiply to ``height`` and widths to ``width``; or ``window``
        (default 2) for ``window x window`` pooling on a square grid whose side is a power of it.
        Positions are numbered row-major: ``position = row * width + column``.

        Examples
        --------
        >>> Architecture.deep_2d(height=8, width=8, n_features=2, channels=[4, 4, 4]).n_inputs
        64
        >>> rect = Architecture.deep_2d(height=6, width=4, n_features=2, channels=[3, 2], windows=[(2, 2), (3, 2)])
        >>> rect.layer_grid(1)
        (3, 2)
        """
        window, schedule = _pick(window, windows)
        return cls("deep", (height, width), n_features, _as_tuple(channels), n_outputs, window, shared, schedule)

    @classmethod
    def shallow(
        cls,
        n_inputs: int | None = None,
        n_features: int = 2,
        hidden: int = 1,
        n_outputs: int = 1,
        shared: bool = False,
        height: int | None = None,
        width: int | None = None,
    ) -> Architecture:
        """Return a shallow ConvAC: one hidden layer of ``hidden`` (Z) channels, global product pooling.

        Give ``n_inputs`` for a 1D grid, or ``height`` and ``width`` for a 2D one.

        Examples
        --------
        >>> Architecture.shallow(n_inputs=6, n_features=2, hidden=3).n_params
        39
        """
        if height is not None or width is not None:
            if height is None or width is None:
                raise ArchitectureError("a 2D shallow ConvAC needs both height and width")
            grid: tuple[int, ...] = (height, width)
            if n_inputs is not None and n_inputs != height * width:
                raise ArchitectureError(
                    f"n_inputs={n_inputs} disagrees with height*width={height * width}; give one or the other"
                )
        else:
            if n_inputs is None:
                raise ArchitectureError("a shallow ConvAC needs n_inputs (1D) or height and width (2D)")
            grid = (n_inputs,)
        return cls("shallow", grid, n_features, (hidden,), n_outputs, None, shared)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Architecture:
        """Build from a mapping such as a parsed YAML/JSON file (the inverse of :meth:`to_dict`).

        Examples
        --------
        >>> a = Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 3])
        >>> Architecture.from_dict(a.to_dict()) == a
        True
        """
        instance(data, "an architecture", Mapping, "given as a mapping (e.g. a parsed YAML/JSON file)")
        allowed = {"kind", "grid", "n_features", "channels", "n_outputs", "window", "windows", "shared"}
        unknown = set(data) - allowed
        if unknown:
            raise ArchitectureError(f"unknown architecture field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        missing = {"kind", "grid", "n_features", "channels"} - set(data)
        if missing:
            raise ArchitectureError(f"architecture is missing field(s) {sorted(missing)}")
        grid = data["grid"]
        if isinstance(grid, int) and not isinstance(grid, bool):
            grid = [grid]
        windows = data.get("windows")
        return cls(
            kind=data["kind"],
            grid=_as_tuple(grid, "grid"),
            n_features=data["n_features"],
            channels=_as_tuple(data["channels"]),
            n_outputs=data.get("n_outputs", 1),
            # a shallow ConvAC has no window to choose; files written before windows existed say 2
            window=None if data["kind"] == "shallow" else data.get("window"),
            shared=data.get("shared", False),
            windows=() if windows is None or data["kind"] == "shallow" else _as_windows(windows),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a plain, JSON-serialisable description."""
        return {
            "kind": self.kind,
            "grid": list(self.grid),
            "n_features": self.n_features,
            "channels": list(self.channels),
            "n_outputs": self.n_outputs,
            "window": self.window,
            "windows": [list(w) for w in self.windows],
            "shared": self.shared,
        }

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        if self.kind not in ("deep", "shallow"):
            raise ArchitectureError(f"kind must be 'deep' or 'shallow', got {self.kind!r}")
        if not isinstance(self.grid, tuple) or len(self.grid) not in (1, 2):
            raise ArchitectureError(f"grid must be (length,) or (height, width), got {self.grid!r}")
        for name, v in zip(("height", "width") if len(self.grid) == 2 else ("n_inputs",), self.grid, strict=False):
            _check_int(name, v, 1)
        _check_int("n_features", self.n_features, 1)
        _check_int("n_outputs", self.n_outputs, 1)
        if self.window is not None:
            _check_int("window", self.window, 2)
        if not isinstance(self.shared, bool):
            raise ConvacTypeError(f"shared must be True or False, got {self.shared!r}")
        if not isinstance(self.channels, tuple):
            raise ConvacTypeError("channels must be a tuple; use a named constructor to pass a list")
        for i, c in enumerate(self.channels):
            _check_int(f"channels[{i}]", c, 1)
        if self.n_inputs < 2:
            raise ArchitectureError(f"a ConvAC needs at least 2 inputs, got {self.n_inputs}")
        if not isinstance(self.windows, tuple):
            raise ConvacTypeError("windows must be a tuple; use a named constructor to pass a list")
        if self.kind == "shallow":
            if len(self.channels) != 1:
                raise ArchitectureError(
                    f"a shallow ConvAC has exactly one hidden layer, got {len(self.channels)} channel entries"
                )
            if self.windows not in ((), (self.grid,)):
                raise ArchitectureError(
                    f"a shallow ConvAC pools its whole grid in one window; windows must be empty, got {self.windows}"
                )
            object.__setattr__(self, "windows", (self.grid,))
            object.__setattr__(self, "window", None)
            return
        windows = self._uniform_windows() if not self.windows else self._given_windows()
        object.__setattr__(self, "windows", windows)
        sizes = {w for win in windows for w in win}
        object.__setattr__(self, "window", sizes.pop() if len(sizes) == 1 else None)

    def _uniform_windows(self) -> tuple[tuple[int, ...], ...]:
        """Return the schedule ``window x ... x window`` at every layer (``window`` defaults to 2)."""
        window = 2 if self.window is None else self.window
        if len(self.grid) == 2:
            h, w = self.grid
            if h != w:
                raise ArchitectureError(
                    f"a deep 2D ConvAC with one window size needs a square grid so every layer pools "
                    f"{window}x{window} windows down to one position; got {h}x{w} (give windows=[(kh, kw), ...] "
                    "for a rectangular grid)"
                )
        side = self.grid[0]
        depth = _exact_log(side, window)
        if depth is None:
            what = "n_inputs" if len(self.grid) == 1 else "height and width"
            allowed = ", ".join(str(window**k) for k in range(1, 5))
            raise ArchitectureError(
                f"{what} must be a power of the window size {window} for a deep ConvAC "
                f"(allowed: {allowed}, ...), got {side}; give windows=[...] for any other size"
            )
        if len(self.channels) != depth:
            shape = "x".join(map(str, self.grid))
            raise ArchitectureError(
                f"channels must have one entry per hidden layer: a deep ConvAC on a {shape} grid with "
                f"window {window} has {depth} hidden layers, got {len(self.channels)} "
                f"entries {list(self.channels)}"
            )
        return ((window,) * self.ndim,) * depth

    def _given_windows(self) -> tuple[tuple[int, ...], ...]:
        """Check an explicit schedule: one window per layer, multiplying to the grid on each axis."""
        windows = tuple(_window_entry(w, i, self.ndim) for i, w in enumerate(self.windows))
        if self.window is not None and any(size != self.window for win in windows for size in win):
            raise ArchitectureError(
                f"window={self.window} disagrees with windows={[list(w) for w in windows]}; give one or the other"
            )
        if len(windows) != len(self.channels):
            raise ArchitectureError(
                f"windows must have one entry per hidden layer, like channels: got {len(windows)} windows "
                f"and {len(self.channels)} channel entries {list(self.channels)}"
            )
        names = ("n_inputs",) if self.ndim == 1 else ("height", "width")
        for axis, (name, side) in enumerate(zip(names, self.grid, strict=True)):
            sizes = [win[axis] for win in windows]
            if math.prod(sizes) == side:
                continue
            along = "" if self.ndim == 1 else f" along the {name} axis"
            shown = " * ".join(map(str, sizes))
            primes = " * ".join(map(str, _prime_factors(side))) or "1"
            example = _example_schedule(side, len(windows), 2 if self.ndim == 1 else 1)
            hint = (
                f"e.g. {example}"
                if example is not None
                else f"which needs at most {len(_prime_factors(side))} layers of windows >= 2"
            )
            raise ArchitectureError(
                f"the windows{along} multiply to {shown} = {math.prod(sizes)}, but {name} is {side}; they must "
                f"multiply to {side} = {primes} ({hint})"
            )
        return windows

    # ------------------------------------------------------------------ derived values
    @property
    def n_inputs(self) -> int:
        """Number of input positions (patches) N."""
        return math.prod(self.grid)

    @property
    def ndim(self) -> int:
        """1 for a sequence, 2 for an image grid."""
        return len(self.grid)

    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.channels)

    @property
    def pool_sizes(self) -> tuple[int, ...]:
        """Number of positions merged by one pooling window of each hidden layer.

        Examples
        --------
        >>> Architecture.deep_2d(height=28, width=28, n_features=2, channels=[2, 2, 2],
        ...                      windows=[2, 2, 7]).pool_sizes
        (4, 4, 49)
        """
        return tuple(math.prod(w) for w in self.windows)

    @property
    def pool_size(self) -> int:
        """Positions merged by one pooling window when every layer pools the same number (``window**ndim``).

        A schedule whose layers pool different numbers has no single pool size: use :attr:`pool_sizes`.
        """
        sizes = set(self.pool_sizes)
        if len(sizes) != 1:
            raise ArchitectureError(
                f"the layers pool {list(self.pool_sizes)} positions each, not one common number; use pool_sizes"
            )
        return sizes.pop()

    def positions(self, layer: int) -> int:
        """Return the number of positions hidden layer ``layer``'s 1x1 conv acts on (``depth`` = output layer)."""
        return math.prod(self.layer_grid(layer))

    def layer_grid(self, layer: int) -> tuple[int, ...]:
        """Grid shape at the input of hidden layer ``layer`` (``depth`` gives the final ``(1,)``/``(1, 1)``).

        Examples
        --------
        >>> arch = Architecture.deep_2d(height=6, width=4, n_features=2, channels=[2, 2], windows=[(2, 2), (3, 2)])
        >>> [arch.layer_grid(layer) for layer in range(3)]
        [(6, 4), (3, 2), (1, 1)]
        """
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer <= self.depth:
            raise ArchitectureError(f"layer must be in 0..{self.depth}, got {layer}")
        shape = list(self.grid)
        for win in self.windows[:layer]:
            shape = [side // w for side, w in zip(shape, win, strict=True)]
        return tuple(shape)

    def receptive_field(self, layer: int) -> tuple[int, ...]:
        """Extent (per axis) of the inputs below one position of layer ``layer``'s grid (0: one input).

        Examples
        --------
        >>> arch = Architecture.deep_1d(n_inputs=12, n_features=2, channels=[2, 2, 2], windows=[2, 3, 2])
        >>> [arch.receptive_field(layer) for layer in range(4)]
        [(1,), (2,), (6,), (12,)]
        """
        return tuple(g // s for g, s in zip(self.grid, self.layer_grid(layer), strict=True))

    def pool_windows(self, layer: int) -> list[tuple[int, ...]]:
        """For each position after hidden layer ``layer``'s pooling, the positions it pools (in order).

        Positions are indices into that layer's grid (row-major in 2D); windows are listed
        row-major too, members row-major inside each window.

        Examples
        --------
        >>> Architecture.deep_2d(height=4, width=4, n_features=2, channels=[2, 2]).pool_windows(0)[1]
        (2, 3, 6, 7)
        >>> Architecture.deep_2d(height=6, width=4, n_features=2, channels=[2, 2],
        ...                      windows=[(2, 2), (3, 2)]).pool_windows(1)
        [(0, 1, 2, 3, 4, 5)]
        """
        if not 0 <= layer < self.depth:
            raise ArchitectureError(f"layer must be in 0..{self.depth - 1}, got {layer}")
        win = self.windows[layer]
        if self.ndim == 1:
            (w,) = win
            return [tuple(range(k * w, (k + 1) * w)) for k in range(self.positions(layer + 1))]
        kh, kw = win
        width = self.layer_grid(layer)[1]
        rows, cols = self.layer_grid(layer + 1)
        return [
            tuple((kh * i + a) * width + kw * j + b for a in range(kh) for b in range(kw))
            for i in range(rows)
            for j in range(cols)
        ]

    def to_general(self) -> GeneralArchitecture:
        """Return the same network as a :class:`convac.spec.GeneralArchitecture`.

        Layer ``l`` becomes ``ConvStep(channels=r_l, kernel=w_l, stride=w_l)``: a 1x1 conv, then a
        product over non-overlapping windows. Weight sharing is not part of that spec.

        Examples
        --------
        >>> arch = Architecture.deep_1d(n_inputs=12, n_features=2, channels=[3, 3, 2], windows=[2, 3, 2])
        >>> spec = arch.to_general()
        >>> spec.is_tree, spec.channels, spec.layer_grid(2)
        (True, (2, 3, 3, 2), (2,))
        """
        steps = tuple(
            ConvStep(channels=r, kernel=w, stride=w) for r, w in zip(self.channels, self.windows, strict=True)
        )
        return GeneralArchitecture(grid=self.grid, n_features=self.n_features, steps=steps, n_outputs=self.n_outputs)

    def layers(self) -> list[LayerSpec]:
        """Every hidden layer, then the output layer (``index == depth``)."""
        specs = []
        in_ch = self.n_features
        for index, out_ch in enumerate(self.channels):
            pos = self.positions(index)
            pooled = self.positions(index + 1)
            n_copies = 1 if self.shared else pos
            specs.append(LayerSpec(index, in_ch, out_ch, pos, pooled, n_copies * in_ch * out_ch))
            in_ch = out_ch
        specs.append(LayerSpec(self.depth, in_ch, self.n_outputs, 1, 1, in_ch * self.n_outputs))
        return specs

    @property
    def n_params(self) -> int:
        """Number of weights in the hidden and output layers (the representation layer excluded)."""
        return sum(spec.params for spec in self.layers())

    def summary(self) -> str:
        """Return a readable table of layers, channels and parameters.

        Examples
        --------
        >>> print(Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 5]).summary())
        deep 1D ConvAC: 4 inputs, M=2 features, window 2, unshared weights, 1 output
        layer    conv      positions  pooled to  params
        0        2 -> 3    4          2          24
        1        3 -> 5    2          1          30
        output   5 -> 1    1          1          5
        total                                    59
        """
        shape = "x".join(map(str, self.grid))
        head = (
            f"{self.kind} {self.ndim}D ConvAC: {shape} inputs, M={self.n_features} features, "
            + (f"{self._schedule()}, " if self.kind == "deep" else "global pooling, ")
            + ("shared" if self.shared else "unshared")
            + f" weights, {self.n_outputs} output{'s' if self.n_outputs != 1 else ''}"
        )
        rows = [f"{'layer':<8} {'conv':<9} {'positions':<10} {'pooled to':<10} params"]
        for spec in self.layers():
            name = "output" if spec.index == self.depth else str(spec.index)
            conv = f"{spec.in_channels} -> {spec.out_channels}"
            rows.append(f"{name:<8} {conv:<9} {spec.positions:<10} {spec.pooled_positions:<10} {spec.params}")
        rows.append(f"{'total':<8} {'':<9} {'':<10} {'':<10} {self.n_params}")
        return "\n".join([head, *rows])

    def _schedule(self) -> str:
        if self.window is not None:
            return f"window {self.window}"
        return "windows " + ", ".join("x".join(map(str, w)) for w in self.windows)

    def with_channels(self, channels: Sequence[int]) -> Architecture:
        """Return the same architecture with other channel numbers (same grid and windows)."""
        return Architecture(
            self.kind,
            self.grid,
            self.n_features,
            _as_tuple(channels),
            self.n_outputs,
            None,
            self.shared,
            self.windows,
        )
