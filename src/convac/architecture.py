"""The architecture spec: the one value every other object in convac is derived from.

An :class:`Architecture` says what a ConvAC *is*: the input grid (1D length or 2D
height x width), the number of representation features ``M``, the channel number of
every hidden layer, the pooling window, whether conv weights are shared across
positions, and the number of outputs. Models, tensor networks, min-cut graphs and
parameter counts are all derived from it, so they cannot disagree.

Layer ``l`` of a deep ConvAC is a 1x1 convolution ``r_{l-1} -> r_l`` (``r_{-1} = M``)
applied at every position of its grid, followed by product pooling over
non-overlapping windows (``window`` positions in 1D, ``window x window`` in 2D). The
last hidden layer leaves a single position, which the output layer maps to
``n_outputs`` scores. A shallow ConvAC has one hidden layer and pools everything.

Examples
--------
>>> arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2])
>>> arch.depth, arch.n_inputs, arch.n_params
(4, 16, 298)
>>> Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 5]).layers()[1]
LayerSpec(index=1, in_channels=3, out_channels=5, positions=4, pooled_positions=1, params=60)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from convac._validation import instance, integer
from convac.errors import ArchitectureError, ConvacTypeError

__all__ = ["Architecture", "LayerSpec"]

Kind = Literal["deep", "shallow"]


def _check_int(name: str, value: Any, minimum: int = 1) -> int:
    return integer(value, name, minimum=minimum, error=ArchitectureError)


def _exact_log(n: int, base: int) -> int | None:
    """Return k with base**k == n, or None if n is not a power of base."""
    k, p = 0, 1
    while p < n:
        p *= base
        k += 1
    return k if p == n else None


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
    """

    kind: Kind
    grid: tuple[int, ...]
    n_features: int
    channels: tuple[int, ...]
    n_outputs: int = 1
    window: int = 2
    shared: bool = False

    # ------------------------------------------------------------------ constructors
    @classmethod
    def deep_1d(
        cls,
        n_inputs: int,
        n_features: int,
        channels: Sequence[int],
        n_outputs: int = 1,
        shared: bool = False,
        window: int = 2,
    ) -> Architecture:
        """Return a deep 1D ConvAC: ``log_window(n_inputs)`` hidden layers.

        Examples
        --------
        >>> Architecture.deep_1d(n_inputs=8, n_features=3, channels=[2, 2, 2]).depth
        3
        """
        return cls("deep", (n_inputs,), n_features, _as_tuple(channels), n_outputs, window, shared)

    @classmethod
    def deep_2d(
        cls,
        height: int,
        width: int,
        n_features: int,
        channels: Sequence[int],
        n_outputs: int = 1,
        shared: bool = False,
        window: int = 2,
    ) -> Architecture:
        """Return a deep 2D ConvAC on a square ``height x width`` grid with ``window x window`` pooling.

        Positions are numbered row-major: ``position = row * width + column``.

        Examples
        --------
        >>> Architecture.deep_2d(height=8, width=8, n_features=2, channels=[4, 4, 4]).n_inputs
        64
        """
        return cls("deep", (height, width), n_features, _as_tuple(channels), n_outputs, window, shared)

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
        return cls("shallow", grid, n_features, (hidden,), n_outputs, 2, shared)

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
        allowed = {"kind", "grid", "n_features", "channels", "n_outputs", "window", "shared"}
        unknown = set(data) - allowed
        if unknown:
            raise ArchitectureError(f"unknown architecture field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        missing = {"kind", "grid", "n_features", "channels"} - set(data)
        if missing:
            raise ArchitectureError(f"architecture is missing field(s) {sorted(missing)}")
        grid = data["grid"]
        if isinstance(grid, int) and not isinstance(grid, bool):
            grid = [grid]
        return cls(
            kind=data["kind"],
            grid=_as_tuple(grid, "grid"),
            n_features=data["n_features"],
            channels=_as_tuple(data["channels"]),
            n_outputs=data.get("n_outputs", 1),
            window=data.get("window", 2),
            shared=data.get("shared", False),
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
        _check_int("window", self.window, 2)
        if not isinstance(self.shared, bool):
            raise ConvacTypeError(f"shared must be True or False, got {self.shared!r}")
        if not isinstance(self.channels, tuple):
            raise ConvacTypeError("channels must be a tuple; use a named constructor to pass a list")
        for i, c in enumerate(self.channels):
            _check_int(f"channels[{i}]", c, 1)
        if self.n_inputs < 2:
            raise ArchitectureError(f"a ConvAC needs at least 2 inputs, got {self.n_inputs}")
        if self.kind == "shallow":
            if len(self.channels) != 1:
                raise ArchitectureError(
                    f"a shallow ConvAC has exactly one hidden layer, got {len(self.channels)} channel entries"
                )
            return
        if len(self.grid) == 2:
            h, w = self.grid
            if h != w:
                raise ArchitectureError(
                    f"a deep 2D ConvAC needs a square grid so every layer pools {self.window}x{self.window} "
                    f"windows down to one position; got {h}x{w}"
                )
        side = self.grid[0]
        depth = _exact_log(side, self.window)
        if depth is None:
            what = "n_inputs" if len(self.grid) == 1 else "height and width"
            allowed = ", ".join(str(self.window**k) for k in range(1, 5))
            raise ArchitectureError(
                f"{what} must be a power of the window size {self.window} for a deep ConvAC "
                f"(allowed: {allowed}, ...), got {side}"
            )
        if len(self.channels) != depth:
            shape = "x".join(map(str, self.grid))
            raise ArchitectureError(
                f"channels must have one entry per hidden layer: a deep ConvAC on a {shape} grid with "
                f"window {self.window} has {depth} hidden layers, got {len(self.channels)} "
                f"entries {list(self.channels)}"
            )

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
    def pool_size(self) -> int:
        """Number of positions merged by one pooling window of a deep ConvAC (``window**ndim``)."""
        return self.window**self.ndim

    def positions(self, layer: int) -> int:
        """Return the number of positions hidden layer ``layer``'s 1x1 conv acts on (``depth`` = output layer)."""
        if not 0 <= layer <= self.depth:
            raise ArchitectureError(f"layer must be in 0..{self.depth}, got {layer}")
        if self.kind == "shallow":
            return self.n_inputs if layer == 0 else 1
        return self.n_inputs // self.pool_size**layer

    def layer_grid(self, layer: int) -> tuple[int, ...]:
        """Grid shape at the input of hidden layer ``layer`` (``depth`` gives the final ``(1,)``/``(1, 1)``)."""
        if self.kind == "shallow":
            return self.grid if layer == 0 else (1,) * self.ndim
        n = self.positions(layer)
        return (n,) if self.ndim == 1 else (math.isqrt(n), math.isqrt(n))

    def pool_windows(self, layer: int) -> list[tuple[int, ...]]:
        """For each position after hidden layer ``layer``'s pooling, the positions it pools (in order).

        Positions are indices into that layer's grid (row-major in 2D).

        Examples
        --------
        >>> Architecture.deep_2d(height=4, width=4, n_features=2, channels=[2, 2]).pool_windows(0)[1]
        (2, 3, 6, 7)
        """
        if not 0 <= layer < self.depth:
            raise ArchitectureError(f"layer must be in 0..{self.depth - 1}, got {layer}")
        if self.kind == "shallow":
            return [tuple(range(self.n_inputs))]
        w = self.window
        if self.ndim == 1:
            return [tuple(range(k * w, (k + 1) * w)) for k in range(self.positions(layer + 1))]
        side = self.layer_grid(layer)[0]
        out = []
        for i in range(side // w):
            for j in range(side // w):
                out.append(tuple((w * i + a) * side + w * j + b for a in range(w) for b in range(w)))
        return out

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
            + (f"window {self.window}, " if self.kind == "deep" else "global pooling, ")
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

    def with_channels(self, channels: Sequence[int]) -> Architecture:
        """Return the same architecture with other channel numbers."""
        return Architecture(
            self.kind,
            self.grid,
            self.n_features,
            _as_tuple(channels),
            self.n_outputs,
            self.window,
            self.shared,
        )


def _as_tuple(values: Iterable[int] | Any, name: str = "channels") -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConvacTypeError(f"{name} must be a list of integers, got {type(values).__name__} {values!r}")
    return tuple(values)
